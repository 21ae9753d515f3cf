/** What a command handler returns; only main.ts turns it into process output and exit code. */
import { CatalogError, formatIssue } from "../../src/catalog/errors";
import { RenderError } from "../sandbox";
import { BaseRevisionError } from "./baseRevision";
import { ToolchainError } from "./toolchain";

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

/** Run a handler body; bad input becomes exit 1: one line per catalog issue, or the one line a limit gives. */
export function guard(fn: () => CommandResult): CommandResult {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CatalogError) return { stdout: "", stderr: `${e.issues.map(formatIssue).join("\n")}\n`, exitCode: 1 };
    if (e instanceof RenderError || e instanceof ToolchainError || e instanceof BaseRevisionError) return { stdout: "", stderr: `provision: ${e.message}\n`, exitCode: 1 };
    throw e;
  }
}
