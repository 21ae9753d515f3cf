// A server's state as 0.5 wrote it (files by path, the object list itself, digests of both) meets
// the inputs 0.6 declares for the same server (files by directory, the content key of the list):
// the provider finds nothing to do, so the engine migrates the state without an update. The
// fixture is one server resource of a real 0.5 state (bench catalog).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { storedObjectLists } from "../../components/objectLists";
import * as serverProvider from "../../components/provider/serverProvider";
import { ContentStore } from "../../components/store";
import { contentKey, sha256Hex, sha256PrefixOfKey } from "../../src/state/contentKey";
import { byDirectory, flatFiles } from "../../src/state/fileEntries";
import { objectListKey, objectListText, parseObjectList } from "../../src/state/serverState";

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "server-state-0.5.json"), "utf8")) as {
  inputs: { files: Record<string, string>; objects: string[] } & Record<string, unknown>;
  outputs: serverProvider.ServerOutputs;
};

/** The inputs 0.6 declares for the same server: its list's content key, the files grouped. */
function inputsNow(files: Record<string, string>, objects: readonly string[]): serverProvider.ServerProps {
  return { ...(fixture.inputs as unknown as serverProvider.ServerProps), files: byDirectory(files), objects: objectListKey(objects) };
}

describe("a state written by 0.5", () => {
  it("needs no update of an unchanged server: the digests of both shapes agree", async () => {
    expect((await serverProvider.diff("srv000", fixture.outputs, inputsNow(fixture.inputs.files, fixture.inputs.objects))).changes).toBe(false);
  });

  it("still shows a changed file or a changed object version as a change", async () => {
    const [first] = Object.keys(fixture.inputs.files);
    const files = { ...fixture.inputs.files, [first!]: "B".repeat(22) };
    expect((await serverProvider.diff("srv000", fixture.outputs, inputsNow(files, fixture.inputs.objects))).changes).toBe(true);
    const objects = fixture.inputs.objects.map((o, i) => (i === 0 ? o.replace(/@.*/, "@XXXXXXXX") : o));
    expect((await serverProvider.diff("srv000", fixture.outputs, inputsNow(fixture.inputs.files, objects))).changes).toBe(true);
  });

  it("files by directory and by path name the same files; an object list reads back from its text", () => {
    const grouped = byDirectory(fixture.inputs.files);
    expect(Object.keys(grouped).length).toBeLessThan(Object.keys(fixture.inputs.files).length);
    expect(flatFiles(grouped)).toEqual(fixture.inputs.files);
    expect(flatFiles(fixture.inputs.files)).toEqual(fixture.inputs.files);
    expect(flatFiles({ http: { a: 1 }, b: [] })).toEqual({});
    expect(parseObjectList(objectListText(fixture.inputs.objects))).toEqual(fixture.inputs.objects);
    expect(parseObjectList("{")).toBeUndefined();
    expect(parseObjectList('[1]')).toBeUndefined();
    const sha = sha256Hex("x");
    expect(sha256PrefixOfKey(contentKey(sha))).toBe(sha.slice(0, 32));
    // A directory or file named like a prototype key stays a key; a path that is not relative is refused.
    const odd = JSON.parse('{"__proto__/x": "a", "http/__proto__": "b", "http/files/constructor": "c", "top": "d"}') as Record<string, string>;
    expect(flatFiles(byDirectory(odd))).toEqual(odd);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    for (const bad of ["/etc/passwd", "", "http/"]) expect(() => byDirectory({ [bad]: "a" })).toThrow(/not a file path relative/);
  });
});

describe("object lists read back from the content store", () => {
  it("are lists the program put there; a state naming anything else gets none", () => {
    const store = new ContentStore(fs.mkdtempSync(path.join(os.tmpdir(), "lists-store-")));
    const lists = storedObjectLists(store);
    const text = objectListText(["profile/web@AAAAAAAA"]);
    expect(lists(store.putText(text, sha256Hex(text)))).toEqual(["profile/web@AAAAAAAA"]);
    const notAList = "#!ipxe\n";
    expect(lists(store.putText(notAList, sha256Hex(notAList)))).toBeUndefined();
    expect(lists(contentKey(sha256Hex("never put")))).toBeUndefined();
    for (const hostile of ["../../etc/passwd", "", "A".repeat(23)]) expect(lists(hostile)).toBeUndefined();
  });
});
