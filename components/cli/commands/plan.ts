/** `provision plan --stack S [--json|--markdown|--html FILE] [--refresh] [--base REF]`: the engine's preview, grouped by server, with what each changed file says. */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatIssue } from "../../../src/catalog/errors";
import { loadCatalogInput } from "../../../src/catalog/load";
import type { ServerTree } from "../../../src/render/render";
import { type ChangeGroup, changesJson, groupChanges } from "../../../src/review/changeGroups";
import { type Contents, wantedKeys } from "../../../src/review/contents";
import { planFromPreview, type Plan, type PlannedFile } from "../../../src/plan/fromPreview";
import { parsePreviewJson } from "../../../src/plan/previewJson";
import type { TreesResult } from "../../../src/renderJob";
import { impactHtml } from "../../../src/report/htmlReport";
import { impactMarkdown, impactText } from "../../../src/report/impactReport";
import { placesOf, type ReportContext } from "../../../src/report/reportContext";
import { type StackConfig, readStackConfig } from "../../../src/stackConfig";
import { visibleJson, visibleText } from "../../../src/util/visibleText";
import type { InstallerFile } from "../../../src/render/installerFiles";
import { checkInstallerFiles, type ValidatorsReport, validatorsLine } from "../../installerValidators";
import { storedObjectLists } from "../../objectLists";
import { runSandboxed } from "../../sandbox";
import { renderAtBase } from "../baseRevision";
import { type EngineRun, previewJson } from "../engine";
import { reviewContents } from "../reviewContents";
import { type CommandResult, guard, ok } from "../result";

export interface PlanOptions {
  readonly stack: string;
  /** @default "text" */
  readonly format?: "json" | "markdown" | "text";
  /** Also write the self-contained HTML report here. @default - no HTML */
  readonly html?: string;
  /** Folder holding Pulumi.yaml and `stacks/Pulumi.<stack>.yaml`. @default process.cwd() */
  readonly projectDir?: string;
  /** Read every file back from its child first: drift (hand edits, deletions) shows as updates. @default false */
  readonly refresh?: boolean;
  /** A git revision whose catalog gives the text before each change (CI: the merge base). @default - the content store only */
  readonly base?: string;
}

/** Runs the real preview and groups it; a failed preview is exit 1 with the CLI's messages. */
export function enginePlan(projectDir: string, stack: string, opts: { refresh?: boolean; servers?: readonly string[] } = {}): Plan | CommandResult {
  return planOfPreview(previewJson(projectDir, stack, opts), stack, opts.servers);
}

/** A preview run as a plan, or its failure as exit 1 with the CLI's messages. */
export function planOfPreview(run: EngineRun, stack: string, servers?: readonly string[]): Plan | CommandResult {
  if (run.code !== 0) {
    const hint = /no stack named/.test(run.stderr + run.stdout) ? `provision: the stack ${visibleText(stack)} does not exist yet: \`npm start\` creates the demo's, \`provision pulumi stack init ${visibleText(stack)}\` any other\n` : "";
    return { stdout: "", stderr: `provision: pulumi preview failed (exit ${run.code})\n${previewErrors(run.stdout)}${visibleText(run.stderr, "\n\t")}${hint}`, exitCode: 1 };
  }
  // The stack's servers: those the preview has no step for are listed as unchanged.
  return planFromPreview(parsePreviewJson(run.stdout), servers, storedObjectLists());
}

/** Diagnostics of a failed `preview --json` (they are in the JSON document on stdout), their lines visible text. */
function previewErrors(stdout: string): string {
  try {
    const doc = parsePreviewJson(stdout);
    return (doc.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => `${visibleText(d.message.trim(), "\n\t")}\n`).join("");
  } catch {
    return visibleText(stdout, "\n\t");
  }
}

