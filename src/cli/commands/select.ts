/** `provision select <catalog> --stack S --server NAME [--json]` */
import * as path from "node:path";
import { knownList } from "../../catalog/errors";
import { loadCatalog } from "../../catalog/load";
import { resolveCatalog } from "../../catalog/resolve";
import { render } from "../../render/render";
import { selectionJson, selectionText } from "../../report/selectionReport";
import { readStackConfig } from "../../stackConfig";
import { type CommandResult, UsageError, guard, ok } from "../result";

export interface SelectOptions {
  readonly catalog: string;
  readonly stack: string;
  readonly server: string;
  readonly json: boolean;
  /** Folder holding `stacks/Pulumi.<stack>.yaml`. @default process.cwd() */
  readonly projectDir?: string;
}

export function selectCommand(opts: SelectOptions): CommandResult {
  return guard(() => {
    const stack = readStackConfig(opts.projectDir ?? process.cwd(), opts.stack);
    const server = stack.servers.find((s) => s.name === opts.server);
    if (!server) throw new UsageError(`unknown server "${opts.server}" in ${path.basename(stack.file)} (${knownList(stack.servers.map((s) => s.name))})`);
    const tree = render(resolveCatalog(loadCatalog(opts.catalog)), server);
    const warnings = tree.selection.warnings.map((w) => `warning: ${w}\n`).join("");
    return ok(opts.json ? `${JSON.stringify(selectionJson(tree), null, 2)}\n` : selectionText(tree), opts.json ? warnings : "");
  });
}
