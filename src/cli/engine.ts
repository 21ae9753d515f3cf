/**
 * The imperative edge of `plan` and `up --wave`: runs the project's Pulumi CLI (scripts/pulumi.ts,
 * the same as `npm run pulumi`) in the project directory and hands back its output. Arguments
 * go to the process as an argv array, never through a shell.
 */
import { spawnSync } from "node:child_process";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { toolchainEnv, pulumiCommand } = require("../../scripts/toolchain-env") as {
  toolchainEnv: (base?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  pulumiCommand: (args: readonly string[]) => { command: string; args: string[] };
};

export interface EngineRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `pulumi <args>` in `projectDir` through scripts/pulumi.ts, output captured. */
export function runPulumi(projectDir: string, args: readonly string[]): EngineRun {
  const { command, args: argv } = pulumiCommand(args);
  const r = spawnSync(command, argv, {
    cwd: projectDir,
    env: toolchainEnv(process.env),
    encoding: "utf8",
    maxBuffer: 1024 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
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
