/**
 * `provision up --stack S --wave N`: applies one rollout wave. The plan names every step of the
 * wave's servers (the server, its bootstrap, its files, including deletions); `pulumi up` then
 * runs with exactly those URNs as `--target`s, so no other server is touched.
 */
import * as path from "node:path";
import type { Plan } from "../../../src/plan/fromPreview";
import { type StackConfig, readStackConfig } from "../../../src/stackConfig";
import { visibleText } from "../../../src/util/visibleText";
import { runPulumi } from "../engine";
import { type CommandResult, guard, ok } from "../result";
import { enginePlan } from "./plan";

export interface UpOptions {
  readonly stack: string;
  readonly wave: number;
  /** @default process.cwd() */
  readonly projectDir?: string;
}

/** A wave's servers, and the arguments of the `pulumi up` that applies exactly their steps (none: nothing to do). */
export function waveUp(stack: StackConfig, wave: number, plan: Plan): { members: string[]; touched: string[]; args?: string[] } {
  const members = stack.servers.filter((s) => (s.wave ?? 0) === wave).map((s) => s.name);
  const urns = members.flatMap((m) => plan.urns[m] ?? []);
  const touched = members.filter((m) => plan.impact.touched.includes(m));
  return { members, touched, ...(urns.length ? { args: ["up", "--yes", "--skip-preview", "--stack", stack.stack, ...urns.flatMap((u) => ["--target", u])] } : {}) };
}

export const noSuchWave = (stack: StackConfig, wave: number) => !stack.servers.some((s) => (s.wave ?? 0) === wave);

export function upCommand(opts: UpOptions): CommandResult {
  return guard(() => {
    const projectDir = path.resolve(opts.projectDir ?? process.cwd());
    const stack = readStackConfig(projectDir, opts.stack);
    if (noSuchWave(stack, opts.wave)) return { stdout: "", stderr: `provision: no server of stack ${visibleText(opts.stack)} is in wave ${opts.wave}\n`, exitCode: 1 };
    const plan = enginePlan(projectDir, opts.stack, { servers: stack.servers.map((s) => s.name) });
    if (!("impact" in plan)) return plan;
    const { members, touched, args } = waveUp(stack, opts.wave, plan);
    const header = `wave ${opts.wave}: ${visibleText(members.join(", "))} (${touched.length} touched)\n`;
    // The engine's own output, as it prints it, but never a raw control.
    const shown = (text: string) => visibleText(text, "\n\t");
    if (!args) return ok(`${header}nothing to do\n`);
    const run = runPulumi(projectDir, args);
    if (run.code !== 0) return { stdout: `${header}${shown(run.stdout)}`, stderr: `provision: pulumi up failed (exit ${run.code})\n${shown(run.stderr)}`, exitCode: 1 };
    return ok(`${header}${shown(run.stdout)}`, shown(run.stderr));
  });
}
