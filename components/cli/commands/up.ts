/**
 * `provision up --stack S --wave N`: applies one rollout wave. The plan names every step of the
 * wave's servers (the server, its bootstrap, its files, including deletions); `pulumi up` then
 * runs with exactly those URNs as `--target`s, so no other server is touched.
 */
import * as path from "node:path";
import { readStackConfig } from "../../../src/stackConfig";
import { runPulumi } from "../engine";
import { type CommandResult, guard, ok } from "../result";
import { enginePlan } from "./plan";

export interface UpOptions {
  readonly stack: string;
  readonly wave: number;
  /** @default process.cwd() */
  readonly projectDir?: string;
}

export function upCommand(opts: UpOptions): CommandResult {
  return guard(() => {
    const projectDir = path.resolve(opts.projectDir ?? process.cwd());
    const stack = readStackConfig(projectDir, opts.stack);
    const members = stack.servers.filter((s) => (s.wave ?? 0) === opts.wave).map((s) => s.name);
    if (members.length === 0) return { stdout: "", stderr: `provision: no server of stack ${opts.stack} is in wave ${opts.wave}\n`, exitCode: 1 };
    const plan = enginePlan(projectDir, opts.stack, { servers: stack.servers.map((s) => s.name) });
    if (!("impact" in plan)) return plan;
    const urns = members.flatMap((m) => plan.urns[m] ?? []);
    const touched = members.filter((m) => plan.impact.touched.includes(m));
    const header = `wave ${opts.wave}: ${members.join(", ")} (${touched.length} touched)\n`;
    if (urns.length === 0) return ok(`${header}nothing to do\n`);
    const run = runPulumi(projectDir, ["up", "--yes", "--skip-preview", "--stack", opts.stack, ...urns.flatMap((u) => ["--target", u])]);
    if (run.code !== 0) return { stdout: `${header}${run.stdout}`, stderr: `provision: pulumi up failed (exit ${run.code})\n${run.stderr}`, exitCode: 1 };
    return ok(`${header}${run.stdout}`, run.stderr);
  });
}
