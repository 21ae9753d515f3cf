/**
 * The one way the loader reads a file a catalog names: its YAML files, template sources, local
 * payloads (and, for a review, the files of a base revision). Each is untrusted: a committed
 * symbolic link can lead to the checkout's `.git/config`, to `/dev/zero` or to a FIFO. A file is
 * read only when, after following links, it is a regular file inside one of the allowed folders;
 * this is checked before opening (a device is never opened) and again on the open descriptor,
 * which is opened non-blocking so that a FIFO put in its place meanwhile cannot hang the read.
 * A refusal says why and carries none of the file's bytes.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Why a file was not read: a phrase for `cannot read … : <refused>`, never the file's content. */
export interface Refusal {
  readonly refused: string;
}

export const isRefusal = (r: unknown): r is Refusal => typeof r === "object" && r !== null && "refused" in r;

/** The size rule of every limited read: above the limit is refused. */
export const aboveLimit = (size: number, max: number) => `${size} bytes, above the limit of ${max} bytes`;

export const isInside = (file: string, dir: string) => file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

export const realOrSelf = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * Whether the catalog path `p`, after following links, lies outside `dir` (the project, or a
 * program's baseDir): a folder of the tree replaced by a link to `/etc` leads outside. Nothing is
 * read; the refusal names no target.
 */
export function leadsOutside(p: string, dir: string): Refusal | undefined {
  if (isInside(realOrSelf(p), realOrSelf(dir))) return undefined;
  const named = path.resolve(p);
  const link = isInside(named, path.resolve(dir)) || isInside(named, realOrSelf(dir));
  return { refused: link ? "it is (or lies in) a symbolic link that leads outside" : "it is outside" };
}

/** leadsOutside for a path that names a place in `dir`; one named elsewhere is not judged. */
export function leavesWhereNamed(p: string, dir: string): Refusal | undefined {
  const named = path.resolve(p);
  return isInside(named, path.resolve(dir)) || isInside(named, realOrSelf(dir)) ? leadsOutside(p, dir) : undefined;
}

const kindOf = (st: fs.Stats) =>
  st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a character device" : st.isBlockDevice() ? "a block device" : st.isSocket() ? "a socket" : "something else";

const notRegular = (st: fs.Stats): Refusal => ({ refused: `it is ${kindOf(st)}, not a regular file` });

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

const { O_RDONLY, O_NONBLOCK = 0, O_NOFOLLOW = 0 } = fs.constants;

/**
 * Opens `file` when, after following links, it is a regular file inside one of `folders`, and
 * hands the descriptor to `read` (closed after). Otherwise, or when `read` refuses, the refusal.
 */
export function withCatalogFile<T>(file: string, folders: readonly string[], read: (fd: number, st: fs.Stats, real: string) => T | Refusal): T | Refusal {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    const code = errno(e);
    if (code === "ENOENT" && fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) return { refused: "it is a symbolic link to nothing (dangling)" };
    if (code === "ELOOP") return { refused: "it is a loop of symbolic links" };
    return { refused: code };
  }
  if (!folders.some((d) => isInside(real, realOrSelf(d)))) {
    const link = fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() || realOrSelf(path.dirname(file)) !== path.dirname(real);
    return { refused: link ? "it is a symbolic link that leads outside the catalog folder" : "it is outside the catalog folder" };
  }
  const st = fs.statSync(real, { throwIfNoEntry: false });
  if (st === undefined) return { refused: "ENOENT" };
  if (!st.isFile()) return notRegular(st);
  let fd: number;
  try {
    fd = fs.openSync(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (e) {
    return { refused: errno(e) };
  }
  try {
    const opened = fs.fstatSync(fd);
    return opened.isFile() ? read(fd, opened, real) : notRegular(opened);
  } catch (e) {
    // An I/O error while reading (EIO) is a refusal like any other, not a crash.
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
    return { refused: errno(e) };
  } finally {
    fs.closeSync(fd);
  }
}

/** The bytes of a catalog file of at most `maxBytes` (never more than maxBytes + 1 are read). */
export function readCatalogFile(file: string, folders: readonly string[], maxBytes: number): { bytes: Buffer; real: string } | Refusal {
  return withCatalogFile(file, folders, (fd, st, real) => {
    if (st.size > maxBytes) return { refused: `it is ${aboveLimit(st.size, maxBytes)}` };
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let got = 0;
    // One byte more than fstat said: a file that grows while read is refused, never read beyond the limit.
    for (let n = 1; n > 0 && got < buf.length; got += n) n = fs.readSync(fd, buf, got, buf.length - got, null);
    if (got !== st.size) return { refused: "it changed size while read" };
    return { bytes: buf.subarray(0, got), real };
  });
}

// Hashing is the only slow part of loading: memoized by file identity for repeated loads (impact, bench).
const hashCache = new Map<string, string>();
const CHUNK = 1024 * 1024;

/** The sha256 and size of a catalog file of any size (payloads: kernels, initrds, boot loaders). */
export function hashCatalogFile(file: string, folders: readonly string[]): { sha256: string; size: number; real: string } | Refusal {
  return withCatalogFile(file, folders, (fd, st, real) => {
    const key = `${real}\0${st.dev}\0${st.ino}\0${st.mtimeMs}\0${st.size}`;
    let sha256 = hashCache.get(key);
    if (sha256 === undefined) {
      const hash = createHash("sha256");
      const buf = Buffer.alloc(CHUNK);
      for (let n = fs.readSync(fd, buf, 0, CHUNK, null); n > 0; n = fs.readSync(fd, buf, 0, CHUNK, null)) hash.update(buf.subarray(0, n));
      sha256 = hash.digest("hex");
      hashCache.set(key, sha256);
    }
    return { sha256, size: st.size, real };
  });
}
