/**
 * What the engine's state holds of a server, computed from its rendered tree: the same for the
 * stack's resources (components/), the pure impact and the plan from a preview, so the three
 * agree by construction.
 */
import { createHash } from "node:crypto";
import type { ServerTree } from "../render/render";
import { MANIFEST_PATH } from "../render/layout";
import { canonicalJson, compareStrings } from "../util/canonical";
import { contentKey, sha256Hex } from "./contentKey";
import { type FileOp, encodeEntry } from "./fileEntries";

/**
 * The digests a server's state holds after an update that failed midway (the provider records
 * what the child then holds): they match no inputs, so the next update compares every file again.
 */
export const INCOMPLETE_DIGEST = "incomplete";

/** path → entry (fileEntries.ts) for every file of the tree. */
export function stateFiles(tree: ServerTree): Record<string, string> {
  return Object.fromEntries(tree.files.map((f) => [f.path, encodeEntry({ key: f.key, mode: f.mode, secrets: f.secrets })]));
}

/**
 * Every object the server holds, `kind/name@version`, sorted: the version is a short hash of the
 * object's effective definition (its fingerprint), so a changed definition changes the server's
 * entry even when no file of it changes.
 */
export function stateObjects(tree: ServerTree, fingerprints: Readonly<Record<string, string>>): string[] {
  return tree.selection.objects.map((o) => objectEntry(`${o.kind}/${o.name}`, fingerprints[`${o.kind}/${o.name}`] ?? "")).sort(compareStrings);
}

/**
 * The text of a server's object list as the content store keeps it; the state holds its content
 * key. The same bytes whose digest the state held beside the list itself before (0.5).
 */
export const objectListText = (entries: readonly string[]) => canonicalJson(entries);

/** The content key of an object list (the value of a server's `objects` input). */
export const objectListKey = (entries: readonly string[]) => contentKey(sha256Hex(objectListText(entries)));

/** An object list read back from its text; undefined when it is not one. */
export function parseObjectList(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((e) => typeof e === "string") ? v : undefined;
  } catch {
    return undefined;
  }
}

export const objectEntry = (key: string, fingerprint: string) => `${key}@${createHash("sha256").update(fingerprint).digest("base64url").slice(0, 8)}`;

/** `kind/name@version` → [`kind/name`, version]. */
export function parseObjectEntry(entry: string): [key: string, version: string] {
  const at = entry.lastIndexOf("@");
  return at < 0 ? [entry, ""] : [entry.slice(0, at), entry.slice(at + 1)];
}

/**
 * The child's manifest.json changes whenever any other file does (the provider rewrites it after
 * them): created with a new server, deleted with a removed one, otherwise updated.
 */
export function withManifest(files: ReadonlyMap<string, FileOp>, server: "create" | "update" | "delete" = "update"): Map<string, FileOp> {
  if (files.size === 0 && server === "update") return new Map(files);
  return new Map([...files, [MANIFEST_PATH, server] as const].sort((a, b) => compareStrings(a[0], b[0])));
}
