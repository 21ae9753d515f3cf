// npm links the bins of dependencies, not the project's own: link `provision` so that
// `npx provision …` in this checkout runs this project's CLI (and never fetches a namesake).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const binDir = path.join(__dirname, "..", "node_modules", ".bin");
const link = path.join(binDir, "provision");
fs.mkdirSync(binDir, { recursive: true });
fs.rmSync(link, { force: true });
fs.symlinkSync(path.join("..", "..", "bin", "provision.js"), link);
fs.chmodSync(path.join(__dirname, "..", "bin", "provision.js"), 0o755);
