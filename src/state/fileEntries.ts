/**
 * How a server's files appear in the engine's state and preview: one map, path → entry, where an
 * entry is a short string — the content key, then ` m=MODE` when the mode is not 0644, then
 * ` s=NAME,…` when the file prints secrets. No bytes, no checkout path, no secret: the preview
 * names every changed file from two such maps, and a server's state stays a few kilobytes.
 */
import { DEFAULT_FILE_MODE } from "../render/layout";
import { compareStrings } from "../util/canonical";

export interface FileEntry {
  /** Content key of the file's bytes (of its text with secret tokens, for a file that prints secrets). */
  readonly key: string;
  readonly mode: string;
  /** Secrets the file prints, sorted. */
  readonly secrets: readonly string[];
}

export function encodeEntry(e: FileEntry): string {
  return [e.key, e.mode !== DEFAULT_FILE_MODE ? `m=${e.mode}` : "", e.secrets.length ? `s=${e.secrets.join(",")}` : ""].filter(Boolean).join(" ");
}

export function decodeEntry(s: string): FileEntry {
  const [key = "", ...rest] = s.split(" ");
  let mode = DEFAULT_FILE_MODE;
  let secrets: string[] = [];
  for (const part of rest) {
    if (part.startsWith("m=")) mode = part.slice(2);
    else if (part.startsWith("s=")) secrets = part.slice(2).split(",").filter(Boolean);
  }
  return { key, mode, secrets };
}

export type FileOp = "create" | "update" | "delete";

/**
 * The files an update writes or removes, from the old map to the new: the one rule for "which
 * files changed", used by the provider, the plan and the pure impact alike. `changedSecrets`
 * (secrets whose value changed) makes every file printing one of them an update.
 */
export function fileChanges(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
  changedSecrets: ReadonlySet<string> = new Set(),
): Map<string, FileOp> {
  const ops = new Map<string, FileOp>();
  for (const path of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareStrings)) {
    const b = before[path];
    const a = after[path];
    if (b === undefined) ops.set(path, "create");
    else if (a === undefined) ops.set(path, "delete");
    else if (b !== a || decodeEntry(a).secrets.some((n) => changedSecrets.has(n))) ops.set(path, "update");
  }
  return ops;
}
