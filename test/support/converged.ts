// What a converged child holds: exactly the tree render() gives for it, byte for byte.
import * as fs from "node:fs";
import { expect } from "vitest";
import { type Fleet, treeOnDisk } from "./fleet";

/** What render() says the server holds, path -> bytes. */
export function expectedBytes(fleet: Fleet, server: string): Map<string, Buffer> {
  return new Map(
    fleet.expectedTree(server).files.map((f) => [f.path, f.content !== undefined ? Buffer.from(f.content, "utf8") : fs.readFileSync(f.sourcePath!)]),
  );
}

/** The child holds exactly its rendered tree: the same paths (so no temporary file) and the same bytes. */
export function expectConverged(fleet: Fleet, server: string): void {
  const expected = expectedBytes(fleet, server);
  const actual = treeOnDisk(fleet.roots[server]!);
  expect([...actual.keys()].sort(), `${server}: paths`).toEqual([...expected.keys()].sort());
  for (const [rel, bytes] of expected) expect(actual.get(rel)!.equals(bytes), `${server}/${rel}`).toBe(true);
}
