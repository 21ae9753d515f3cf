/** What a command handler returns; only main.ts turns it into process output and exit code. */
import { CatalogError, formatIssue } from "../../src/catalog/errors";

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** 0 ok, 1 invalid input, 2 usage. */
  readonly exitCode: 0 | 1 | 2;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const ok = (stdout: string, stderr = ""): CommandResult => ({ stdout, stderr, exitCode: 0 });

/** Run a handler body; a CatalogError becomes exit 1 with one line per issue. */
export function guard(fn: () => CommandResult): CommandResult {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CatalogError) return { stdout: "", stderr: `${e.issues.map(formatIssue).join("\n")}\n`, exitCode: 1 };
    throw e;
  }
}
