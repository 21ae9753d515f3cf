/**
 * Site stacks: one stack per site (or region), one catalog. `provision plan --stacks GLOB`
 * previews every matching stack at once (each its own Pulumi CLI process, at most `parallel` at a
 * time) and prints one report, servers named `<stack>/<server>`; `provision up --stacks GLOB
 * [--wave N]` applies them the same way and says, per stack, what happened. Each stack keeps its
 * own state and lock in the backend (a file backend, or PostgreSQL shared by many runners), so
 * runners may apply different sites at the same time; Pulumi does the locking, not this.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import picomatch from "picomatch";
import { CatalogError } from "../../../src/catalog/errors";
import { type StackPlan, mergeStackPlans, stackServer } from "../../../src/plan/mergePlans";
import type { Plan } from "../../../src/plan/fromPreview";
import { placesOf, type ReportContext } from "../../../src/report/reportContext";
import type { ChangeGroup } from "../../../src/review/changeGroups";
import { groupChanges } from "../../../src/review/changeGroups";
import { type Contents, mergeContents } from "../../../src/review/contents";
import type { PlannedFile } from "../../../src/review/plannedFile";
import { type StackConfig, readStackConfig, stackFilePath } from "../../../src/stackConfig";
import { visibleText } from "../../../src/util/visibleText";
import { limiter } from "../../limit";
import { renderAtBase } from "../baseRevision";
import { runPulumiAsync } from "../engine";
import { type CommandResult, guard } from "../result";
import { type InstallerFile, mergeInstallerFiles } from "../../../src/render/installerFiles";
import { checkInstallerFiles } from "../../installerValidators";
import { type PlanOptions, planOfPreview, planOutput, renderNow, reviewOf, validatorsContext } from "./plan";
import { noSuchWave, waveUp } from "./up";

export interface SitesOptions {
  /** A glob over stack names, e.g. `site-*`: the stacks whose files `stacks/Pulumi.<name>.yaml` match. */
  readonly stacks: string;
  /** At most this many stacks at once (each a Pulumi CLI run). @default 4 */
  readonly parallel?: number;
  /** @default process.cwd() */
  readonly projectDir?: string;
}

/** Stack names whose stack files match the glob, sorted; none is an error naming where it looked. */
export function stacksMatching(projectDir: string, glob: string): string[] {
  const dir = path.dirname(stackFilePath(projectDir, "x"));
  const isMatch = picomatch(glob);
  const names = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined && isMatch(n))
    .sort();
  if (names.length === 0) throw new CatalogError([{ file: dir, line: 0, path: "--stacks", message: `no stack file Pulumi.<stack>.yaml with a stack name matching ${JSON.stringify(glob)}`, severity: "error" }]);
  return names;
}

const seconds = (t0: number) => `${Math.round((Date.now() - t0) / 1000)} s`;

/** Runs `task` for every stack, at most `parallel` at once, keeping the stacks' order. */
async function eachStack<T>(names: readonly string[], parallel: number, task: (name: string) => Promise<T>): Promise<T[]> {
  const gate = limiter(Math.max(1, parallel));
  return Promise.all(names.map((n) => gate(() => task(n))));
}

interface StackReview {
  readonly stack?: StackConfig;
  readonly plan?: Plan;
  readonly contents?: Contents;
  readonly installerFiles?: InstallerFile[];
  readonly failure?: string;
}

/** The stacks a glob names, or the located error saying none does. */
function listed(projectDir: string, glob: string): string[] | CommandResult {
  let names: string[] = [];
  const failed = guard(() => {
    names = stacksMatching(projectDir, glob);
    return { stdout: "", stderr: "", exitCode: 0 };
  });
  return failed.exitCode !== 0 ? failed : names;
}

/** What went wrong for one stack, in one message (a bad catalog as its located issues). */
function failureOf(e: unknown): string {
  try {
    return guard(() => {
      throw e;
    }).stderr.trim();
  } catch {
    return (e as Error).message ?? String(e);
  }
}

