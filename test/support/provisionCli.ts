// Runs the `provision` CLI (bin/provision.js) as a user would, against a test project: the
// project's own Pulumi environment (its file backend), arguments as an argv array.
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Impact } from "../../src/impact";
import { repoRoot, type PulumiProject, type RunResult } from "./pulumi";

export function provision(project: PulumiProject, args: readonly string[]): Promise<RunResult> {
  return runProvision(args, { cwd: project.dir, env: project.env });
}

/** `provision <args>` in `cwd` (default: here) with `env` (default: this process's); with `timeoutMs`, killed and rejected when it takes longer. */
export function runProvision(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "provision.js"), ...args], {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`provision ${args.join(" ")} did not finish within ${opts.timeoutMs} ms\n${stdout}\n${stderr}`));
          }, opts.timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** `provision <args>` that must exit 0. */
export async function provisionOk(project: PulumiProject, args: readonly string[]): Promise<RunResult> {
  const r = await provision(project, args);
  if (r.code !== 0) throw new Error(`provision ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `provision plan --stack S --project DIR --json`: the engine's plan in the impact shape. */
export async function planJson(project: PulumiProject): Promise<Impact> {
  const r = await provisionOk(project, ["plan", "--stack", project.stack, "--project", project.dir, "--json"]);
  return JSON.parse(r.stdout) as Impact;
}
