/**
 * The content store on the central machine: every rendered text (secrets as tokens) and every
 * payload, by content key. The program puts what it rendered here; the provider reads a file's
 * bytes from here by the content key in the state. So the state holds no file content and no
 * path of any checkout, and a checkout anywhere fills its own store from its own catalog.
 *
 * Blobs are immutable and named by their content, so concurrent runs and several checkouts share
 * one store safely. Location: `$PROVISIONING_STORE`, else `$XDG_CACHE_HOME/pulumi-provisioning/store`
 * (`~/.cache/…`). It only grows; deleting it is safe (the next run puts back what it needs).
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { type DownloadPolicy, download } from "./payloadDownload";
import { packageRoot } from "./packageRoot";
import { contentKey, isContentKey } from "../src/state/contentKey";

export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROVISIONING_STORE) return path.resolve(env.PROVISIONING_STORE);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-provisioning", "store");
}

/** A blob's bytes and full sha256 (the child verifies every write against it). */
export interface Blob {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

export class ContentStore {
  /** Temporary files this process is writing, removed on any exit (removeTemporaries). */
  private readonly temporaries = new Set<string>();

  constructor(readonly root: string = defaultStoreRoot()) {}

  private blobPath(key: string): string {
    if (!isContentKey(key)) throw new Error(`invalid content key ${JSON.stringify(key)}`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  private shaPath(key: string): string {
    return `${this.blobPath(key)}.sha256`;
  }

  has(key: string): boolean {
    return fs.existsSync(this.shaPath(key));
  }

  /** Writes a blob atomically (temporary name, then rename); its sha256 beside it, last, marks it complete. */
  private commit(key: string, sha256: string, write: (tmp: string) => void): void {
    const file = this.blobPath(key);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = this.temporary(file);
    try {
      write(tmp);
      fs.renameSync(tmp, file);
      fs.writeFileSync(`${this.shaPath(key)}.tmp-${process.pid}`, `${sha256}\n`);
      fs.renameSync(`${this.shaPath(key)}.tmp-${process.pid}`, this.shaPath(key));
    } finally {
      fs.rmSync(tmp, { force: true });
      this.temporaries.delete(tmp);
    }
  }

  /** Puts rendered text whose sha256 is known; returns its key. */
  putText(text: string, sha256: string): string {
    const key = contentKey(sha256);
    if (!this.has(key)) this.commit(key, sha256, (tmp) => fs.writeFileSync(tmp, text, { mode: 0o600 }));
    return key;
  }

  /** Puts a payload file whose sha256 the loader checked; linked when the file system allows, else copied. */
  putFile(source: string, sha256: string): string {
    const key = contentKey(sha256);
    if (this.has(key)) return key;
    this.commit(key, sha256, (tmp) => {
      try {
        fs.linkSync(source, tmp);
      } catch {
        fs.copyFileSync(source, tmp);
      }
      const actual = createHash("sha256").update(fs.readFileSync(tmp)).digest("hex");
      if (actual !== sha256) throw new Error(`${source} changed since it was checked: sha256 ${actual}, expected ${sha256}`);
    });
    return key;
  }

  /**
   * Downloads a URL payload once, verifying its sha256 before it is stored; later calls find it
   * by content. Only what the policy lets it reach (components/payloadDownload.ts). A refused
   * address, a wrong checksum, an unreachable URL or a body over the cap throws, and nothing is
   * stored; the partial file is removed.
   */
  async putUrl(url: string, sha256: string, policy: DownloadPolicy, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const key = contentKey(sha256);
    if (this.has(key)) return key;
    const file = this.blobPath(key);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = this.temporary(file);
    try {
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? 600_000);
      const got = await download(url, tmp, policy, opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout);
      if (got.sha256 !== sha256) {
        // A body from elsewhere than the URL names gets no hash in a message: it would tell what another server holds.
        throw new Error(
          got.sameOrigin
            ? `sha256 mismatch: the catalog says ${sha256}, the download has ${got.sha256}`
            : `sha256 mismatch: the catalog says ${sha256}; the content came from another origin (${new URL(got.url).origin}, through a redirect), so its sha256 is not shown`,
        );
      }
      this.commit(key, sha256, (t) => fs.renameSync(tmp, t));
      return key;
    } finally {
      fs.rmSync(tmp, { force: true });
      this.temporaries.delete(tmp);
    }
  }

  /**
   * Downloads URL payloads (putUrl) in a process of its own and waits for it: a program declares
   * no resource before its payloads are in the store. An error message per item, or null.
   */
  putUrlsSync(items: readonly { url: string; sha256: string }[], policy: DownloadPolicy): (string | null)[] {
    const missing = items.map((i) => !this.has(contentKey(i.sha256)));
    if (!missing.some(Boolean)) return items.map(() => null);
    const r = spawnSync(process.execPath, [path.join(packageRoot, "dist", "components", "fetchPayloads.js")], {
      input: JSON.stringify({ items, policy }),
      env: { ...process.env, PROVISIONING_STORE: this.root },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`downloading payloads failed: ${r.stderr.trim() || r.error?.message || r.signal}`);
    return JSON.parse(r.stdout) as (string | null)[];
  }

  /** A temporary name beside `file`, owned by this process (its pid in the name: see sweepTemporaries). */
  private temporary(file: string): string {
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    this.temporaries.add(tmp);
    return tmp;
  }

  /** Removes this process's temporaries now: for a process that is being stopped. */
  removeTemporaries(): void {
    for (const tmp of this.temporaries) fs.rmSync(tmp, { force: true });
    this.temporaries.clear();
  }

  /**
   * Removes the temporaries of processes that no longer run (a run killed outright): their pid
   * is in the name. Another live process's temporaries stay.
   */
  sweepTemporaries(): void {
    let shards: string[];
    try {
      shards = fs.readdirSync(this.root);
    } catch {
      return;
    }
    for (const shard of shards) {
      let names: string[];
      try {
        names = fs.readdirSync(path.join(this.root, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        const owner = /\.tmp-(\d+)(?:-[0-9a-f]+)?$/.exec(name);
        if (owner && !isRunning(Number(owner[1]))) fs.rmSync(path.join(this.root, shard, name), { force: true });
      }
    }
  }

  /** A blob by key, or an error saying which run should have put it there. */
  get(key: string): Blob {
    const file = this.blobPath(key);
    let sha256: string;
    try {
      sha256 = fs.readFileSync(this.shaPath(key), "utf8").trim();
    } catch {
      throw new Error(`content ${key} is not in the store ${this.root}: the program puts every file it renders there before the engine asks for it; run the update again`);
    }
    return { path: file, sha256, size: fs.statSync(file).size };
  }

  readText(key: string): string {
    return fs.readFileSync(this.get(key).path, "utf8");
  }
}

/** Whether a process with this pid runs (one we may not signal runs too). */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
