/** `provision plan --stack S [--json|--markdown|--html FILE] [--refresh]`: the engine's preview, grouped by server. */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCatalog } from "../../../src/catalog/load";
import { planFromPreview, type Plan, type PlannedFile } from "../../../src/plan/fromPreview";
import { parsePreviewJson } from "../../../src/plan/previewJson";
import type { TreesResult } from "../../../src/renderJob";
import { impactHtml } from "../../../src/report/htmlReport";
import { impactMarkdown, impactText } from "../../../src/report/impactReport";
import { placesOf, type ReportContext } from "../../../src/report/reportContext";
import { type StackConfig, readStackConfig } from "../../../src/stackConfig";
import { runSandboxed } from "../../sandbox";
import { previewJson } from "../engine";
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
}

/** Runs the real preview and groups it; a failed preview is exit 1 with the CLI's messages. */
export function enginePlan(projectDir: string, stack: string, opts: { refresh?: boolean; servers?: readonly string[] } = {}): Plan | CommandResult {
  const run = previewJson(projectDir, stack, opts);
  if (run.code !== 0) {
    const hint = /no stack named/.test(run.stderr + run.stdout) ? `provision: the stack ${stack} does not exist yet: \`npm start\` creates the demo's, \`provision pulumi stack init ${stack}\` any other\n` : "";
    return { stdout: "", stderr: `provision: pulumi preview failed (exit ${run.code})\n${previewErrors(run.stdout)}${run.stderr}${hint}`, exitCode: 1 };
  }
  // The stack's servers: those the preview has no step for are listed as unchanged.
  return planFromPreview(parsePreviewJson(run.stdout), opts.servers);
}

/** Diagnostics of a failed `preview --json` (they are in the JSON document on stdout). */
function previewErrors(stdout: string): string {
  try {
    const doc = parsePreviewJson(stdout);
    return (doc.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => `${d.message.trim()}\n`).join("");
  } catch {
    return stdout;
  }
}

/** Each changed file's catalog object, from rendering the stack's catalog as it is now (the state holds no origins). */
function withOrigins(plan: Plan, stack: StackConfig): Plan {
  if (!stack.catalogPath) return plan;
  const trees = runSandboxed<TreesResult>({ kind: "trees", catalog: loadCatalog(stack.catalogPath, { payloadRoots: stack.payloadRoots }), servers: stack.servers }).trees;
  const origin = new Map(trees.flatMap((t) => t.files.map((f) => [`${t.server}\0${f.path}`, f.origin] as const)));
  const files = Object.fromEntries(
    Object.entries(plan.files).map(([server, planned]) => [server, planned.map((f): PlannedFile => ({ ...f, ...(origin.has(`${server}\0${f.path}`) ? { origin: origin.get(`${server}\0${f.path}`)! } : {}) }))]),
  );
  return { ...plan, files };
}

export function planCommand(opts: PlanOptions): CommandResult {
  return guard(() => {
    const projectDir = path.resolve(opts.projectDir ?? process.cwd());
    const stack = readStackConfig(projectDir, opts.stack);
    const found = enginePlan(projectDir, opts.stack, { refresh: opts.refresh ?? false, servers: stack.servers.map((s) => s.name) });
    if (!("impact" in found)) return found;
    const plan = withOrigins(found, stack);
    const ctx: ReportContext = { servers: placesOf(stack.servers), files: plan.files, notes: plan.notes, warnings: plan.warnings };
    let note = "";
    if (opts.html) {
      fs.writeFileSync(opts.html, impactHtml(plan.impact, ctx, { title: `Provisioning plan: stack ${opts.stack}` }));
      note = `wrote ${opts.html}\n`;
    }
    const format = opts.format ?? "text";
    const body = format === "json" ? `${JSON.stringify(plan.impact, null, 2)}\n` : format === "markdown" ? impactMarkdown(plan.impact, ctx) : impactText(plan.impact, ctx);
    return ok(body, note);
  });
}
