/**
 * The bytes a review can show, by content key: rendered texts (secrets as tokens) and, for
 * payloads, their sha256 and size. Gathered from renderings (the catalog now, at a base revision)
 * and from the central machine's content store; only the keys the changed files name.
 */
import type { ServerTree } from "../render/render";
import { decodeEntry } from "../state/fileEntries";
import type { PlannedFile } from "./plannedFile";

export interface BlobFacts {
  readonly sha256: string;
  /** null for a URL payload not yet downloaded. */
  readonly size: number | null;
}

export interface Contents {
  /** Text by content key, secrets as tokens. */
  readonly texts: Readonly<Record<string, string>>;
  /** Payloads (kernels, boot loaders) by content key. */
  readonly blobs: Readonly<Record<string, BlobFacts>>;
}

export const NO_CONTENTS: Contents = { texts: {}, blobs: {} };

/** Content keys of both sides of every changed file. */
export function wantedKeys(files: Readonly<Record<string, readonly PlannedFile[]>>): Set<string> {
  const keys = new Set<string>();
  for (const list of Object.values(files)) {
    for (const f of list) for (const e of [f.before, f.after]) if (e !== undefined) keys.add(decodeEntry(e).key);
  }
  return keys;
}

/** What the trees hold of the wanted keys. */
export function treeContents(trees: Iterable<ServerTree>, wanted: ReadonlySet<string>): Contents {
  const texts: Record<string, string> = {};
  const blobs: Record<string, BlobFacts> = {};
  for (const t of trees) {
    for (const f of t.files) {
      if (!wanted.has(f.key)) continue;
      if (f.content !== undefined) texts[f.key] = f.content;
      else blobs[f.key] = { sha256: f.sha256, size: f.size };
    }
  }
  return { texts, blobs };
}

/** Several sources in one; an earlier source wins for a key both hold (they agree: a key names its bytes). */
export function mergeContents(...sources: readonly Contents[]): Contents {
  return {
    texts: Object.assign({}, ...[...sources].reverse().map((s) => s.texts)) as Record<string, string>,
    blobs: Object.assign({}, ...[...sources].reverse().map((s) => s.blobs)) as Record<string, BlobFacts>,
  };
}

/** Keys of `wanted` that no source holds. */
export const missingKeys = (contents: Contents, wanted: Iterable<string>): string[] => [...wanted].filter((k) => !(k in contents.texts) && !(k in contents.blobs));

/** Rendered texts are far below this; anything larger in the store is a payload. */
const MAX_TEXT_BYTES = 4 * 1024 * 1024;
const TOKENS = /\u0000secret:[A-Za-z0-9._-]+\u0000/g;

/**
 * Bytes from the content store as a rendered text, or undefined for a payload: the store does
 * not say which a blob is, but rendered text is UTF-8 whose only NULs are in secret tokens.
 */
export function asRenderedText(bytes: Uint8Array): string | undefined {
  if (bytes.length > MAX_TEXT_BYTES) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  return text.replace(TOKENS, "").includes("\u0000") ? undefined : text;
}
