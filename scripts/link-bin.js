// npm links the bins of dependencies, not the project's own: link `provision` so that
// `npx provision …` in this checkout runs this checkout's CLI (and never fetches a namesake).
// The package also links itself under its name: Pulumi's dynamic-provider host, started in a
// program's directory, finds the providers by package name (components/dynamicResource.ts), as it
// does in a project that installed the package.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const modules = path.join(root, "node_modules");
const replaceLink = (link, target) => {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true, recursive: false });
  fs.symlinkSync(target, link);
};
replaceLink(path.join(modules, ".bin", "provision"), path.join("..", "..", "bin", "provision.js"));
fs.chmodSync(path.join(root, "bin", "provision.js"), 0o755);
replaceLink(path.join(modules, require(path.join(root, "package.json")).name), "..");
