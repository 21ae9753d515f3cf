#!/usr/bin/env node
// Runs a command with the project's Pulumi environment (see toolchain-env.js).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const { toolchainEnv, repoRoot } = require("./toolchain-env");

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: with-toolchain <command> [args...]");
  process.exit(2);
}
const env = toolchainEnv();
if (env.PULUMI_BACKEND_URL.startsWith("file://")) {
  fs.mkdirSync(env.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
}
const result = spawnSync(command, args, { stdio: "inherit", env, cwd: process.cwd() || repoRoot });
if (result.error) {
  console.error(`with-toolchain: ${result.error.message}`);
  process.exit(127);
}
process.exit(result.status ?? 1);
