/**
 * Runs a render job (src/renderJob.ts) in a confined process. The template engine already refuses
 * every known way out of a template (src/render/templateEngine.ts); this is the second wall, for
 * a way nobody knows yet. The renderer process:
 * - runs under Node's permission model: it may read only its own compiled code and the few
 *   packages it uses, and may not write files, start processes or workers, or load addons;
 * - cannot generate code from strings (`--disallow-code-generation-from-strings`): templates are
 *   compiled through `vm` before any runs, so `Function("…")` from a template fails;
 * - has an empty environment (no passphrase, no tokens) and receives no secret: secrets render as
 *   tokens that only the provider replaces, on the way to the child;
 * - has no network (`fetch` and friends removed, module loading disabled once loaded), a memory
 *   cap and a time limit.
 * What it returns is plain data, parsed as JSON.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CatalogError } from "../../src/catalog/errors";
import type { RenderJob, RenderJobResult } from "../../src/renderJob";
import { visibleText } from "../../src/util/visibleText";
import { packageRoot } from "../packageRoot";

/** Rendering stopped for what the catalog made it do (a time or memory limit), or the renderer was refused a file it needs: one line for the user. */
export class RenderError extends Error {
  override readonly name = "RenderError";
}

/** Packages the renderer loads, with what they load in turn. */
const RENDERER_PACKAGES = ["nunjucks", "zod", "picomatch"];

export interface SandboxOptions {
  /** @default PROVISIONING_RENDER_TIMEOUT seconds, else 300 */
  readonly timeoutMs?: number;
  /** @default 4096 */
  readonly maxMemoryMb?: number;
}

/** Where Node's resolution finds a package from `from`: the folder as seen, before any link is followed. */
function packageFolder(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** Folders of the packages the renderer needs (and their dependencies), as found from `root` and as they really are (npm may link a package). */
function packageDirs(root: string): string[] {
  const dirs = new Set<string>();
  const visit = (name: string, from: string) => {
    const found = packageFolder(name, from);
    if (!found || dirs.has(found)) return;
    dirs.add(found);
    const real = fs.realpathSync(found);
    dirs.add(real);
    const deps = (JSON.parse(fs.readFileSync(path.join(found, "package.json"), "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {};
    for (const dep of Object.keys(deps)) visit(dep, real);
  };
  for (const p of RENDERER_PACKAGES) visit(p, root);
  return [...dirs].sort();
}

let command: { node: string; args: string[] } | undefined;

/** The renderer's command line: the confinement is in these flags. */
export function sandboxCommand(entry = path.join(packageRoot, "dist", "components", "sandbox", "renderer.js"), opts: SandboxOptions = {}): { node: string; args: string[] } {
  if (!fs.existsSync(entry)) throw new Error(`the renderer ${entry} is not built: run \`npm run build\``);
  // Node loads the entry and every module by its real path, reading each link on the way (under
  // the permission model too): a folder reached through a link (node_modules linked from a CI
  // cache, a workspace package, --preserve-symlinks) is allowed by where it really is.
  const root = fs.realpathSync(packageRoot);
  const main = fs.realpathSync(entry);
  const dist = path.join(root, "dist");
  const readable = [main, path.join(dist, "src"), path.join(dist, "components", "sandbox"), path.join(root, "package.json"), ...packageDirs(root)];
  return {
    node: process.execPath,
    args: [
      "--experimental-permission",
      ...readable.map((p) => `--allow-fs-read=${p}`),
      "--disallow-code-generation-from-strings",
      `--max-old-space-size=${opts.maxMemoryMb ?? 4096}`,
      "--no-warnings",
      main,
    ],
  };
}

const timeoutOf = (opts: SandboxOptions) => opts.timeoutMs ?? Number(process.env.PROVISIONING_RENDER_TIMEOUT ?? 300) * 1000;

/** Why a renderer process ended without a result: a RenderError (one line) for what a user can act on. */
export function renderFailure(status: number | null, signal: NodeJS.Signals | null, stderr: string, timeoutMs: number): Error {
  if (signal === "SIGTERM" || signal === "SIGKILL") {
    return new RenderError(`rendering the catalog took longer than ${timeoutMs / 1000} s and was stopped (a template that loops without end?); PROVISIONING_RENDER_TIMEOUT sets the limit in seconds`);
  }
  if (/heap out of memory|Allocation failed/.test(stderr)) return new RenderError("rendering the catalog ran out of memory and was stopped (a template that builds huge output?)");
  const denied = /ERR_ACCESS_DENIED/.test(stderr) ? /resource: '([^'\n]*)'/.exec(stderr) : null;
  if (denied) {
    return new RenderError(`the renderer may not read ${visibleText(denied[1]!)}: it reads only this package's compiled code and ${RENDERER_PACKAGES.join(", ")}, each at its real path`);
  }
  const why = stderr.split("\n").filter((l) => /Error|ERR_|resource:/.test(l)).slice(0, 3).map((l) => l.trim());
  return new Error(`the renderer failed (exit ${status ?? signal}): ${visibleText(why.join(" ") || stderr.trim().slice(-500))}`);
}

function resultOf(status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, timeoutMs: number): unknown {
  if (status !== 0 || signal !== null) throw renderFailure(status, signal, stderr, timeoutMs);
  const result = JSON.parse(stdout) as RenderJobResult;
  if (!result.ok) throw new CatalogError(result.issues);
  return result.value;
}

/** Runs a job and returns its value; a bad catalog throws a CatalogError with every issue. */
export function runSandboxed<T>(job: RenderJob, opts: SandboxOptions = {}): T {
  command ??= sandboxCommand();
  const timeout = timeoutOf(opts);
  const r = spawnSync(command.node, command.args, { input: JSON.stringify(job), env: {}, encoding: "utf8", timeout, maxBuffer: 4 * 1024 * 1024 * 1024, stdio: ["pipe", "pipe", "pipe"] });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== "ETIMEDOUT") throw r.error;
  return resultOf(r.status, r.signal, r.stdout, r.stderr, timeout) as T;
}

/** The same, without blocking (for rendering that waits on another resource's output). */
export function runSandboxedAsync<T>(job: RenderJob, opts: SandboxOptions = {}): Promise<T> {
  command ??= sandboxCommand();
  const timeout = timeoutOf(opts);
  return new Promise<T>((resolve, reject) => {
    const child = spawn(command!.node, command!.args, { env: {}, stdio: ["pipe", "pipe", "pipe"], timeout });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (status, signal) => {
      try {
        resolve(resultOf(status, signal, Buffer.concat(out).toString("utf8"), Buffer.concat(err).toString("utf8"), timeout) as T);
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}
