/**
 * How a server's files appear in the engine's state and preview: one map, path → entry (grouped
 * by directory in the state, `byDirectory`), where an entry is a short string — the content key,
 * then ` m=MODE` when the mode is not 0644, then ` s=NAME,…` when the file prints secrets. No
 * bytes, no checkout path, no secret: the preview names every changed file from two such maps,
 * and a server's state stays a few kilobytes. */
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

/**
 * The files map as a server's state holds it: directory → file name → entry. A directory is
 * written once, not once per file: a third of the map's bytes.
 */
export type FilesByDirectory = Record<string, Record<string, string>>;

export function byDirectory(files: Readonly<Record<string, string>>): FilesByDirectory {
  const dirs = new Map<string, [string, string][]>();
  for (const [path, entry] of Object.entries(files)) {
    // Paths are relative to the child's root: one with a leading slash would read back without it.
    if (path === "" || path.startsWith("/") || path.endsWith("/")) throw new Error(`not a file path relative to the child's root: ${JSON.stringify(path)}`);
    const slash = path.lastIndexOf("/");
    const dir = path.slice(0, Math.max(slash, 0));
    if (!dirs.has(dir)) dirs.set(dir, []);
    dirs.get(dir)!.push([path.slice(slash + 1), entry]);
  }
  // Built with fromEntries: a directory or file named `__proto__` is a key like any other.
  return Object.fromEntries([...dirs].map(([dir, names]) => [dir, Object.fromEntries(names)]));
}

/** path → entry, from the state's map by directory or from a flat map (a state written before 0.6). */
export function flatFiles(v: unknown): Record<string, string> {
  const out: [string, string][] = [];
  if (!v || typeof v !== "object" || Array.isArray(v)) return {};
  for (const [key, value] of Object.entries(v)) {
    if (typeof value === "string") out.push([key, value]);
    else if (value && typeof value === "object") for (const [name, entry] of Object.entries(value)) if (typeof entry === "string") out.push([key === "" ? name : `${key}/${name}`, entry]);
  }
  return Object.fromEntries(out);
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
