/**
 * `provision up --stack S [--wave N]`: applies one rollout wave. The plan names every step of the
 * wave's servers (the server, its bootstrap, its files, including deletions); `pulumi up` then
 * runs with exactly those URNs as `--target`s, so no other server is touched. Without `--wave`,
 * every wave of the stack in ascending order, one targeted `pulumi up` each, stopping at the
 * first that fails.
 */
import * as path from "node:path";
import type { Plan } from "../../../src/plan/fromPreview";
import { parseUrn } from "../../../src/plan/urn";
import { placesOf, rolloutOrder } from "../../../src/report/reportContext";
import { type StackConfig, readStackConfig } from "../../../src/stackConfig";
import { compareStrings } from "../../../src/util/canonical";
import { visibleText } from "../../../src/util/visibleText";
import { waveBarrierName } from "../../names";
import { runPulumi } from "../engine";
import { type CommandResult, guard, ok } from "../result";
import { enginePlan } from "./plan";

export interface UpOptions {
  readonly stack: string;
  /** Only this wave. @default - every wave of the stack, in ascending order, stopping at the first that fails */
  readonly wave?: number;
  /** @default process.cwd() */
  readonly projectDir?: string;
}

/** The wave numbers the stack's servers have, in rollout order (ascending; a server without `wave` is in wave 0). */
export const stackWaves = (stack: StackConfig): number[] => rolloutOrder(stack.servers.map((s) => s.name), { servers: placesOf(stack.servers) }).map(([wave]) => wave);

/**
 * A wave's servers, and the arguments of the `pulumi up` that applies exactly their steps (none:
 * nothing to do), with what they hang on that is new: the central component and the stack key
 * (a new stack), and the barrier after this wave, which waits for its servers. Another wave's
 * barrier is that wave's.
 */
export function waveUp(stack: StackConfig, wave: number, plan: Plan): { members: string[]; touched: string[]; args?: string[] } {
  const members = stack.servers.filter((s) => (s.wave ?? 0) === wave).map((s) => s.name);
  const barriers = new Map(stackWaves(stack).map((w) => [waveBarrierName(w), w]));
  const shared = (plan.shared ?? []).filter((u) => (barriers.get(parseUrn(u)?.name ?? "") ?? wave) === wave);
  const urns = [...shared, ...members.flatMap((m) => plan.urns[m] ?? [])];
  const touched = members.filter((m) => plan.impact.touched.includes(m));
  return { members, touched, ...(urns.length ? { args: ["up", "--yes", "--skip-preview", "--stack", stack.stack, ...urns.flatMap((u) => ["--target", u])] } : {}) };
}

export const noSuchWave = (stack: StackConfig, wave: number) => !stack.servers.some((s) => (s.wave ?? 0) === wave);

/** Servers the plan changes that no wave holds: gone from the stack's config, their removal is the stack's as a whole. */
export const outsideWaves = (stack: StackConfig, plan: Plan): string[] =>
  Object.keys(plan.urns)
    .filter((name) => (plan.urns[name]?.length ?? 0) > 0 && !stack.servers.some((s) => s.name === name))
    .sort(compareStrings);

// The engine's own output, as it prints it, but never a raw control.
const shown = (text: string) => visibleText(text, "\n\t");

/** One wave applied from `plan`: its header line, then the engine's output; `failed` is the engine's exit code. */
function applyWave(projectDir: string, stack: StackConfig, wave: number, plan: Plan): { stdout: string; stderr: string; failed?: number } {
  const { members, touched, args } = waveUp(stack, wave, plan);
  const header = `wave ${wave}: ${visibleText(members.join(", "))} (${touched.length} touched)\n`;
  if (!args) return { stdout: `${header}nothing to do\n`, stderr: "" };
  const run = runPulumi(projectDir, args);
  return { stdout: `${header}${shown(run.stdout)}`, stderr: shown(run.stderr), ...(run.code !== 0 ? { failed: run.code } : {}) };
}

export function upCommand(opts: UpOptions): CommandResult {
  return guard(() => {
    const projectDir = path.resolve(opts.projectDir ?? process.cwd());
    const stack = readStackConfig(projectDir, opts.stack);
    if (opts.wave === undefined) return everyWave(projectDir, stack);
    if (noSuchWave(stack, opts.wave)) return { stdout: "", stderr: `provision: no server of stack ${visibleText(opts.stack)} is in wave ${opts.wave}\n`, exitCode: 1 };
    const plan = enginePlan(projectDir, opts.stack, { servers: stack.servers.map((s) => s.name) });
    if (!("impact" in plan)) return plan;
    const r = applyWave(projectDir, stack, opts.wave, plan);
    if (r.failed !== undefined) return { stdout: r.stdout, stderr: `provision: pulumi up failed (exit ${r.failed})\n${r.stderr}`, exitCode: 1 };
    return ok(r.stdout, r.stderr);
  });
}

/** Every wave in rollout order; the first that fails (its plan or its update) stops the rest, named. */
function everyWave(projectDir: string, stack: StackConfig): CommandResult {
  const name = visibleText(stack.stack);
  const waves = stackWaves(stack);
  // Nothing to roll out is more likely a wrong stack or project than a finished rollout.
  if (waves.length === 0) return { stdout: "", stderr: `provision: stack ${name} has no servers (provisioning:servers): no wave to roll out\n`, exitCode: 1 };
  const notRun = (from: number) => (from < waves.length ? `; not run: ${waves.slice(from).map((w) => `wave ${w}`).join(", ")}` : "");
  let stdout = "";
  let stderr = "";
  let outside: string[] = [];
  for (const [i, wave] of waves.entries()) {
    // A fresh plan for each wave: a server's inputs may hang on outputs (the stack key, an address
    // from another resource) that an earlier wave's update settles, and a step one plan made up
    // front saw as "same" would be left out of its wave's targets without a word. One preview per
    // wave is cheap beside an update that writes to every child of the wave.
    const plan = enginePlan(projectDir, stack.stack, { servers: stack.servers.map((s) => s.name) });
    if (!("impact" in plan)) return { stdout, stderr: `${stderr}provision: the plan before wave ${wave} failed${notRun(i)}\n${plan.stderr}`, exitCode: 1 };
    if (i === 0) outside = outsideWaves(stack, plan);
    const r = applyWave(projectDir, stack, wave, plan);
    stdout += r.stdout;
    if (r.failed !== undefined) return { stdout, stderr: `${stderr}provision: wave ${wave} failed (pulumi up exit ${r.failed})${notRun(i + 1)}\n${r.stderr}`, exitCode: 1 };
    stderr += r.stderr;
  }
  if (outside.length > 0) stdout += `not in any wave: ${visibleText(outside.join(", "))} (no longer in provisioning:servers): \`provision pulumi up --stack ${name}\` applies their removal\n`;
  return ok(stdout, stderr);
}
