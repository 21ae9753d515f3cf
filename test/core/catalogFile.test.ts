// The one way a catalog's files are read: the size limit at its boundary, links inside and out,
// special files refused without being read, payload hashing of files larger than a read chunk.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import nodeFs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { hashCatalogFile, readCatalogFile, withCatalogFile } from "../../src/catalog/catalogFile";
import { tempDir } from "./helpers";

describe("readCatalogFile", () => {
  it("reads a regular file of up to the limit; one byte more is refused with its size", () => {
    const dir = tempDir({ "at.yaml": "x".repeat(64), "over.yaml": "x".repeat(65) });
    expect(readCatalogFile(path.join(dir, "at.yaml"), [dir], 64)).toEqual({ bytes: Buffer.from("x".repeat(64)), real: fs.realpathSync(path.join(dir, "at.yaml")) });
    expect(readCatalogFile(path.join(dir, "over.yaml"), [dir], 64)).toEqual({ refused: "it is 65 bytes, above the limit of 64 bytes" });
  });

  it("follows a link to a file inside the folder; refuses a link out, a file out, and names no content", () => {
    const outside = tempDir({ "secret.yaml": "token: SECRETVALUE\n" });
    const dir = tempDir({ "real.yaml": "a: 1\n", "sub/other.yaml": "b: 2\n" });
    fs.symlinkSync("sub/other.yaml", path.join(dir, "inside.yaml"));
    fs.symlinkSync(path.join(outside, "secret.yaml"), path.join(dir, "out.yaml"));
    expect(readCatalogFile(path.join(dir, "inside.yaml"), [dir], 1024)).toMatchObject({ bytes: Buffer.from("b: 2\n") });
    expect(readCatalogFile(path.join(dir, "out.yaml"), [dir], 1024)).toEqual({ refused: "it is a symbolic link that leads outside the catalog folder" });
    expect(readCatalogFile(path.join(outside, "secret.yaml"), [dir], 1024)).toEqual({ refused: "it is outside the catalog folder" });
  });

  it("refuses a FIFO, a directory, a device, a dangling link and a loop without reading them", () => {
    const dir = tempDir({});
    execFileSync("mkfifo", [path.join(dir, "fifo")]);
    fs.mkdirSync(path.join(dir, "dir"));
    fs.symlinkSync("nothing", path.join(dir, "dangling"));
    fs.symlinkSync("loop", path.join(dir, "loop"));
    const read = (name: string, folders = [dir]) => withCatalogFile(path.join(dir, name), folders, () => expect.fail(`${name} was opened for reading`));
    expect(read("fifo")).toEqual({ refused: "it is a FIFO, not a regular file" });
    expect(read("dir")).toEqual({ refused: "it is a directory, not a regular file" });
    expect(read("dangling")).toEqual({ refused: "it is a symbolic link to nothing (dangling)" });
    expect(read("loop")).toEqual({ refused: "it is a loop of symbolic links" });
    fs.symlinkSync("/dev/zero", path.join(dir, "zero"));
    expect(read("zero", [dir, "/dev"])).toEqual({ refused: "it is a character device, not a regular file" });
    expect(read("missing")).toEqual({ refused: "ENOENT" });
  });

  it("a FIFO put in place of a regular file after the check is refused on its descriptor, without blocking", () => {
    const dir = tempDir({});
    const fifo = path.join(dir, "swapped.yaml");
    execFileSync("mkfifo", [fifo]);
    // The path check sees a regular file, as it would just before the swap (node:fs's own object, synced into its ESM exports).
    const stat = vi.spyOn(nodeFs, "statSync").mockReturnValueOnce({ isFile: () => true } as fs.Stats);
    syncBuiltinESMExports();
    try {
      expect(readCatalogFile(fifo, [dir], 1024)).toEqual({ refused: "it is a FIFO, not a regular file" });
      expect(stat).toHaveBeenCalledOnce();
    } finally {
      stat.mockRestore();
      syncBuiltinESMExports();
    }
  });
});

describe("hashCatalogFile", () => {
  it("hashes a file larger than one read chunk, and again after it changed", () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const dir = tempDir({ "initrd.img": bytes });
    const file = path.join(dir, "initrd.img");
    expect(hashCatalogFile(file, [dir])).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length, real: fs.realpathSync(file) });
    fs.writeFileSync(file, "other");
    expect(hashCatalogFile(file, [dir])).toMatchObject({ sha256: createHash("sha256").update("other").digest("hex"), size: 5 });
  });
});
