/**
 * The I/O contract between the central Pulumi program and one child provisioning server.
 * Plain TypeScript on purpose: no Pulumi import, so transports are testable on their own and
 * usable from dynamic providers, the CLI and tests alike.
 *
 * Every `relPath` is relative to the child's root (see DESIGN.md "Child server layout") and is
 * validated by `paths.ts` before anything touches the child.
 */
/** The most bytes `readText` reads unless told: a manifest of many thousand files fits. */
export const READ_TEXT_MAX_BYTES = 16 * 1024 * 1024;

/** `readText`'s cap, checked: a positive whole number. */
export function readLimit(maxBytes: number | undefined): number {
  const n = maxBytes ?? READ_TEXT_MAX_BYTES;
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`readText: maxBytes must be a positive whole number, got ${String(maxBytes)}`);
  return n;
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Transport {
  /** Writes bytes atomically under the child's root: temp file in the same dir, fsync-ish, verify sha256 on the child, chmod, rename. Creates parent dirs. Throws with server name + path on mismatch/failure. */
  writeFile(relPath: string, data: Buffer, sha256: string, mode: string /* "0644" */): Promise<void>;
  /** Same but the bytes come from a file on the central machine (large kernel/initrd payloads; streamed, never loaded whole). */
  copyFile(relPath: string, sourcePath: string, sha256: string, mode: string): Promise<void>;
  /**
   * Text of a small file on the child (the manifest, a host's arm record and record), or
   * undefined if absent. A symbolic link, anything but a regular file, and a file of more than
   * `maxBytes` are refused (thrown): the handler's user may write some of these folders, and the
   * reader is root.
   */
  readText(relPath: string, maxBytes?: number): Promise<string | undefined>;
  /** sha256 of the file on the child, or undefined if absent (used for drift detection / refresh); a symbolic link is refused. */
  hashFile(relPath: string): Promise<string | undefined>;
  /** Removes the file (no error if absent) and then empty parent directories up to the root. */
  removeFile(relPath: string): Promise<void>;
  /**
   * Runs a fixed script on the child with `sh -s` semantics: the script text on stdin, parameters ONLY via environment variables, never interpolated. Returns stdout/stderr/exit code.
   * With `input`, the script is `sh -c`'s argument instead and `input` its stdin: the way a secret
   * reaches a command on the child, never in an argument or an environment a command line shows.
   */
  runScript(script: string, env: Record<string, string>, input?: string): Promise<ScriptResult>;
  close(): Promise<void>;
}

/** Error raised by transports; the message always names the server (and the path when there is one). */
export class TransportError extends Error {
  constructor(
    readonly serverName: string,
    message: string,
    readonly relPath?: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}
