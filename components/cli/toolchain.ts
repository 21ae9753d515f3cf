/**
 * Where the Pulumi CLI is, and the environment a Pulumi run gets from `provision pulumi`.
 *
 * In this repository (a checkout holding scripts/setup-toolchain) the pinned CLI is used, built
 * from Go modules on first use and cached; every command that needs it sets it up itself. An
 * installed copy of the package uses the `pulumi` on PATH, as any Pulumi program does.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageRoot } from "../packageRoot";

/** A failure to find or set up the CLI: one clear line for the user, no stack trace. */
export class ToolchainError extends Error {
  override readonly name = "ToolchainError";
}

export interface PulumiCli {
  /** Real path of the `pulumi` binary. */
  readonly bin: string;
  /** The pinned toolchain of this repository (private PULUMI_HOME, no plugin downloads). */
  readonly pinned: boolean;
}

const SETUP_SCRIPT = path.join(packageRoot, "scripts", "setup-toolchain");
const TOOLCHAIN_FILE = path.join(packageRoot, ".toolchain-bin");

function pinnedBin(): string | undefined {
  try {
    const dir = fs.readFileSync(TOOLCHAIN_FILE, "utf8").trim();
    return fs.existsSync(path.join(dir, "pulumi")) ? path.join(dir, "pulumi") : undefined;
  } catch {
    return undefined;
  }
}

function onPath(name: string, pathVar = process.env.PATH ?? ""): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return fs.realpathSync(candidate);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * The CLI to run. In this repository: the pinned toolchain, set up now if it is not yet (the
 * first time builds it, about ten minutes; later a quick check). Installed: `pulumi` on PATH.
 */
export function findPulumi(): PulumiCli {
  if (fs.existsSync(SETUP_SCRIPT)) {
    let bin = pinnedBin();
    if (!bin) {
      process.stderr.write("provision: setting up the pinned Pulumi CLI (scripts/setup-toolchain; once, then cached)\n");
      const r = spawnSync(SETUP_SCRIPT, [], { stdio: ["ignore", process.stderr, process.stderr] });
      bin = pinnedBin();
      if (r.status !== 0 || !bin) throw new ToolchainError(`setting up the Pulumi CLI failed (scripts/setup-toolchain exited ${r.status ?? r.signal}); see its messages above`);
    }
    return { bin: fs.realpathSync(bin), pinned: true };
  }
  const bin = onPath("pulumi");
  if (!bin) throw new ToolchainError(`the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/), version ${MIN_CLI} or later`);
  const version = spawnSync(bin, ["version"], { encoding: "utf8" }).stdout?.trim() ?? "";
  if (!supportedCli(version)) {
    // Older engines replace a resource whose provider changes (0.6 moved every server to a provider
    // of its own): the replaced resource's delete would remove what the child holds.
    throw new ToolchainError(`the Pulumi CLI on PATH (${bin}) is ${version || "of an unknown version"}: this package needs ${MIN_CLI} or later`);
  }
  return { bin, pinned: false };
}

/** The oldest Pulumi CLI this package runs with (the one its tests pin). */
export const MIN_CLI = "3.248.0";

/** Whether `pulumi version` printed MIN_CLI or later. */
export function supportedCli(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const [want, have] = [MIN_CLI.split(".").map(Number), m.slice(1, 4).map(Number)];
  for (let i = 0; i < 3; i++) if (have[i]! !== want[i]!) return have[i]! > want[i]!;
  return true;
}

/** Whether Pulumi's Node language host sits beside the CLI (a standard install has it). */
export function hasLanguageHost(cli: PulumiCli): boolean {
  return fs.existsSync(path.join(path.dirname(cli.bin), "pulumi-language-nodejs"));
}

/** Passphrase of the demo stacks this repository ships (see DEV_PASSPHRASE_KEY). Public: it is printed in the README. */
export const DEV_PASSPHRASE = "provisioning-dev-passphrase";
/**
 * Stack config key by which a stack opts in to the development passphrase: only the demo stacks
 * (`dev`, `boot-demo`) set it. Any other stack needs its own passphrase or secrets provider.
 */
export const DEV_PASSPHRASE_KEY = "provisioning:devPassphrase";

/**
 * The environment of a Pulumi run: the CLI's folder first on PATH; for the pinned toolchain a
 * private PULUMI_HOME and no update checks or plugin downloads; a preload that defers SDK
 * modules a run never uses; and the development passphrase for a stack that opted in to it.
 */
export function pulumiEnv(cli: PulumiCli, opts: { devPassphrase: boolean }, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, PATH: [path.dirname(cli.bin), base.PATH ?? ""].join(path.delimiter) };
  if (cli.pinned) {
    const cache = path.join(base.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-provisioning");
    env.PULUMI_HOME = base.PULUMI_HOME || path.join(cache, "pulumi-home");
    env.PULUMI_SKIP_UPDATE_CHECK = "true";
    env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
  }
  // Compiled only: a process started without a TypeScript loader cannot preload the source.
  const preload = path.join(__dirname, "deferSdkModules.js");
  if (fs.existsSync(preload)) {
    const flag = `--require ${JSON.stringify(preload)}`;
    if (!(base.NODE_OPTIONS ?? "").includes(flag)) env.NODE_OPTIONS = [base.NODE_OPTIONS, flag].filter(Boolean).join(" ");
  }
  if (opts.devPassphrase && !base.PULUMI_CONFIG_PASSPHRASE && !base.PULUMI_CONFIG_PASSPHRASE_FILE) env.PULUMI_CONFIG_PASSPHRASE = DEV_PASSPHRASE;
  return env;
}
