/**
 * The imperative edge of `plan` and `up --wave`: runs `provision pulumi <args>` (the Pulumi CLI
 * with the project's program, see pulumiHost.ts) in the project directory and hands back its
 * output. Arguments go to the process as an argv array, never through a shell.
 */
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { packageRoot } from "../packageRoot";

export interface EngineRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command line of `provision pulumi <args>`, for spawning without a shell. */
export function provisionPulumiCommand(args: readonly string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [path.join(packageRoot, "bin", "provision.js"), "pulumi", ...args] };
}

/** `pulumi <args>` in `projectDir`, output captured. */
export function runPulumi(projectDir: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): EngineRun {
  const { command, args: argv } = provisionPulumiCommand(args);
  const r = spawnSync(command, argv, { cwd: projectDir, env, encoding: "utf8", maxBuffer: 1024 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `pulumi preview --json --stack S`: the document on stdout, or the CLI's error. With `refresh`,
 * the engine first reads every file back from its child, so hand edits show up as updates.
 */
export function previewJson(projectDir: string, stack: string, opts: { refresh?: boolean } = {}): EngineRun {
  return runPulumi(projectDir, ["preview", "--json", "--stack", stack, ...(opts.refresh ? ["--refresh"] : [])]);
}

/** `pulumi <args>` in `projectDir`, without blocking: several stacks' runs at once. */
export function runPulumiAsync(projectDir: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<EngineRun> {
  const { command, args: argv } = provisionPulumiCommand(args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: projectDir, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}
