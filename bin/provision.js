#!/usr/bin/env node
// Launcher: the CLI is TypeScript, run through tsx's CommonJS hook (no build step).
"use strict";
require("tsx/cjs");
require("../src/cli/main.ts").main(process.argv.slice(2));
