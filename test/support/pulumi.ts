// Drives the real Pulumi CLI (through `provision pulumi`, the project's `npm run pulumi`) in a
// throwaway project directory with its own file backend.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";

import { provisionPulumiCommand as pulumiCommand } from "../../components/cli/engine";
import { packageRoot as repoRoot } from "../../components/packageRoot";
export { repoRoot };

/** Passphrase of every test stack: tests set their own, the development one serves only the demo stacks. */
export const TEST_PASSPHRASE = "provisioning-test-passphrase";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { parent?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { parent?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  detailedDiff?: Record<string, unknown>;
  diffReasons?: string[];
}

export interface PreviewJson {
  steps: PreviewStep[];
  changeSummary: Record<string, number>;
  diagnostics?: { message: string; severity: string; urn?: string }[];
}

export class PulumiProject {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly dir: string,
    readonly stack: string,
    extraEnv: NodeJS.ProcessEnv = {},
  ) {
    const state = path.join(dir, ".state");
    fs.mkdirSync(state, { recursive: true });
    this.env = { ...process.env, PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, ...extraEnv };
  }

  /** Runs `pulumi <args>` in the project; resolves with the exit code and both streams. */
  run(args: string[], opts: { input?: string; signal?: AbortSignal; onSpawn?: (pid: number) => void } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const { command, args: argv } = pulumiCommand(args);
      const child = spawn(command, argv, {
        cwd: this.dir,
        env: this.env,
        stdio: ["pipe", "pipe", "pipe"],
      });
      if (child.pid && opts.onSpawn) opts.onSpawn(child.pid);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      child.stdin.end(opts.input ?? "");
    });
  }

  /** Runs and fails with both streams when the exit code is not 0. */
  async ok(args: string[]): Promise<RunResult> {
    const result = await this.run(args);
    if (result.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  async up(extra: string[] = []): Promise<RunResult> {
    return this.ok(["up", "--yes", "--skip-preview", "--stack", this.stack, ...extra]);
  }

  async preview(extra: string[] = []): Promise<PreviewJson> {
    const result = await this.ok(["preview", "--json", "--stack", this.stack, ...extra]);
    return JSON.parse(result.stdout) as PreviewJson;
  }

  /** Sets a config value; the value travels on stdin, so it is never in an argument list or error. */
  async setConfig(key: string, value: string, secret = false): Promise<void> {
    const args = ["config", "set", "--stack", this.stack, secret ? "--secret" : "--plaintext", key];
    const result = await this.run(args, { input: value });
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${result.code}\n${result.stderr}`);
  }

  async destroy(): Promise<void> {
    await this.run(["destroy", "--yes", "--skip-preview", "--stack", this.stack]);
  }
}

/**
 * A temporary Pulumi project: `Pulumi.yaml`, the stack's config file (in `stacks/`, as in this
 * repository) and a link to the repository's node_modules (the dynamic-provider host loads
 * from there).
 */
export async function createProject(opts: {
  name?: string;
  stack: string;
  main: string;
  config?: Record<string, unknown>;
  files?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}): Promise<PulumiProject> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-project-"));
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    stringify({
      name: opts.name ?? "provisioning",
      runtime: "nodejs",
      main: opts.main,
      stackConfigDir: "stacks",
    }),
  );
  for (const [file, text] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  fs.mkdirSync(path.join(dir, "stacks"), { recursive: true });
  fs.writeFileSync(path.join(dir, "stacks", `Pulumi.${opts.stack}.yaml`), stringify({ config: opts.config ?? {} }));
  const project = new PulumiProject(dir, opts.stack, opts.env);
  await project.ok(["stack", "init", opts.stack]);
  return project;
}

/** Steps that change something (everything but `same`). */
export const changes = (preview: PreviewJson) => preview.steps.filter((s) => s.op !== "same");
