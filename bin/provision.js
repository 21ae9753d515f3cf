#!/usr/bin/env node
// The `provision` command: compiled JavaScript in dist/ (`npm run build` in a checkout).
"use strict";
let cli;
try {
  cli = require("../dist/components/cli/main.js");
} catch (e) {
  if (e && e.code === "MODULE_NOT_FOUND" && /dist[\\/]components[\\/]cli[\\/]main/.test(e.message)) {
    console.error("provision: not built yet: run `npm run build` (npm install does it) in this checkout");
    process.exit(1);
  }
  throw e;
}
cli.main(process.argv.slice(2)).then(
  () => {
    // `provision pulumi` leaves the SDK's handles open after the run; nothing else is pending.
    if (process.argv[2] === "pulumi") process.exit(process.exitCode ?? 0);
  },
  (e) => {
    console.error(`provision: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  },
);
