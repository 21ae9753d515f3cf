import * as path from "node:path";

/**
 * Path validation for everything a transport touches on a child. This is the defence *below*
 * catalog validation: even if a bad name slipped through, a transport refuses it here, and the
 * SSH transport additionally shell-quotes every path it sends.
 *
 * Accepted: relative POSIX paths made of segments of `[A-Za-z0-9._+@~=,-]`, where a segment is
 * not empty, not `.` or `..`, and does not start with `-` (so no segment can look like an option).
 */
const SEGMENT = /^[A-Za-z0-9._+@~=,][A-Za-z0-9._+@~=,-]*$/;
export const MAX_REL_PATH_LENGTH = 1024;

export class UnsafePathError extends Error {
  constructor(
    readonly relPath: string,
    reason: string,
    serverName?: string,
  ) {
    super(`${serverName ? `${serverName}: ` : ""}refusing unsafe path ${JSON.stringify(relPath)}: ${reason}`);
    this.name = "UnsafePathError";
  }
}

/** Throws UnsafePathError unless `relPath` is a safe relative path; returns its segments. */
export function validateRelPath(relPath: string, serverName?: string): string[] {
  const fail = (reason: string): never => {
    throw new UnsafePathError(relPath, reason, serverName);
  };
  if (typeof relPath !== "string") fail("not a string");
  if (relPath.length === 0) fail("empty path");
  if (relPath.length > MAX_REL_PATH_LENGTH) fail(`longer than ${MAX_REL_PATH_LENGTH} characters`);
  if (relPath.includes("\0")) fail("contains a NUL byte");
  if (/[\r\n]/.test(relPath)) fail("contains a newline");
  if (relPath.startsWith("/")) fail("absolute paths are not allowed");
  if (relPath.includes("\\")) fail("backslashes are not allowed");
  const segments = relPath.split("/");
  for (const seg of segments) {
    if (seg === "") fail("empty path segment");
    if (seg === "..") fail("'..' segment (path traversal)");
    if (seg === ".") fail("'.' segment");
    if (seg.startsWith("-")) fail(`segment ${JSON.stringify(seg)} starts with '-'`);
    if (!SEGMENT.test(seg)) fail(`segment ${JSON.stringify(seg)} contains characters outside [A-Za-z0-9._+@~=,-]`);
  }
  return segments;
}

/** True when `relPath` passes validateRelPath. */
export function isSafeRelPath(relPath: string): boolean {
  try {
    validateRelPath(relPath);
    return true;
  } catch {
    return false;
  }
}

/** Validates `relPath` and joins it with the absolute `root` (POSIX semantics, the child's view). */
export function resolveUnderRoot(root: string, relPath: string, serverName?: string): string {
  if (!path.posix.isAbsolute(root)) {
    throw new Error(`${serverName ? `${serverName}: ` : ""}root must be an absolute path, got ${JSON.stringify(root)}`);
  }
  const segments = validateRelPath(relPath, serverName);
  const normRoot = path.posix.normalize(root).replace(/\/+$/, "") || "/";
  const full = path.posix.join(normRoot, ...segments);
  // Belt and braces: the join must stay strictly below the root.
  if (!full.startsWith(normRoot === "/" ? "/" : normRoot + "/")) {
    throw new UnsafePathError(relPath, "escapes the root", serverName);
  }
  return full;
}

/** sha256 must be 64 lowercase hex characters. */
export function validateSha256(sha256: string, serverName?: string): string {
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new Error(`${serverName ? `${serverName}: ` : ""}invalid sha256 ${JSON.stringify(sha256)} (expected 64 lowercase hex characters)`);
  }
  return sha256;
}

/** File modes are octal strings such as "0644" or "755". Returns the numeric mode. */
export function validateMode(mode: string, serverName?: string): number {
  if (typeof mode !== "string" || !/^0?[0-7]{3}$/.test(mode)) {
    throw new Error(`${serverName ? `${serverName}: ` : ""}invalid file mode ${JSON.stringify(mode)} (expected e.g. "0644")`);
  }
  return parseInt(mode, 8);
}

/** Environment variable names allowed for runScript. */
export function validateEnvName(name: string, serverName?: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`${serverName ? `${serverName}: ` : ""}invalid environment variable name ${JSON.stringify(name)}`);
  }
  return name;
}
