/** `provision impact <before> <after> --stack S [--json|--markdown]` */
import { loadCatalog } from "../../../src/catalog/load";
import { resolveCatalog } from "../../../src/catalog/resolve";
import { impact } from "../../../src/impact";
import { impactMarkdown, impactText } from "../../../src/report/impactReport";
import { readStackConfig } from "../../../src/stackConfig";
import { type CommandResult, guard, ok } from "../result";

export interface ImpactOptions {
  readonly before: string;
  readonly after: string;
  readonly stack: string;
  /** @default "text" */
  readonly format?: "json" | "markdown" | "text";
  /** Folder holding `stacks/Pulumi.<stack>.yaml`. @default process.cwd() */
  readonly projectDir?: string;
}

export function impactCommand(opts: ImpactOptions): CommandResult {
  return guard(() => {
    const stack = readStackConfig(opts.projectDir ?? process.cwd(), opts.stack);
    const result = impact(resolveCatalog(loadCatalog(opts.before)), resolveCatalog(loadCatalog(opts.after)), stack.servers);
    const format = opts.format ?? "text";
    return ok(format === "json" ? `${JSON.stringify(result, null, 2)}\n` : format === "markdown" ? impactMarkdown(result) : impactText(result));
  });
}
