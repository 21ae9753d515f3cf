/** `provision impact <before> <after> --stack S [--json|--markdown]`: the plan's prediction from two catalogs, with the same diffs. */
import { loadCatalog } from "../../../src/catalog/load";
import type { ImpactReview } from "../../../src/impact";
import { changesJson, groupChanges } from "../../../src/review/changeGroups";
import { impactMarkdown, impactText } from "../../../src/report/impactReport";
import { placesOf } from "../../../src/report/reportContext";
import { readStackConfig } from "../../../src/stackConfig";
import { visibleJson } from "../../../src/util/visibleText";
import { runSandboxed } from "../../sandbox";
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
    const load = (dir: string) => loadCatalog(dir, { payloadRoots: stack.payloadRoots });
    const review = runSandboxed<ImpactReview>({ kind: "impact", before: load(opts.before), after: load(opts.after), servers: stack.servers });
    const changes = groupChanges(review.files, review.contents);
    const ctx = { servers: placesOf(stack.servers), files: review.files, changes };
    const format = opts.format ?? "text";
    return ok(format === "json" ? `${visibleJson({ ...review.impact, changes: changesJson(changes) })}\n` : format === "markdown" ? impactMarkdown(review.impact, ctx) : impactText(review.impact, ctx));
  });
}