export async function sitesPlanCommand(opts: SitesOptions & Pick<PlanOptions, "format" | "html" | "refresh" | "base">): Promise<CommandResult> {
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  const names = listed(projectDir, opts.stacks);
  if (!Array.isArray(names)) return names;
  const reviews = await eachStack(names, opts.parallel ?? 4, async (name): Promise<StackReview & { name: string }> => {
    try {
      const stack = readStackConfig(projectDir, name);
      const base = opts.base !== undefined ? renderAtBase(opts.base, stack, projectDir) : undefined;
      const found = planOfPreview(await runPulumiAsync(projectDir, ["preview", "--json", "--stack", name, ...(opts.refresh ? ["--refresh"] : [])]), name, stack.servers.map((s) => s.name));
      if (!("impact" in found)) return { name, stack, failure: found.stderr.trim() };
      const now = renderNow(stack);
      const { plan, contents } = reviewOf(found, now.trees, base);
      // Servers as the report names them: `<stack>/<server>`.
      return { name, stack, plan, contents, installerFiles: now.installerFiles.map((f) => ({ ...f, server: `${name}/${f.server}` })) };
    } catch (e) {
      return { name, failure: failureOf(e) };
    }
  });
  const failed = reviews.filter((r) => r.failure !== undefined);
  if (failed.length > 0) return { stdout: "", stderr: failed.map((r) => `provision: stack ${visibleText(r.name)}: ${visibleText(r.failure!, "\n\t")}\n`).join(""), exitCode: 1 };
  const stackPlans: StackPlan[] = reviews.map((r) => ({ stack: r.name, plan: r.plan!, places: placesOf(r.stack!.servers) }));
  const { plan, places } = mergeStackPlans(stackPlans);
  // One diff for every server of every site it reaches.
  const changes: ChangeGroup[] = groupChanges(plan.files as Record<string, readonly PlannedFile[]>, mergeContents(...reviews.map((r) => r.contents!)));
  // One catalog reaches every site: each distinct file is checked once.
  const validators = validatorsContext(checkInstallerFiles(mergeInstallerFiles(reviews.map((r) => r.installerFiles ?? [])), { withServer: true }));
  const ctx: ReportContext = { servers: places, files: plan.files, notes: plan.notes, warnings: plan.warnings, changes, validators };
  return planOutput(plan, changes, ctx, { ...(opts.format ? { format: opts.format } : {}), ...(opts.html ? { html: opts.html } : {}), title: `Provisioning plan: stacks ${names.join(", ")}` });
}

export async function sitesUpCommand(opts: SitesOptions & { readonly wave?: number }): Promise<CommandResult> {
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  const names = listed(projectDir, opts.stacks);
  if (!Array.isArray(names)) return names;
  const results = await eachStack(names, opts.parallel ?? 4, async (name): Promise<{ line: string; ok: boolean; log: string }> => {
    const t0 = Date.now();
    try {
      const stack = readStackConfig(projectDir, name);
      let args = ["up", "--yes", "--skip-preview", "--stack", name];
      let what = "all servers";
      if (opts.wave !== undefined) {
        if (noSuchWave(stack, opts.wave)) return { line: `${name}: no server in wave ${opts.wave}`, ok: true, log: "" };
        const found = planOfPreview(await runPulumiAsync(projectDir, ["preview", "--json", "--stack", name]), name, stack.servers.map((s) => s.name));
        if (!("impact" in found)) return { line: `${name}: failed after ${seconds(t0)}: ${lastLine(found.stderr)}`, ok: false, log: found.stderr };
        const wave = waveUp(stack, opts.wave, found);
        what = `wave ${opts.wave}: ${wave.members.map((m) => stackServer(name, m)).join(", ")}`;
        if (!wave.args) return { line: `${name}: ${what}: nothing to do`, ok: true, log: "" };
        args = wave.args;
      }
      const run = await runPulumiAsync(projectDir, args);
      if (run.code !== 0) return { line: `${name}: failed after ${seconds(t0)} (exit ${run.code}): ${lastLine(run.stderr || run.stdout)}`, ok: false, log: `${run.stdout}${run.stderr}` };
      return { line: `${name}: ${what}: ${changeSummary(run.stdout)} in ${seconds(t0)}`, ok: true, log: "" };
    } catch (e) {
      const failure = failureOf(e);
      return { line: `${name}: failed after ${seconds(t0)}: ${failure.split("\n")[0]}`, ok: false, log: failure };
    }
  });
  const failedLogs = results.filter((r) => !r.ok).map((r) => visibleText(r.log.trim(), "\n\t")).filter(Boolean);
  // A stack's name is a file name and its line quotes the engine: one visible line per stack.
  const out = `${results.map((r) => visibleText(r.line)).join("\n")}\n`;
  const bad = results.filter((r) => !r.ok).length;
  return bad === 0 ? { stdout: out, stderr: "", exitCode: 0 } : { stdout: out, stderr: `provision: ${bad} of ${results.length} stacks failed\n${failedLogs.join("\n\n")}\n`, exitCode: 1 };
}

const lastLine = (text: string) => text.trim().split("\n").filter((l) => l.trim() && !/^\s*$/.test(l)).slice(-1)[0]?.trim() ?? "";

/** The engine's summary of an update (`3 updated, 1 created`), from its `Resources:` block. */
function changeSummary(stdout: string): string {
  const block = stdout.slice(stdout.lastIndexOf("Resources:"));
  const parts = [...block.matchAll(/^\s+[~+\-±]+ (\d+) (updated|created|deleted|replaced)/gm)].map((m) => `${m[1]} ${m[2]}`);
  return parts.length ? parts.join(", ") : "no changes";
}
