// The environment every project command runs Pulumi with: the pinned CLI on PATH, a private
// PULUMI_HOME, the local file backend in the repository unless the user chose another one, and
// the documented development passphrase unless a real one is given; and, for start-up speed, a
// preload that defers two SDK modules Pulumi runs rarely need (defer-sdk-modules.js).
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..");
const DEFER_SDK_MODULES = path.join(__dirname, "defer-sdk-modules.js");

/** Passphrase of the demo and test stacks. Real stacks set PULUMI_CONFIG_PASSPHRASE(_FILE). */
const DEV_PASSPHRASE = "provisioning-dev-passphrase";

function toolchainBin() {
  try {
    return fs.readFileSync(path.join(repoRoot, ".toolchain-bin"), "utf8").trim();
  } catch {
    throw new Error("the Pulumi toolchain is not set up: run `npm run setup` (scripts/setup-toolchain)");
  }
}

function toolchainEnv(base = process.env) {
  const cache = path.join(base.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-provisioning");
  const env = { ...base };
  const bin = toolchainBin();
  env.PATH = [bin, path.join(repoRoot, "node_modules", ".bin"), base.PATH || ""].join(path.delimiter);
  env.PULUMI_HOME = base.PULUMI_HOME || path.join(cache, "pulumi-home");
  env.PULUMI_BACKEND_URL = base.PULUMI_BACKEND_URL || `file://${path.join(repoRoot, ".pulumi-state")}`;
  if (!base.PULUMI_CONFIG_PASSPHRASE && !base.PULUMI_CONFIG_PASSPHRASE_FILE) {
    env.PULUMI_CONFIG_PASSPHRASE = DEV_PASSPHRASE;
  }
  env.PULUMI_SKIP_UPDATE_CHECK = "true";
  env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
  // Reaches the program and the dynamic-provider host, which Pulumi starts as its own processes.
  const preload = `--require ${JSON.stringify(DEFER_SDK_MODULES)}`;
  if (!(base.NODE_OPTIONS || "").includes(preload)) env.NODE_OPTIONS = [base.NODE_OPTIONS, preload].filter(Boolean).join(" ");
  return env;
}

/**
 * The command line of `pulumi <args>` with the project's program (scripts/pulumi.ts), for
 * spawning without a shell. Node loads the TypeScript through tsx's require hook: tsx's own CLI
 * would start a second Node process first, about half a second on every run.
 */
function pulumiCommand(args) {
  return {
    command: process.execPath,
    args: ["--require", require.resolve("tsx/cjs", { paths: [repoRoot] }), path.join(repoRoot, "scripts", "pulumi.ts"), ...args],
  };
}

module.exports = { repoRoot, toolchainBin, toolchainEnv, pulumiCommand, DEV_PASSPHRASE };
