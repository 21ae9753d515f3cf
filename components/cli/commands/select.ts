/** `provision select <catalog> --stack S --server NAME [--json]` */
import * as path from "node:path";
import { formatIssue, knownList } from "../../../src/catalog/errors";
import { loadCatalogArgument } from "./validate";
import type { TreesResult } from "../../../src/renderJob";
import { selectionJson, selectionText } from "../../../src/report/selectionReport";
import { SERVERS_KEY, readStackConfig, unmatchedPatterns, withStackSecrets } from "../../../src/stackConfig";
import { visibleJson, visibleText } from "../../../src/util/visibleText";
import { runSandboxed } from "../../sandbox";
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
    const catalog = withStackSecrets(loadCatalogArgument(opts.catalog, { payloadRoots: stack.payloadRoots }), stack);
    // Every host is checked against the stack's servers, as impact and the stack program check it.
    const tree = runSandboxed<TreesResult>({ kind: "trees", catalog, servers: [server], stack: stack.servers.map((s) => ({ name: s.name, site: s.site })) }).trees[0]!;
    // A pattern naming no profile is reported where it is written; other warnings as select words them.
    const located = unmatchedPatterns(stack, catalog.profiles.map((p) => p.name)).filter((i) => i.path.startsWith(`${SERVERS_KEY}[${stack.servers.indexOf(server)}].`));
    const rest = tree.selection.warnings.filter((w) => !located.some((i) => i.message === w));
    const warnings = [...located.map((i) => `${formatIssue(i)}\n`), ...(opts.json ? rest.map((w) => `warning: ${visibleText(w)}\n`) : [])].join("");
    return ok(opts.json ? `${visibleJson(selectionJson(tree))}\n` : selectionText(tree), warnings);
  });
}
