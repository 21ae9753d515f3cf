// The provider refuses a child's update when the CentralServer found one of its catalog secrets
// to be a credential of the stack (a BMC password, another child's key): before the child is
// touched, naming the secret and the credential, never a value. Real provider, local child.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { create, update, type ServerOutputs, type ServerProps } from "../../components/provider/serverProvider";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "credential-conflict-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const props = (root: string, over: Partial<ServerProps> = {}): ServerProps => ({
  server: "pxe-a",
  transport: { kind: "local", root },
  serve: { tftpPort: 6969, httpPort: 8080, bindAddress: "127.0.0.1", install: false, daemons: false, script: "unused" },
  files: {},
  objects: "unused",
  secrets: { root_password_hash: "the-bmc-password" },
  ...over,
});

describe("a credential conflict found by the CentralServer", () => {
  for (const conflict of [
    `the value of the catalog secret "root_password_hash" is the password of the BMC of host h1; refusing to place it in a file the child serves`,
    `the value of the catalog secret "motd" is the SSH private key of server pxe-b; refusing to place it in a file the child serves`,
  ]) {
    it(`create and update refuse: ${conflict.slice(0, 70)}…`, async () => {
      const root = fs.mkdtempSync(path.join(work, "child-"));
      const p = props(root, { credentialConflict: conflict });
      await expect(create(p)).rejects.toThrow(`pxe-a: ${conflict}`);
      await expect(update("pxe-a", { ...p, digest: "old" } as unknown as ServerOutputs, p)).rejects.toThrow(`pxe-a: ${conflict}`);
      expect(fs.readdirSync(root)).toEqual([]);
    });
  }
});
