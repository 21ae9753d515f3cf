// A project elsewhere on disk that has the package installed, as `npm install` would leave it:
// its own copy of the package's files (what `npm pack` ships) under node_modules, and the
// package's dependencies beside it (linked from this repository's node_modules).
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../../components/packageRoot";

const PACKAGE = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { name: string; files: string[] };

/** Copies what the package ships into `<project>/node_modules/<name>` and links every other package. */
export function installPackageInto(project: string): string {
  const modules = path.join(project, "node_modules");
  fs.mkdirSync(modules, { recursive: true });
  const own = path.join(modules, PACKAGE.name);
  for (const entry of ["package.json", ...PACKAGE.files.filter((f) => !f.startsWith("!"))]) {
    const src = path.join(packageRoot, entry.replace(/\*.*$/, "").replace(/\/$/, ""));
    if (fs.existsSync(src)) fs.cpSync(src, path.join(own, path.relative(packageRoot, src)), { recursive: true, filter: (p) => !p.endsWith(".map") });
  }
  for (const dep of fs.readdirSync(path.join(packageRoot, "node_modules"))) {
    if (dep === PACKAGE.name || dep === ".bin" || dep.startsWith(".")) continue;
    fs.symlinkSync(path.join(packageRoot, "node_modules", dep), path.join(modules, dep));
  }
  return own;
}

/** The pinned Pulumi CLI's folder (built by scripts/setup-toolchain): an installed copy finds `pulumi` on PATH. */
export function toolchainPath(): string {
  return fs.readFileSync(path.join(packageRoot, ".toolchain-bin"), "utf8").trim();
}
