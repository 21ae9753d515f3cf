/** Verifies payloads (kernel, initrd, boot loader files) against the sha256 the catalog declares, or computes it. */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CatalogIssue } from "./errors";
import type { Located } from "./load";
import type { Distribution, Origin, Payload } from "./schema";

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

/**
 * Check one payload declared at `key` (a dotted path below `origin`, e.g. `kernel` or `files[2]`).
 * A local file is hashed: against the declared sha256, or to compute it when none is declared.
 * URL payloads are not hashed here (no downloads); their declared sha256 is passed on to whoever fetches them.
 */
export function checkPayload(payload: Payload, origin: Origin, key: string, what: string, issues: CatalogIssue[]): PayloadFile {
  if (payload.url !== undefined) return { sha256: payload.sha256!, size: null, sourceUrl: payload.url };
  const abs = path.resolve(origin.baseDir, payload.path!);
  const shown = path.isAbsolute(payload.path!) ? payload.path! : path.join(path.dirname(origin.file), payload.path!);
  const lineOf = (k: string) => origin.keyLines[k] ?? origin.line;
  try {
    const { sha256, size } = hashFile(abs);
    if (payload.sha256 !== undefined && sha256 !== payload.sha256) {
      issues.push({
        file: origin.file,
        line: lineOf(`${key}.sha256`),
        path: `${origin.path}.${key}.sha256`,
        message: `sha256 mismatch for ${shown}: catalog says ${payload.sha256}, file has ${sha256}`,
        severity: "error",
      });
    }
    return { sha256: payload.sha256 ?? sha256, size, sourcePath: abs };
  } catch (e) {
    issues.push({
      file: origin.file,
      line: lineOf(`${key}.path`),
      path: `${origin.path}.${key}.path`,
      message: `cannot read ${what} file ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      severity: "error",
    });
    return { sha256: payload.sha256 ?? "", size: 0, sourcePath: abs };
  }
}

export function verifyPayload(dist: Located<Distribution>, which: "kernel" | "initrd", issues: CatalogIssue[]): PayloadFile {
  return checkPayload(dist[which], dist.origin, which, which, issues);
}
