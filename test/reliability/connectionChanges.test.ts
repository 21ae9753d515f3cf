// Editing how a child is reached never deletes what it holds. The same sshd on another port, the
// same account under another user name, a rotated key: each is an update that writes nothing and
// removes nothing, and ends with the child's tree byte-identical to what `provision select`
// renders and a preview with nothing to do. Only a new root moves the tree, and then the old root
// loses exactly the files its manifest listed. Real engine, real sshd.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectConverged } from "../support/converged";
import { createFleet, treeOnDisk, type Fleet } from "../support/fleet";
import { planJson, provisionOk } from "../support/provisionCli";
import { changes } from "../support/pulumi";

/** inode and mtime of every file: a write (temporary file, then rename) changes both. */
function stamps(root: string): Map<string, string> {
  return new Map([...treeOnDisk(root).keys()].map((rel) => {
    const st = fs.statSync(path.join(root, rel));
    return [rel, `${st.ino}:${st.mtimeMs}`];
  }));
}

const ALIAS = "provtest-root";

describe("a change of how a child is reached, on the real engine", () => {
  let fleet: Fleet;
  const server = "cc-a";
  const root = () => fleet.roots[server]!;
  const transport = () => fleet.servers.find((s) => s.name === server)!.transport as { kind: "ssh"; port: number; user: string; root: string };
  const reach = (t: Partial<{ port: number; user: string; root: string }>) =>
    fleet.writeServers(fleet.servers.map((s) => (s.name === server ? { ...s, transport: { ...(s.transport as object), ...t } as typeof s.transport } : s)));

  /** The update does nothing to the child: same bytes, no file written, nothing left to do. */
  async function expectUntouched(before: Map<string, string>): Promise<void> {
    await fleet.project.up();
    expectConverged(fleet, server);
    expect(stamps(root())).toEqual(before);
    expect(changes(await fleet.project.preview())).toEqual([]);
  }

  beforeAll(async () => {
    execFileSync("useradd", ["-o", "-u", "0", "-g", "0", "-M", "-N", "-d", "/root", "-s", "/bin/sh", "-p", "*", ALIAS], { stdio: "ignore" });
    fleet = await createFleet({
      transport: "ssh",
      extraPorts: 1,
      servers: [
        { name: server, site: "a", arch: ["x86_64"], profiles: ["web*", "db"] },
        { name: "cc-b", site: "b", arch: ["aarch64"], profiles: ["edge-*"] },
      ],
    });
    await fleet.project.up();
    for (const s of fleet.servers) expectConverged(fleet, s.name);
  });
  afterAll(async () => {
    await fleet?.dispose();
    execFileSync("userdel", ["-f", ALIAS], { stdio: "ignore" });
  });

  it("another port of the same sshd: the plan says so and names no file; the up writes and deletes nothing", async () => {
    const before = stamps(root());
    reach({ port: fleet.ssh!.children[0]!.ports[1]! });
    const plan = await planJson(fleet.project);
    expect(plan.touched).toEqual([server]);
    expect(plan.servers[server]!.files).toEqual([]);
    const text = await provisionOk(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir]);
    expect(text.stdout).toContain("it is reached another way: the files stay on the child");
    await expectUntouched(before);
  });

  it("another user name for the same account", async () => {
    const before = stamps(root());
    reach({ user: ALIAS });
    await expectUntouched(before);
  });

  it("a rotated key: the state takes the new key, the child keeps its files", async () => {
    const before = stamps(root());
    await fleet.project.setConfig("provisioning:ssh_key_0", fleet.ssh!.otherPrivateKey, true);
    const plan = await planJson(fleet.project);
    expect(plan.servers[server]!.files).toEqual([]);
    await expectUntouched(before);
  });

  it("a new root moves the tree: placed at the new root first, then only the listed files leave the old one", async () => {
    const oldRoot = root();
    fs.writeFileSync(path.join(oldRoot, "http", "placed-by-hand.txt"), "not ours\n");
    const newRoot = fs.mkdtempSync(path.join(os.tmpdir(), "cc-moved-"));
    reach({ root: newRoot });
    fleet.roots[server] = newRoot;
    await fleet.project.up();
    expectConverged(fleet, server);
    expect([...treeOnDisk(oldRoot).keys()]).toEqual(["http/placed-by-hand.txt"]);
    expect(changes(await fleet.project.preview())).toEqual([]);
    // The other server was never touched.
    expectConverged(fleet, "cc-b");
  });
});
