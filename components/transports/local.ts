import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants, createReadStream, createWriteStream, promises as fsp } from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable, Transform } from "node:stream";
import { resolveUnderRoot, validateEnvName, validateMode, validateRelPath, validateSha256 } from "./paths";
import type { ScriptResult, Transport } from "./transport";
import { TransportError, readLimit } from "./transport";

export interface LocalTransportOptions {
  /** Name used in error messages (defaults to "local:<root>"). */
  serverName?: string;
}

/**
 * A child that is a directory on the central machine (the embedded default / demo).
 * No shell is involved in file operations: node:fs only. runScript runs `/bin/sh -s` with the
 * script on stdin and the parameters in the environment.
 */
export class LocalTransport implements Transport {
  readonly root: string;
  readonly serverName: string;

  constructor(root: string, opts: LocalTransportOptions = {}) {
    if (!path.isAbsolute(root)) throw new Error(`LocalTransport root must be absolute, got ${JSON.stringify(root)}`);
    this.root = path.resolve(root);
    this.serverName = opts.serverName ?? `local:${this.root}`;
  }

  private resolve(relPath: string): string {
    return resolveUnderRoot(this.root, relPath, this.serverName);
  }

  private fail(relPath: string, what: string, err: unknown): TransportError {
    const msg = err instanceof Error ? err.message : String(err);
    return new TransportError(this.serverName, `${this.serverName}: ${what} ${relPath} failed: ${msg}`, relPath);
  }

  async writeFile(relPath: string, data: Buffer, sha256: string, mode: string): Promise<void> {
    await this.atomicWrite(relPath, () => Readable.from([data]), sha256, mode);
  }

  async copyFile(relPath: string, sourcePath: string, sha256: string, mode: string): Promise<void> {
    // Open first so a missing source is reported as such, not as a checksum mismatch.
    await fsp.access(sourcePath).catch((err) => {
      throw this.fail(relPath, `copy from ${sourcePath} to`, err);
    });
    await this.atomicWrite(relPath, () => createReadStream(sourcePath), sha256, mode);
  }

  private async atomicWrite(relPath: string, source: () => NodeJS.ReadableStream, sha256: string, mode: string): Promise<void> {
    const full = this.resolve(relPath);
    validateSha256(sha256, this.serverName);
    const numericMode = validateMode(mode, this.serverName);
    const dir = path.dirname(full);
    const tmpPrefix = `.${path.basename(full)}.tmp-`;
    const tmp = path.join(dir, `${tmpPrefix}${process.pid}-${randomBytes(6).toString("hex")}`);
    let tmpCreated = false;
    try {
      await fsp.mkdir(dir, { recursive: true });
      await removeStaleTemps(dir, tmpPrefix);
      const hash = createHash("sha256");
      const out = createWriteStream(tmp, { flags: "wx", mode: 0o600 });
      tmpCreated = true;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      await pipeline(source(), tap, out);
      // fsync the data, then verify what is actually on disk (not just what we sent).
      const fh = await fsp.open(tmp, "r+");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const sent = hash.digest("hex");
      const onDisk = await sha256OfFile(tmp);
      if (onDisk !== sha256) {
        throw new Error(`checksum mismatch: expected ${sha256}, got ${onDisk}${sent !== onDisk ? ` (sent ${sent})` : ""}`);
      }
      await fsp.chmod(tmp, numericMode);
      await fsp.rename(tmp, full);
      tmpCreated = false;
      await fsyncDir(dir);
    } catch (err) {
      if (tmpCreated) await fsp.rm(tmp, { force: true }).catch(() => undefined);
      if (err instanceof TransportError) throw err;
      throw this.fail(relPath, "write", err);
    }
  }

  async readText(relPath: string, maxBytes?: number): Promise<string | undefined> {
    const full = this.resolve(relPath);
    const max = readLimit(maxBytes);
    try {
      const fh = await openNoFollow(full);
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new Error("not a regular file");
        const buf = Buffer.alloc(Math.min(st.size, max) + 1);
        let n = 0;
        for (let r; n < buf.length && (r = await fh.read(buf, n, buf.length - n, n)).bytesRead > 0; ) n += r.bytesRead;
        if (n > max) throw new Error(`larger than ${max} bytes, not read`);
        return buf.subarray(0, n).toString("utf8");
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw this.fail(relPath, "read", err);
    }
  }

  async hashFile(relPath: string): Promise<string | undefined> {
    const full = this.resolve(relPath);
    try {
      const fh = await openNoFollow(full);
      try {
        if (!(await fh.stat()).isFile()) throw new Error("not a regular file");
        const hash = createHash("sha256");
        await pipeline(fh.createReadStream({ autoClose: false }), hash);
        return hash.digest("hex");
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw this.fail(relPath, "hash", err);
    }
  }

  async removeFile(relPath: string): Promise<void> {
    const full = this.resolve(relPath);
    const segments = validateRelPath(relPath, this.serverName);
    try {
      await fsp.rm(full, { force: true });
      // Prune empty parents up to (not including) the root.
      for (let i = segments.length - 1; i >= 1; i--) {
        const dir = path.join(this.root, ...segments.slice(0, i));
        try {
          await fsp.rmdir(dir);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOENT") {
            if (code === "ENOENT") continue;
            break;
          }
          throw err;
        }
      }
    } catch (err) {
      throw this.fail(relPath, "remove", err);
    }
  }

  async runScript(script: string, env: Record<string, string>, input?: string): Promise<ScriptResult> {
    for (const k of Object.keys(env)) validateEnvName(k, this.serverName);
    return runShScript(script, { ...process.env, ...env }, input);
  }

  async close(): Promise<void> {
    /* nothing to release */
  }
}

/**
 * Opens a file for reading without following a symbolic link (refused: a link is not a file the
 * child holds) and without waiting on a FIFO.
 */
async function openNoFollow(full: string): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(full, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP") throw new Error("a symbolic link, not followed");
    throw err;
  }
}

/** sha256 hex of a file, streamed. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/**
 * Removes temporary files of this path left by writers that died mid-write (a killed `pulumi`
 * run): `<prefix><pid>-<random>` whose pid no longer runs. A live writer's file is kept.
 */
async function removeStaleTemps(dir: string, prefix: string): Promise<void> {
  for (const name of await fsp.readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !isRunning(pid)) await fsp.rm(path.join(dir, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* directory fsync is best effort (not supported everywhere) */
  }
}

/** Runs `/bin/sh -s` with `script` on stdin; with `input`, `/bin/sh -c script` with `input` on stdin. */
export function runShScript(script: string, env: NodeJS.ProcessEnv, input?: string): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", input === undefined ? ["-s"] : ["-c", script, "sh"], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const errb: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => errb.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(errb).toString("utf8"),
      });
    });
    child.stdin.on("error", () => undefined); // script may exit before reading all of stdin
    child.stdin.end(input ?? script);
  });
}
