/**
 * `provision pulumi <args>`: the Pulumi CLI with the program of the project in the current
 * directory.
 *
 * With a standard Pulumi install the CLI starts its Node language host itself and this is a
 * plain pass-through. Where the CLI has no language host (the Go module proxy serves none, so
 * the toolchain this repository builds lacks it), the program's language runtime is hosted here,
 * in-process, as the Automation API does for inline programs, and the real CLI is pointed at it
 * with `--client`. The engine, its diff, previews, state and plugins are the CLI's own either way.
 */
import * as grpc from "@grpc/grpc-js";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { DEV_PASSPHRASE_KEY, type PulumiCli, findPulumi, hasLanguageHost, pulumiEnv } from "./toolchain";

/** Verbs that run the program, so need a language runtime. */
const PROGRAM_VERBS = new Set(["up", "update", "preview", "pre", "destroy", "refresh", "import", "watch"]);

interface ProjectFile {
  main?: string;
  stackConfigDir?: string;
  runtime?: string | { name?: string; options?: { typescript?: boolean } };
  backend?: { url?: string };
}

/** The Pulumi project of `dir` or a folder above it, as the CLI finds it. */
export function findProject(dir: string): { dir: string; project: ProjectFile } | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
      const file = path.join(d, name);
      if (fs.existsSync(file)) return { dir: d, project: (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as ProjectFile };
    }
    if (d === path.dirname(d)) return undefined;
  }
}

/**
 * The stack a command names (`--stack S`, `-s S`, `--stack=S`, or `stack init|select|rm S`),
 * without an organization prefix.
 */
export function stackArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = a === "--stack" || a === "-s" ? args[i + 1] : a.startsWith("--stack=") ? a.slice(8) : undefined;
    if (value) return value.split("/").pop();
  }
  if (args[0] === "stack" && ["init", "select", "rm"].includes(args[1] ?? "")) {
    for (let i = 2; i < args.length; i++) {
      if (VALUE_FLAGS.has(args[i]!)) i++;
      else if (!args[i]!.startsWith("-")) return args[i]!.split("/").pop();
    }
  }
  return undefined;
}

/** Global flags of the CLI that take no value. */
const GLOBAL_SWITCHES = ["--non-interactive", "--emoji", "--logtostderr", "--logflow", "--disable-integrity-checking", "--fully-qualify-stack-names", "-h", "--help"];
/** Flags of `pulumi stack init|select|rm` that take a value (the value is not the stack name). */
const VALUE_FLAGS = new Set(["--secrets-provider", "--copy-config-from", "--teams", "--cwd", "-C", "--color"]);

