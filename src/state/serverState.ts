/**
 * What the engine's state holds of a server, computed from its rendered tree: the same for the
 * stack's resources (components/), the pure impact and the plan from a preview, so the three
 * agree by construction.
 */
import type { ServerTree } from "../render/render";
import { MANIFEST_PATH } from "../render/layout";
import { compareStrings } from "../util/canonical";
import { type FileOp, encodeEntry } from "./fileEntries";

/** path → entry (fileEntries.ts) for every file of the tree. */
export function stateFiles(tree: ServerTree): Record<string, string> {
  return Object.fromEntries(tree.files.map((f) => [f.path, encodeEntry({ key: f.key, mode: f.mode, secrets: f.secrets })]));
}

/** `kind/name` of every object the server holds, sorted. */
export function stateObjects(tree: ServerTree): string[] {
  return tree.selection.objects.map((o) => `${o.kind}/${o.name}`).sort(compareStrings);
}

/**
 * The child's manifest.json changes whenever any other file does (the provider rewrites it after
 * them): created with a new server, deleted with a removed one, otherwise updated.
 */
export function withManifest(files: ReadonlyMap<string, FileOp>, server: "create" | "update" | "delete" = "update"): Map<string, FileOp> {
  if (files.size === 0 && server === "update") return new Map(files);
  return new Map([...files, [MANIFEST_PATH, server] as const].sort((a, b) => compareStrings(a[0], b[0])));
}
