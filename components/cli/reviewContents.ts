/**
 * Where a plan finds the text of both sides of each changed file, without reaching a child:
 * the catalog rendered now (after), the central machine's content store (what earlier runs
 * rendered here: usually the text before), and — with `--base REF` — the catalog rendered at
 * that revision (the text before in CI, where the store is empty).
 */
import * as fs from "node:fs";
import type { ServerTree } from "../../src/render/render";
import { type BlobFacts, type Contents, asRenderedText, mergeContents, missingKeys, treeContents } from "../../src/review/contents";
import { isContentKey } from "../../src/state/contentKey";
import { ContentStore } from "../store";

/**
 * What the store holds of `keys`: sha256 and size of each, and the text of those that read as
 * rendered text (the store does not say which blobs are payloads: fileDiff decides by the file's
 * other side).
 */
export function storeContents(store: ContentStore, keys: Iterable<string>, opts: { texts?: boolean } = {}): Contents {
  const texts: Record<string, string> = {};
  const blobs: Record<string, BlobFacts> = {};
  for (const key of keys) {
    // Keys come from the state: one that is not a content key names nothing in the store.
    if (!isContentKey(key) || !store.has(key)) continue;
    const blob = store.get(key);
    blobs[key] = { sha256: blob.sha256, size: blob.size };
    const text = opts.texts !== false && blob.size <= 4 * 1024 * 1024 ? asRenderedText(fs.readFileSync(blob.path)) : undefined;
    if (text !== undefined) texts[key] = text;
  }
  return { texts, blobs };
}

/** Both sides' contents of the wanted keys: renderings first, then the store for what they lack. */
export function reviewContents(wanted: ReadonlySet<string>, sources: { now: readonly ServerTree[]; base?: readonly ServerTree[]; store?: ContentStore }): Contents {
  const rendered = mergeContents(treeContents(sources.now, wanted), treeContents(sources.base ?? [], wanted));
  const store = sources.store ?? new ContentStore();
  const missing = missingKeys(rendered, wanted);
  // A payload rendered at the base has no size (its file is not read): the store may know it.
  const sizeless = Object.keys(rendered.blobs).filter((k) => rendered.blobs[k]!.size === null);
  return mergeContents(storeContents(store, sizeless, { texts: false }), rendered, storeContents(store, missing));
}
