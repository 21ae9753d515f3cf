/**
 * What a changed file says: a unified diff of its text before and after, every secret shown as
 * `[secret:NAME]` (a secret whose value changed as `[secret:NAME@version]`, its version on each
 * side a keyed hash from the state, never the value); for a payload, its size and sha256 on both
 * sides; for a file a refresh found changed on the child, what was found.
 */
import { structuredPatch } from "diff";
import { MANIFEST_PATH } from "../render/layout";
import { secretMarker, showSecretsWith } from "../render/secretTokens";
import { decodeEntry } from "../state/fileEntries";
import type { BlobFacts, Contents } from "./contents";
import type { PlannedFile } from "./plannedFile";

export type FileDiff =
  /** `diff` holds unified hunks; empty when only the mode changed (`mode`). */
  | { readonly kind: "text"; readonly diff: string; readonly mode?: string }
  | { readonly kind: "binary"; readonly before?: BlobFacts; readonly after?: BlobFacts }
  /** Written again as it is in the catalog: a refresh found it `modified` or `absent` on the child. */
  | { readonly kind: "drift"; readonly found: string }
  /** The child's manifest.json, rewritten by the provider to list the files. */
  | { readonly kind: "manifest" }
  /** The text of a side is in no rendering and not in the content store (`provision plan --base REF` renders it). */
  | { readonly kind: "unavailable"; readonly missing: "before" | "after" };

/** A hunk's range as `diff -u` writes it: an empty range starts at the line before it. */
const range = (start: number, lines: number) => `${lines === 0 ? start - 1 : start},${lines}`;

/** Unified diff hunks (no file header) of two texts, `context` lines around each change. */
export function unifiedDiff(before: string, after: string, context = 3): string {
  const patch = structuredPatch("before", "after", before, after, "", "", { context });
  return patch.hunks.map((h) => [`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines].join("\n")).join("\n");
}

const VERSION_CHARS = 6;

export function fileDiff(file: PlannedFile, contents: Contents): FileDiff {
  if (file.path === MANIFEST_PATH) return { kind: "manifest" };
  if (file.drift !== undefined && file.before === file.after) return { kind: "drift", found: file.drift };
  const before = file.before !== undefined ? decodeEntry(file.before) : undefined;
  const after = file.after !== undefined ? decodeEntry(file.after) : undefined;
  // A rendering says whether a key is text or a payload; the content store may hold a short
  // payload that reads as text, so a key known both ways is decided by the other side.
  const inTexts = (k?: string) => k !== undefined && k in contents.texts;
  const inBlobs = (k?: string) => k !== undefined && k in contents.blobs;
  const payloadOnly = (k?: string) => inBlobs(k) && !inTexts(k);
  const isPayload = payloadOnly(before?.key) || payloadOnly(after?.key) || (!inTexts(before?.key) && !inTexts(after?.key));
  if (!isPayload) {
    if (before && !inTexts(before.key)) return { kind: "unavailable", missing: "before" };
    if (after && !inTexts(after.key)) return { kind: "unavailable", missing: "after" };
    const shown = (text: string, side: "before" | "after") =>
      showSecretsWith(text, (name) => {
        const change = file.secretChanges?.[name];
        return change ? `[secret:${name}@${change[side].slice(0, VERSION_CHARS)}]` : secretMarker(name);
      });
    const diff = unifiedDiff(before ? shown(contents.texts[before.key]!, "before") : "", after ? shown(contents.texts[after.key]!, "after") : "");
    const mode = before && after && before.mode !== after.mode ? `${before.mode} → ${after.mode}` : undefined;
    return { kind: "text", diff, ...(mode ? { mode } : {}) };
  }
  if (before && !inBlobs(before.key)) return { kind: "unavailable", missing: "before" };
  if (after && !inBlobs(after.key)) return { kind: "unavailable", missing: "after" };
  return { kind: "binary", ...(before ? { before: contents.blobs[before.key]! } : {}), ...(after ? { after: contents.blobs[after.key]! } : {}) };
}
