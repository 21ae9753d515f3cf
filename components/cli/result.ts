/** What a command handler returns; only main.ts turns it into process output and exit code. */
import { CatalogError, formatIssue } from "../../src/catalog/errors";
import { visibleJsonText, visibleText } from "../../src/util/visibleText";
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

/** `provision: MESSAGE` on one line: a message may quote an argument or a catalog path. */
export const failureLine = (message: string) => `provision: ${visibleText(message)}\n`;

export const ok = (stdout: string, stderr = ""): CommandResult => ({ stdout, stderr, exitCode: 0 });

/** Run a handler body; bad input becomes exit 1: one line per catalog issue, or the one line a limit gives. */
export function guard(fn: () => CommandResult): CommandResult {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CatalogError) return { stdout: "", stderr: `${e.issues.map(formatIssue).join("\n")}\n`, exitCode: 1 };
    if (e instanceof RenderError || e instanceof ToolchainError || e instanceof BaseRevisionError) return { stdout: "", stderr: failureLine(e.message), exitCode: 1 };
    throw e;
  }
}

/**
 * The last wall before a terminal, applied where the process writes: no control or hiding
 * character leaves raw, whatever a message builder or the Pulumi CLI let through. Newlines and
 * tabs stay (the lines of a report, the body of a diff); JSON keeps valid, with `\uXXXX` escapes.
 */
export function shownResult(r: CommandResult, json: boolean): CommandResult {
  return { stdout: json ? visibleJsonText(r.stdout) : visibleText(r.stdout, "\n\t"), stderr: visibleText(r.stderr, "\n\t"), exitCode: r.exitCode };
}
