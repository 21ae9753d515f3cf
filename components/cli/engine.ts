/**
 * The imperative edge of `plan` and `up --wave`: runs `provision pulumi <args>` (the Pulumi CLI
 * with the project's program, see pulumiHost.ts) in the project directory and hands back its
 * output. Arguments go to the process as an argv array, never through a shell.
 */
import { spawnSync } from "node:child_process";
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
