import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LocalTransport } from "../../components/transports/local";
import { transportContract } from "./contract";

let root = "";
let transport: LocalTransport | undefined;
transportContract(
  "LocalTransport",
  async () => {
    root = mkdtempSync(path.join(os.tmpdir(), "local-child-"));
    transport = new LocalTransport(root, { serverName: "local-a" });
    return { transport, root, serverName: "local-a" };
  },
  async () => {
    await transport?.close();
    rmSync(root, { recursive: true, force: true });
  },
);

describe("LocalTransport construction", () => {
  it("requires an absolute root", () => {
    expect(() => new LocalTransport("relative/root")).toThrow(/absolute/);
  });
});
