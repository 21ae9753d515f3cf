// Issue 4's proof on the real engine: three SSH children (real sshd on loopback), bootstrapped to
// serve over real tftpd-hpa and nginx; the engine's preview names exactly the servers and files a
// catalog change touches, and `up` touches nothing else.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changes } from "../support/pulumi";
import { expectedBytes } from "../support/converged";
import { changedFilesOf, createFleet, serverResourceOf, treeOnDisk, type Fleet } from "../support/fleet";
import { tftpGet } from "../support/tftp";
import { httpGet } from "../support/http";

function stats(root: string): Map<string, string> {
  return new Map([...treeOnDisk(root).keys()].map((rel) => {
    const st = fs.statSync(path.join(root, rel));
    return [rel, `${st.ino}:${st.mtimeMs}`];
  }));
}


describe("a fleet of SSH children on the real engine", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "ssh",
      servers: [
        { name: "rack-a", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "rack-b", site: "b", arch: ["x86_64"], profiles: ["db", "base"] },
        { name: "rack-c", site: "c", arch: ["aarch64"], profiles: ["edge-*"] },
      ],
    });
    await fleet.project.up();
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("places on each child exactly its rendered tree, and the child serves it", async () => {
    for (const server of fleet.servers) {
      const expected = expectedBytes(fleet, server.name);
      const actual = treeOnDisk(fleet.roots[server.name]!);
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [rel, bytes] of expected) expect(actual.get(rel)!.equals(bytes), `${server.name}/${rel}`).toBe(true);

      const menu = await tftpGet(server.tftpPort, "pxelinux.cfg/default");
      expect(menu.equals(expected.get("tftp/pxelinux.cfg/default")!)).toBe(true);
      const profile = fleet.expectedTree(server.name).selection.profiles[0]!;
      const ks = await httpGet(server.httpPort, `/autoinstall/${profile}.cfg`);
      expect(ks.equals(expected.get(`http/autoinstall/${profile}.cfg`)!)).toBe(true);
    }
  });

  it("every figure the stack reports is what the child holds: the manifest's sha256, secret where the files print secrets", async () => {
    const shown = JSON.parse((await fleet.project.ok(["stack", "output", "--json", "--show-secrets", "--stack", fleet.project.stack, "provisioningServers"])).stdout) as Record<string, { manifestSha256: string; files: number }>;
    const masked = JSON.parse((await fleet.project.ok(["stack", "output", "--json", "--stack", fleet.project.stack, "provisioningServers"])).stdout) as Record<string, { manifestSha256: string }>;
    for (const s of fleet.servers) {
      const manifest = fs.readFileSync(path.join(fleet.roots[s.name]!, "manifest.json"));
      expect(shown[s.name]!.manifestSha256, s.name).toBe(createHash("sha256").update(manifest).digest("hex"));
      expect(shown[s.name]!.files).toBe(JSON.parse(manifest.toString("utf8")).files.length);
      const printsSecrets = fleet.expectedTree(s.name).secretNames.length > 0;
      expect(masked[s.name]!.manifestSha256, s.name).toBe(printsSecrets ? "[secret]" : shown[s.name]!.manifestSha256);
    }
  });

  it("a no-change preview reports only same steps", async () => {
    expect(changes(await fleet.project.preview())).toEqual([]);
  });

  it("a change to a template some servers share updates only those servers and files", async () => {
    const before = new Map(fleet.servers.map((s) => [s.name, fleet.expectedTree(s.name)]));
    const statsBefore = new Map(fleet.servers.map((s) => [s.name, stats(fleet.roots[s.name]!)]));
    // The kickstart template: used by the EL profiles of rack-a and rack-b, not by rack-c's preseed.
    const kickstart = path.join(fleet.catalogDir, "templates", "ks-base.ks.j2");
    fs.appendFileSync(kickstart, "# reviewed: keep /var separate\n");

    // What should change: every file whose rendered bytes differ.
    const expectedUpdates = fleet.servers.flatMap((s) => {
      const old = new Map(before.get(s.name)!.files.map((f) => [f.path, f.sha256]));
      const changed = fleet.expectedTree(s.name).files.filter((f) => old.get(f.path) !== f.sha256).map((f) => `${s.name}/${f.path}`);
      return changed.length ? [...changed, `${s.name}/manifest.json`] : [];
    });
    expect(expectedUpdates.length).toBeGreaterThan(0);

    const preview = await fleet.project.preview();
    const steps = changes(preview);
    expect(steps.every((s) => s.op === "update")).toBe(true);
    // One step per touched server, nothing else.
    expect(steps.map((s) => serverResourceOf(s.urn) ?? s.urn).sort()).toEqual(["rack-a", "rack-b"]);
    const files = changedFilesOf(preview);
    expect([...files.values()].every((op) => op === "update")).toBe(true);
    const updated = [...files.keys()];
    expect(updated.sort()).toEqual(expectedUpdates.sort());
    // The Debian child is not touched at all.
    expect(updated.some((u) => u.startsWith("rack-c/"))).toBe(false);
    expect(new Set(updated.map((u) => u.split("/")[0]))).toEqual(new Set(["rack-a", "rack-b"]));

    await fleet.project.up();
    for (const s of fleet.servers) {
      const now = stats(fleet.roots[s.name]!);
      for (const [rel, stamp] of statsBefore.get(s.name)!) {
        const touched = expectedUpdates.includes(`${s.name}/${rel}`);
        if (!touched) expect(now.get(rel), `${s.name}/${rel} untouched`).toBe(stamp);
        else expect(now.get(rel), `${s.name}/${rel} rewritten`).not.toBe(stamp);
      }
      const actual = treeOnDisk(fleet.roots[s.name]!);
      for (const [rel, bytes] of expectedBytes(fleet, s.name)) expect(actual.get(rel)!.equals(bytes)).toBe(true);
    }
    expect(changes(await fleet.project.preview())).toEqual([]);
  });

  it("removing a served profile deletes exactly its files and drops it from the menu", async () => {
    const b = fleet.servers.find((s) => s.name === "rack-b")!;
    const oldPaths = new Set(fleet.expectedTree("rack-b").files.map((f) => f.path));
    fleet.writeServers(fleet.servers.map((s) => (s.name === "rack-b" ? { ...s, profiles: ["db"] } : s)));
    const newPaths = new Set(fleet.expectedTree("rack-b").files.map((f) => f.path));
    const gone = [...oldPaths].filter((p) => !newPaths.has(p)).sort();
    expect(gone).toContain("http/autoinstall/base.cfg");

    const preview = await fleet.project.preview();
    const steps = changes(preview);
    const files = [...changedFilesOf(preview)];
    const deletes = files.filter(([, op]) => op === "delete").map(([f]) => f);
    expect(deletes.sort()).toEqual(gone.map((p) => `rack-b/${p}`));
    // Nothing else changes on any other server.
    expect(files.every(([f]) => f.startsWith("rack-b/"))).toBe(true);
    expect(steps.map((s) => serverResourceOf(s.urn)), steps.map((s) => s.urn).join("\n")).toEqual(["rack-b"]);

    await fleet.project.up();
    const onDisk = treeOnDisk(fleet.roots["rack-b"]!);
    for (const rel of gone) expect(onDisk.has(rel)).toBe(false);
    const menu = (await tftpGet(b.tftpPort, "pxelinux.cfg/default")).toString("utf8");
    expect(menu).toContain("LABEL db");
    expect(menu).not.toContain("LABEL base");
  });

  it("a second up with no change is a no-op", async () => {
    const result = await fleet.project.up();
    expect(result.stdout).not.toMatch(/[~+-] +pulumi-nodejs:dynamic:Resource/);
    const preview = await fleet.project.preview();
    expect(preview.steps.every((s) => s.op === "same")).toBe(true);
  });
});
