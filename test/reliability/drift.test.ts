// Drift on the real engine: files edited or deleted by hand on a child are found by a refreshing
// preview (and by `provision plan --refresh`, grouped per server), recorded by `pulumi refresh`,
// and put back by the next `up` to exactly what render() gives.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Impact } from "../../src/impact";
import { changedFilesOf, createFleet, serverResourceOf, type Fleet } from "../support/fleet";
import { expectConverged } from "../support/converged";
import { provision } from "../support/provisionCli";
import { changes, type PreviewJson } from "../support/pulumi";

/** `server/path` of every file a preview would change. */
const changedFiles = (preview: PreviewJson) => [...changedFilesOf(preview).keys()].sort();

describe("drift on children, on the real engine", () => {
  let fleet: Fleet;
  const edited = { server: "drift-a", path: "http/autoinstall/web.cfg" };
  const deleted = { server: "drift-b", path: "tftp/pxelinux.cfg/default" };

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "ssh",
      servers: [
        { name: "drift-a", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "drift-b", site: "b", arch: ["aarch64"], profiles: ["edge-*"] },
        { name: "drift-c", site: "c", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
    await fleet.project.up();
    for (const s of fleet.servers) expectConverged(fleet, s.name);
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("without a refresh the engine does not look at the children: no change", async () => {
    fs.appendFileSync(path.join(fleet.roots[edited.server]!, edited.path), "\n# edited by hand\n");
    fs.rmSync(path.join(fleet.roots[deleted.server]!, deleted.path));
    expect(changes(await fleet.project.preview())).toEqual([]);
  });

  it("preview --refresh names exactly the drifted files of the drifted servers", async () => {
    const preview = await fleet.project.preview(["--refresh"]);
    expect(changedFiles(preview)).toEqual([`${deleted.server}/${deleted.path}`, `${edited.server}/${edited.path}`].sort());
    expect([...changedFilesOf(preview).values()]).toEqual(["update", "update"]);
    const step = changes(preview).find((s) => s.op === "update" && serverResourceOf(s.urn) === deleted.server)!;
    // The refresh found the file gone; the update puts back the rendered bytes (the inputs did not change).
    expect(step.oldState?.outputs?.drift).toEqual({ [deleted.path]: "absent" });
    expect(step.newState?.inputs?.files).toEqual(step.oldState?.inputs?.files);
  });

  it("provision plan --refresh reports the drift per server", async () => {
    const r = await provision(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, "--refresh", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as Impact;
    expect([...plan.touched].sort()).toEqual([edited.server, deleted.server].sort());
    expect(plan.servers[edited.server]!.files).toEqual([{ path: edited.path, op: "update" }]);
    expect(plan.servers[deleted.server]!.files).toEqual([{ path: deleted.path, op: "update" }]);
    expect(plan.servers["drift-c"]!.status).toBe("same");
    const text = await provision(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, "--refresh"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(edited.path);
    expect(text.stdout).toContain(deleted.path);
  });

  it("pulumi refresh records the drift in state; the next up repairs exactly those files", async () => {
    const refresh = await fleet.project.ok(["refresh", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
    expect(refresh.stdout).toMatch(/updated/);
    // After the refresh a plain preview sees the drift: state holds what the children hold.
    expect(changedFiles(await fleet.project.preview())).toEqual([`${deleted.server}/${deleted.path}`, `${edited.server}/${edited.path}`].sort());

    // Neither another server's files nor the drifted server's other files are written again.
    const untouched = ["drift-c/tftp/pxelinux.cfg/default", "drift-b/tftp/grub/grub.cfg"].map((f) => {
      const [server, ...rest] = f.split("/");
      return path.join(fleet.roots[server!]!, ...rest);
    });
    const stamps = untouched.map((f) => fs.statSync(f).mtimeMs);
    await fleet.project.up();
    for (const s of fleet.servers) expectConverged(fleet, s.name);
    expect(untouched.map((f) => fs.statSync(f).mtimeMs)).toEqual(stamps);
    expect(changes(await fleet.project.preview(["--refresh"])).filter((s) => s.op !== "refresh")).toEqual([]);
  });

  it("up --refresh repairs drift in one step", async () => {
    const file = path.join(fleet.roots["drift-c"]!, "http/autoinstall/db.cfg");
    fs.writeFileSync(file, "replaced by hand\n");
    await fleet.project.up(["--refresh"]);
    expectConverged(fleet, "drift-c");
    expect(changes(await fleet.project.preview(["--refresh"])).filter((s) => s.op !== "refresh")).toEqual([]);
  });
});