/** Whether the stack's config file opts in to the development passphrase. */
export function usesDevPassphrase(projectDir: string, project: ProjectFile, stack: string): boolean {
  const file = path.join(projectDir, project.stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
  try {
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    // Pulumi writes a config value back as a string ("true") when it rewrites the file.
    const value = doc?.config?.[DEV_PASSPHRASE_KEY];
    return value === true || value === "true";
  } catch {
    return false;
  }
}

function selectedStack(cli: PulumiCli, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(cli.bin, ["stack", "--show-name"], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return r.status === 0 ? r.stdout.trim().split("/").pop() || undefined : undefined;
}

/** The file backend's folder must exist before the CLI opens it. */
function ensureFileBackend(env: NodeJS.ProcessEnv, projectDir: string, project: ProjectFile): void {
  const url = env.PULUMI_BACKEND_URL || project.backend?.url;
  if (!url?.startsWith("file://")) return;
  const dir = url.slice("file://".length).split("?")[0]!;
  if (dir && !dir.startsWith("~")) fs.mkdirSync(path.resolve(projectDir, dir), { recursive: true });
}

/** A TypeScript program needs a loader from the project (tsx or ts-node), as Pulumi's own host does. */
function registerTypeScript(projectDir: string, main: string): void {
  for (const loader of ["tsx/cjs", "ts-node/register/transpile-only"]) {
    let resolved: string;
    try {
      resolved = require.resolve(loader, { paths: [projectDir] });
    } catch {
      continue;
    }
    require(resolved);
    return;
  }
  throw new Error(`the program ${main} is TypeScript: install tsx or ts-node in the project, or point Pulumi.yaml's main at compiled JavaScript`);
}

/** Requires the program afresh on every run: `up` without --skip-preview runs it twice. */
function inlineProgram(main: string): () => Promise<Record<string, unknown>> {
  return async () => {
    // The SDK captures a stack trace per resource and promise; mapping each through source maps
    // was a third of the program's CPU at fleet scale (bench/ANALYSIS.md).
    if (process.env.PROVISIONING_SOURCE_MAPS !== "1") process.setSourceMapsEnabled(false);
    for (const key of Object.keys(require.cache)) {
      if (!key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
    }
    return require(main) as Record<string, unknown>;
  };
}

async function runWithInlineHost(cli: PulumiCli, args: readonly string[], verbIndex: number, env: NodeJS.ProcessEnv, projectDir: string, project: ProjectFile): Promise<number> {
  // Internal modules of @pulumi/pulumi: the same ones the Automation API uses for inline programs.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { LanguageServer } = require("@pulumi/pulumi/automation/server");
  const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
  const { grpcChannelOptions } = require("@pulumi/pulumi/runtime");
  /* eslint-enable @typescript-eslint/no-require-imports */

  const main = path.resolve(projectDir, project.main ?? ".");
  const runtimeOptions = typeof project.runtime === "object" ? project.runtime.options : undefined;
  if (/\.[cm]?ts$/.test(main) || runtimeOptions?.typescript === true && !/\.[cm]?js$/.test(main)) registerTypeScript(projectDir, main);
  // The program reads its config and stack from the environment the CLI gives the host's
  // callbacks; anything else it needs (a passphrase check) from this process's environment.
  Object.assign(process.env, env);

  const server = new grpc.Server({ ...grpcChannelOptions });
  const languageServer = new LanguageServer(inlineProgram(main));
  server.addService(langrpc.LanguageRuntimeService, languageServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const cliArgs = [...args.slice(0, verbIndex + 1), `--client=127.0.0.1:${port}`, "--exec-kind=auto.inline", ...args.slice(verbIndex + 1)];
  const child = spawn(cli.bin, cliArgs, { stdio: "inherit", env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1))));
  languageServer.onPulumiExit(code !== 0);
  server.forceShutdown();
  return code;
}

/**
 * Where the command that runs the program is in `args`, or -1: only the command itself counts
 * (`stack import` and `config refresh` run no program).
 */
export function programVerbIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("-")) {
      // As the CLI reads them: a flag before the command takes the next argument as its value,
      // unless it is a switch or carries its value (`-s dev up`, `--non-interactive up`).
      if (!a.includes("=") && !GLOBAL_SWITCHES.includes(a)) i++;
      continue;
    }
    return PROGRAM_VERBS.has(a) ? i : -1;
  }
  return -1;
}

/** Runs `pulumi <args>` in the current directory's project; resolves with its exit code. */
export async function hostPulumi(args: readonly string[]): Promise<number> {
  const cli = findPulumi();
  const found = findProject(process.cwd());
  const baseEnv = pulumiEnv(cli, { devPassphrase: false });
  let devPassphrase = false;
  if (found && !process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    const stack = stackArg(args) ?? selectedStack(cli, found.dir, baseEnv);
    devPassphrase = stack !== undefined && usesDevPassphrase(found.dir, found.project, stack);
  }
  const env = pulumiEnv(cli, { devPassphrase });
  if (found) ensureFileBackend(env, found.dir, found.project);
  const verbIndex = programVerbIndex(args);
  if (verbIndex < 0 || !found || hasLanguageHost(cli)) {
    return spawnSync(cli.bin, args, { stdio: "inherit", env }).status ?? 1;
  }
  return runWithInlineHost(cli, args, verbIndex, env, found.dir, found.project);
}
