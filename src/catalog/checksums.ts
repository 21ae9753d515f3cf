/**
 * Payloads (kernel, initrd, boot loader files) as the loader checks them: a local file is hashed
 * and checked against the sha256 the catalog declares (or the sha256 is computed when none is
 * declared); a URL payload carries its declared sha256, checked when it is downloaded.
 *
 * A local payload is shipped to every child's unauthenticated TFTP root, so its path is
 * confined: it must lie (after following symbolic links) inside the catalog's folder or inside
 * one of the allowed payload roots the stack names. Anything else — an SSH key, the passphrase
 * file, `../../etc/shadow` — is a located error, and nothing is read.
 */
import * as path from "node:path";
import { hashCatalogFile, isInside, isRefusal, realOrSelf } from "./catalogFile";
import type { CatalogIssue } from "./errors";
import type { Origin, Payload } from "./schema";

/** A payload as a child receives it: either a file on the central machine or a URL. */
export interface PayloadFile {
  readonly sha256: string;
  /** Bytes; null for URL payloads (known once downloaded). */
  readonly size: number | null;
  readonly sourcePath?: string;
  readonly sourceUrl?: string;
}

/** Key of a checked payload in `Catalog.payloads`: `distribution/el9#kernel`, `bootLoader/pxelinux#files[1]`. */
export const payloadKey = (kind: string, name: string, key: string) => `${kind}/${name}#${key}`;

/** Where local payloads may come from: the catalog's own folder, and the allowed roots. */
export interface PayloadConfinement {
  /** The catalog folder (or the folder of a single catalog file). */
  readonly catalogRoot: string;
  /** Further allowed folders (absolute), e.g. `/usr/lib/debian-installer/images` for packaged installers. @default [] */
  readonly payloadRoots?: readonly string[];
  /** false: a payload with a declared sha256 is not read (see LoadOptions.readPayloads). @default true */
  readonly readPayloads?: boolean;
}

/**
 * A local payload as its object's version knows it: as written, except that an absolute path
 * inside the declaring file's folder or the catalog's (a catalog in code writes
 * `path.join(__dirname, …)`) counts as the path relative to that file's folder, as YAML would
 * write it. A checkout at another path then holds the same versions. A path elsewhere (an allowed
 * root such as /usr/lib/…) is the same on every machine and stays as written.
 */
export function payloadIdentity(payload: Payload, origin: Origin): Payload {
  if (payload.path === undefined || !path.isAbsolute(payload.path)) return payload;
  const abs = path.resolve(payload.path);
  if (![origin.baseDir, origin.root].some((dir) => dir !== undefined && isInside(abs, path.resolve(dir)))) return payload;
  return { ...payload, path: path.relative(origin.baseDir, abs) };
}

/**
 * Check one payload declared at `key` (a dotted path below `origin`, e.g. `kernel` or `files[2]`).
 * A URL payload is not fetched here (validation never downloads).
 */
export function checkPayload(payload: Payload, origin: Origin, key: string, what: string, confinement: PayloadConfinement, issues: CatalogIssue[]): PayloadFile {
  if (payload.url !== undefined) return { sha256: payload.sha256!, size: null, sourceUrl: payload.url };
  const abs = path.resolve(origin.baseDir, payload.path!);
  const shown = path.isAbsolute(payload.path!) ? payload.path! : path.join(path.dirname(origin.file), payload.path!);
  const lineOf = (k: string) => origin.keyLines[k] ?? origin.line;
  const issue = (k: string, message: string) => issues.push({ file: origin.file, line: lineOf(k), path: `${origin.path}.${k}`, message, severity: "error" });
  const real = realOrSelf(abs);
  const roots = [origin.root ?? confinement.catalogRoot, ...(confinement.payloadRoots ?? [])];
  if (!roots.some((r) => isInside(real, realOrSelf(r)))) {
    issue(
      `${key}.path`,
      `${what} file ${shown} is outside the catalog folder${confinement.payloadRoots?.length ? ` and the allowed payload roots (${confinement.payloadRoots.join(", ")})` : ""}: ` +
        `payloads are served to every child, so a path elsewhere needs its folder in the stack's provisioning:payloadRoots`,
    );
    return { sha256: payload.sha256 ?? "", size: 0, sourcePath: abs };
  }
  if (confinement.readPayloads === false && payload.sha256 !== undefined) return { sha256: payload.sha256, size: null, sourcePath: real };
  // A FIFO, device or directory in an allowed folder is refused like any file of the catalog.
  const hashed = hashCatalogFile(abs, roots);
  if (isRefusal(hashed)) {
    issue(`${key}.path`, `cannot read ${what} file ${shown}: ${hashed.refused}`);
    return { sha256: payload.sha256 ?? "", size: 0, sourcePath: abs };
  }
  if (payload.sha256 !== undefined && hashed.sha256 !== payload.sha256) {
    issue(`${key}.sha256`, `sha256 mismatch for ${shown}: catalog says ${payload.sha256}, file has ${hashed.sha256}`);
  }
  return { sha256: payload.sha256 ?? hashed.sha256, size: hashed.size, sourcePath: hashed.real };
}
