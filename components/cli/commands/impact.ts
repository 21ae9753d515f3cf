/**
 * `provision impact <before> <after> --stack S [--json|--markdown]`, or `provision impact --base
 * REF --stack S …`: the plan's prediction from two catalogs, with the same diffs. With `--base`
 * the stack's catalog is compared with itself at a git revision: no engine, no state, no secret,
 * so it is the review a pull request gets before anyone approves the engine's plan (examples/ci).
 */
import { type Catalog, loadCatalogInput } from "../../../src/catalog/load";
import { loadCatalogArgument } from "./validate";
import type { Server } from "../../../src/catalog/schema";
import type { ImpactReview } from "../../../src/impact";
import { changesJson, groupChanges } from "../../../src/review/changeGroups";
import { impactMarkdown, impactText } from "../../../src/report/impactReport";
import { placesOf } from "../../../src/report/reportContext";
import { readStackConfig, withStackSecrets } from "../../../src/stackConfig";
import { visibleJson } from "../../../src/util/visibleText";
import { runSandboxed } from "../../sandbox";
import { atBase } from "../baseRevision";
import { type CommandResult, guard, ok } from "../result";

export interface ImpactOptions {
  /** The catalog before, a YAML file or folder. @default - the stack's catalog at `base` */
  readonly before?: string;
  /** The catalog after. @default - the stack's catalog (provisioning:catalog) */
  readonly after?: string;
  /** A git revision: the stack's catalog (and servers) at it are the side before. @default - `before` */
  readonly base?: string;
  readonly stack: string;
  /** @default "text" */
  readonly format?: "json" | "markdown" | "text";
  /** Folder holding `stacks/Pulumi.<stack>.yaml`. @default process.cwd() */
  readonly projectDir?: string;
}

export function impactCommand(opts: ImpactOptions): CommandResult {
  return guard(() => {
    const projectDir = opts.projectDir ?? process.cwd();
    const stack = readStackConfig(projectDir, opts.stack);
    // Servers by name: each with its entry before and after; one the base did not have is listed with today's.
    const review = (before: Catalog, after: Catalog, beforeServers: readonly Server[] = stack.servers) => {
      const servers = [...beforeServers, ...stack.servers.filter((s) => !beforeServers.some((b) => b.name === s.name))];
      return runSandboxed<ImpactReview>({ kind: "impact", before, after, servers, afterServers: stack.servers });
    };
    let result: ImpactReview;
    if (opts.base !== undefined) {
      // atBase first: it refuses a catalog outside the repository before anything is read. Both
      // sides as a review reads them: payloads that declare a sha256 are taken at their word.
      result = atBase(opts.base, stack, projectDir, (base) => {
        const now = withStackSecrets(loadCatalogInput([...stack.catalogPaths], { payloadRoots: stack.payloadRoots, readPayloads: false }), stack);
        return review(base.catalog ?? loadCatalogInput({}, { baseDir: projectDir }), now, base.servers);
      });
    } else {
      const load = (dir: string) => loadCatalogArgument(dir, { payloadRoots: stack.payloadRoots });
      result = review(load(opts.before!), withStackSecrets(load(opts.after!), stack));
    }
    const changes = groupChanges(result.files, result.contents);
    const ctx = { servers: placesOf(stack.servers), files: result.files, changes };
    const format = opts.format ?? "text";
    return ok(format === "json" ? `${visibleJson({ ...result.impact, changes: changesJson(changes) })}\n` : format === "markdown" ? impactMarkdown(result.impact, ctx) : impactText(result.impact, ctx));
  });
}
