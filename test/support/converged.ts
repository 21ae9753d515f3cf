// What a converged child holds: exactly the tree render() gives for it, byte for byte.
import * as fs from "node:fs";
import * as path from "node:path";
import { MANIFEST_PATH, manifestText, parseManifest } from "../../src/render/manifest";
import { unmask } from "../../src/render/secretTokens";
import { sha256Hex } from "../../src/state/contentKey";
import { ContentStore } from "../../components/store";
import { expect } from "vitest";
import { type Fleet, treeOnDisk } from "./fleet";

/**
 * What render() says the server holds, path -> bytes, secrets in place; and its manifest.json,
 * which lists them (the child's identity taken from the manifest it holds).
 */
export function expectedBytes(fleet: Fleet, server: string): Map<string, Buffer> {
  const files = new Map(
    fleet.expectedTree(server).files.map((f) => [
      f.path,
      f.content !== undefined ? Buffer.from(unmask(f.content, fleet.secrets), "utf8") : fs.readFileSync(f.payload?.path ?? new ContentStore().get(f.key).path),
    ]),
  );
  const manifestFile = path.join(fleet.roots[server]!, MANIFEST_PATH);
  const held = fs.existsSync(manifestFile) ? parseManifest(fs.readFileSync(manifestFile, "utf8")) : undefined;
  const manifest = manifestText({
    server,
    child: held?.child ?? "(no manifest on the child)",
    files: [...files].map(([p, bytes]) => ({ path: p, sha256: sha256Hex(bytes), size: bytes.length, mode: fleet.expectedTree(server).files.find((f) => f.path === p)!.mode })),
  });
  return new Map([...files, [MANIFEST_PATH, Buffer.from(manifest, "utf8")]]);
}

/** The child holds exactly its rendered tree: the same paths (so no temporary file) and the same bytes. */
export function expectConverged(fleet: Fleet, server: string): void {
  const expected = expectedBytes(fleet, server);
  const actual = treeOnDisk(fleet.roots[server]!);
  expect([...actual.keys()].sort(), `${server}: paths`).toEqual([...expected.keys()].sort());
  for (const [rel, bytes] of expected) expect(actual.get(rel)!.equals(bytes), `${server}/${rel}`).toBe(true);
}
