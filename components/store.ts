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
import { pipeline } from "node:stream/promises";
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
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      write(tmp);
      fs.renameSync(tmp, file);
      fs.writeFileSync(`${this.shaPath(key)}.tmp-${process.pid}`, `${sha256}\n`);
      fs.renameSync(`${this.shaPath(key)}.tmp-${process.pid}`, this.shaPath(key));
    } finally {
      fs.rmSync(tmp, { force: true });
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
   * by content. A wrong checksum or an unreachable URL throws, and nothing is stored.
   */
  async putUrl(url: string, sha256: string, opts: { timeoutMs?: number } = {}): Promise<string> {
    const key = contentKey(sha256);
    if (this.has(key)) return key;
    const file = this.blobPath(key);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      const response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(opts.timeoutMs ?? 600_000) }).catch((e: Error & { cause?: { code?: string; message?: string } }) => {
        throw new Error(`${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ""}`);
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      const hash = createHash("sha256");
      const out = fs.createWriteStream(tmp, { mode: 0o600 });
      await pipeline(
        response.body as unknown as NodeJS.ReadableStream,
        async function* (source) {
          for await (const chunk of source) {
            hash.update(chunk as Buffer);
            yield chunk;
          }
        },
        out,
      );
      const actual = hash.digest("hex");
      if (actual !== sha256) throw new Error(`sha256 mismatch: the catalog says ${sha256}, the download has ${actual}`);
      this.commit(key, sha256, (t) => fs.renameSync(tmp, t));
      return key;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /**
   * Downloads URL payloads (putUrl) in a process of its own and waits for it: a program declares
   * no resource before its payloads are in the store. An error message per item, or null.
   */
  putUrlsSync(items: readonly { url: string; sha256: string }[]): (string | null)[] {
    const missing = items.map((i) => !this.has(contentKey(i.sha256)));
    if (!missing.some(Boolean)) return items.map(() => null);
    const r = spawnSync(process.execPath, [path.join(packageRoot, "dist", "components", "fetchPayloads.js")], {
      input: JSON.stringify(items),
      env: { ...process.env, PROVISIONING_STORE: this.root },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`downloading payloads failed: ${r.stderr.trim() || r.error?.message}`);
    return JSON.parse(r.stdout) as (string | null)[];
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
