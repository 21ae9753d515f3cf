/**
 * Each server's object list (`kind/name@version`, src/state/serverState.ts) lives in the content
 * store like a file's bytes, and the server's state holds its content key: forty object names
 * per server would otherwise be most of the state. The plan reads the lists back from the store,
 * where the program put them: now, at every run before (the lists the state names), and at the
 * `--base` revision.
 */
import * as fs from "node:fs";
import type { ServerTree } from "../src/render/render";
import { isContentKey, sha256Hex } from "../src/state/contentKey";
import { objectListText, parseObjectList, stateObjects } from "../src/state/serverState";
import type { ObjectLists } from "../src/plan/fromPreview";
import { ContentStore } from "./store";

/** Puts the server's object list in the store; returns its content key. */
export function putObjectList(store: ContentStore, tree: ServerTree, fingerprints: Readonly<Record<string, string>>): string {
  const text = objectListText(stateObjects(tree, fingerprints));
  return store.putText(text, sha256Hex(text));
}

// A list names some hundred objects; a state that names a payload's key gets no list, not its bytes read.
const MAX_LIST_BYTES = 1024 * 1024;

/** The object lists the store holds, by content key (a value of the state: anything else is no list). */
export function storedObjectLists(store: ContentStore = new ContentStore()): ObjectLists {
  return (key) => {
    if (!isContentKey(key) || !store.has(key)) return undefined;
    const blob = store.get(key);
    return blob.size > MAX_LIST_BYTES ? undefined : parseObjectList(fs.readFileSync(blob.path, "utf8"));
  };
}