/** The stack's servers rendered from its catalog as it is now (the state holds no origins and no text), with their autoinstall files. */
export function renderNow(stack: StackConfig): { trees: ServerTree[]; installerFiles: InstallerFile[] } {
  if (stack.catalogPaths.length === 0) return { trees: [], installerFiles: [] };
  const r = runSandboxed<TreesResult>({ kind: "trees", catalog: loadCatalogInput([...stack.catalogPaths], { payloadRoots: stack.payloadRoots }), servers: stack.servers, installerFiles: true });
  return { trees: r.trees, installerFiles: r.installerFiles ?? [] };
}

/** The validators' report as a report shows it. */
export const validatorsContext = (r: ValidatorsReport): NonNullable<ReportContext["validators"]> => ({
  summary: validatorsLine(r),
  problems: r.issues.map((i) => ({ severity: i.severity, text: formatIssue({ ...i, severity: "error" }) })),
});

/** Each changed file's catalog object, from the catalog now (or at the base, for a file it deletes). */
function withOrigins(plan: Plan, trees: readonly ServerTree[]): Plan {
  const origin = new Map(trees.flatMap((t) => t.files.map((f) => [`${t.server}\0${f.path}`, f.origin] as const)));
  const files = Object.fromEntries(
    Object.entries(plan.files).map(([server, planned]) => [server, planned.map((f): PlannedFile => ({ ...f, ...(origin.has(`${server}\0${f.path}`) ? { origin: origin.get(`${server}\0${f.path}`)! } : {}) }))]),
  );
  return { ...plan, files };
}

/** The plan with what each changed file says (grouped across servers), and the texts it shows. */
export function reviewOf(plan: Plan, now: readonly ServerTree[], base?: readonly ServerTree[]): { plan: Plan; changes: ChangeGroup[]; contents: Contents } {
  const reviewed = withOrigins(plan, [...(base ?? []), ...now]);
  const contents = reviewContents(wantedKeys(reviewed.files), { now, ...(base ? { base } : {}) });
  return { plan: reviewed, changes: groupChanges(reviewed.files, contents), contents };
}

/** A plan in every format: the chosen one on stdout, the HTML page written when asked for. */
export function planOutput(plan: Plan, changes: readonly ChangeGroup[], ctx: ReportContext, opts: { format?: PlanOptions["format"]; html?: string; title: string }): CommandResult {
  let note = "";
  if (opts.html) {
    fs.writeFileSync(opts.html, impactHtml(plan.impact, ctx, { title: opts.title }));
    note = `wrote ${visibleText(opts.html)}\n`;
  }
  const format = opts.format ?? "text";
  const validators = ctx.validators ? { validators: { summary: ctx.validators.summary, problems: ctx.validators.problems } } : {};
  const body = format === "json" ? `${visibleJson({ ...plan.impact, changes: changesJson(changes), ...validators })}\n` : format === "markdown" ? impactMarkdown(plan.impact, ctx) : impactText(plan.impact, ctx);
  return ok(body, note);
}

export function planCommand(opts: PlanOptions): CommandResult {
  return guard(() => {
    const projectDir = path.resolve(opts.projectDir ?? process.cwd());
    const stack = readStackConfig(projectDir, opts.stack);
    // The base is rendered first: a bad revision fails before the engine runs.
    const base = opts.base !== undefined ? renderAtBase(opts.base, stack, projectDir) : undefined;
    const found = enginePlan(projectDir, opts.stack, { refresh: opts.refresh ?? false, servers: stack.servers.map((s) => s.name) });
    if (!("impact" in found)) return found;
    const now = renderNow(stack);
    const { plan, changes } = reviewOf(found, now.trees, base);
    const validators = validatorsContext(checkInstallerFiles(now.installerFiles, { withServer: true }));
    const ctx: ReportContext = { servers: placesOf(stack.servers), files: plan.files, notes: plan.notes, warnings: plan.warnings, changes, validators };
    return planOutput(plan, changes, ctx, { ...(opts.format ? { format: opts.format } : {}), ...(opts.html ? { html: opts.html } : {}), title: `Provisioning plan: stack ${opts.stack}` });
  });
}
