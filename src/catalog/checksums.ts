/** Verifies kernel/initrd payloads against the sha256 the catalog declares. */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CatalogIssue } from "./errors";
import type { Located } from "./load";
import type { Distribution } from "./schema";

/** A payload as a child receives it: either a file on the central machine or a URL. */
export interface PayloadFile {
  readonly sha256: string;
  /** Bytes; null for URL payloads (not fetched: the catalog never downloads). */
  readonly size: number | null;
  readonly sourcePath?: string;
  readonly sourceUrl?: string;
}

export function sha256Hex(data: string | Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

// Hashing is the only slow part of resolve: memoize by path+mtime+size for repeated resolves (impact, bench).
const hashCache = new Map<string, string>();

function hashFile(abs: string): { sha256: string; size: number } {
  const st = fs.statSync(abs);
  const key = `${abs}\0${st.mtimeMs}\0${st.size}`;
  let h = hashCache.get(key);
  if (h === undefined) {
    h = sha256Hex(fs.readFileSync(abs));
    hashCache.set(key, h);
  }
  return { sha256: h, size: st.size };
}

/** URL payloads are not hashed here (no downloads); their declared sha256 is passed on to whoever fetches them. */
export function verifyPayload(dist: Located<Distribution>, which: "kernel" | "initrd", issues: CatalogIssue[]): PayloadFile {
  const p = dist[which];
  if (p.url !== undefined) return { sha256: p.sha256, size: null, sourceUrl: p.url };
  const abs = path.resolve(dist.origin.baseDir, p.path!);
  const shown = path.join(path.dirname(dist.origin.file), p.path!);
  const lineOf = (k: string) => dist.origin.keyLines[k] ?? dist.origin.line;
  try {
    const { sha256, size } = hashFile(abs);
    if (sha256 !== p.sha256) {
      issues.push({
        file: dist.origin.file,
        line: lineOf(`${which}.sha256`),
        path: `${dist.origin.path}.${which}.sha256`,
        message: `sha256 mismatch for ${shown}: catalog says ${p.sha256}, file has ${sha256}`,
        severity: "error",
      });
    }
    return { sha256: p.sha256, size, sourcePath: abs };
  } catch (e) {
    issues.push({
      file: dist.origin.file,
      line: lineOf(`${which}.path`),
      path: `${dist.origin.path}.${which}.path`,
      message: `cannot read ${which} file ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      severity: "error",
    });
    return { sha256: p.sha256, size: 0, sourcePath: abs };
  }
}
