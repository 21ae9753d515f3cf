// A stack made before 0.2 (every file its own resource) moves to today's shape (one files
// resource per server) on the real engine, and no file leaves a child: the per-file resources'
// deletes run last and leave every file the child's new manifest lists. A file that left the
// catalog in that same update is pruned, and so are the files of a server dropped in it. The
// same rule moves a file between the files resource and one of its own when it starts or stops
// using a secret.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STACK_PROGRAM, createFleet, filesResourceOf, placedFileOf, treeOnDisk, type Fleet } from "../support/fleet";
import { expectConverged } from "../support/converged";
import { changes } from "../support/pulumi";

const PER_FILE_PROGRAM = path.join(__dirname, "fixtures", "perFileProgram.ts");

interface StateResource {
  urn: string;
}

describe("a stack made with one resource per file, upgraded", () => {
  let fleet: Fleet;
  const urns = async () => {
    const out = await fleet.project.ok(["stack", "export", "--stack", fleet.project.stack]);
    return (JSON.parse(out.stdout) as { deployment: { resources: StateResource[] } }).deployment.resources.map((r) => r.urn);
  };

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      main: PER_FILE_PROGRAM,
      servers: [
        { name: "mig-a", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "mig-b", site: "b", arch: ["x86_64"], profiles: ["db", "base"] },
        { name: "mig-c", site: "c", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
    await fleet.project.up();
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("the first up with today's program keeps every file, prunes what left the catalog, and leaves nothing to do", async () => {
    // The old shape: one resource per rendered file.
    const before = await urns();
    for (const s of fleet.servers) {
      const own = before.map(placedFileOf).filter((f) => f?.server === s.name);
      expect(own.length).toBe(fleet.expectedTree(s.name).files.length);
      expectConverged(fleet, s.name);
    }
    const onDisk = new Map(fleet.servers.map((s) => [s.name, treeOnDisk(fleet.roots[s.name]!)]));

    // Today's program, and in the same update: mig-b stops serving `base`, mig-c leaves the stack.
    const projectFile = path.join(fleet.project.dir, "Pulumi.yaml");
    fs.writeFileSync(projectFile, stringifyYaml({ ...parseYaml(fs.readFileSync(projectFile, "utf8")), main: STACK_PROGRAM }));
    const oldB = new Set(fleet.expectedTree("mig-b").files.map((f) => f.path));
    fleet.writeServers(fleet.servers.filter((s) => s.name !== "mig-c").map((s) => (s.name === "mig-b" ? { ...s, profiles: ["db"] } : s)));
    const pruned = [...oldB].filter((p) => !fleet.expectedTree("mig-b").files.some((f) => f.path === p));
    expect(pruned).toContain("http/autoinstall/base.cfg");

    await fleet.project.up();

    // mig-a: every byte as it was. mig-b: as rendered now, the pruned files gone.
    expect(treeOnDisk(fleet.roots["mig-a"]!)).toEqual(onDisk.get("mig-a"));
    for (const s of fleet.servers) expectConverged(fleet, s.name);
    for (const p of pruned) expect(fs.existsSync(path.join(fleet.roots["mig-b"]!, p)), p).toBe(false);
    // mig-c left the stack in the same update: its manifest went first, then every file.
    expect(onDisk.get("mig-c")!.size).toBeGreaterThan(0);
    expect([...treeOnDisk(fleet.roots["mig-c"]!).keys()]).toEqual([]);

    // Today's shape: a files resource per server; only secret files and the manifest on their own.
    const after = await urns();
    expect(after.map(filesResourceOf).filter(Boolean).sort()).toEqual(["mig-a", "mig-b"]);
    for (const s of fleet.servers) {
      const own = after.map(placedFileOf).filter((f) => f?.server === s.name).map((f) => f!.path).sort();
      const expected = fleet.expectedTree(s.name).files.filter((f) => f.secret || f.path === "manifest.json").map((f) => f.path).sort();
      expect(own).toEqual(expected);
    }
    expect(changes(await fleet.project.preview())).toEqual([]);
  });

  it("a file that stops, then starts again, using a secret moves between resources and never leaves the child", async () => {
    const profiles = path.join(fleet.catalogDir, "profiles.yaml");
    const withSecret = fs.readFileSync(profiles, "utf8");
    expect(withSecret).toContain("root_password_hash: { secret: root_password_hash }");
    const secretPaths = () => fleet.expectedTree("mig-a").files.filter((f) => f.secret && f.path !== "manifest.json").map((f) => f.path);
    const moving = secretPaths();
    expect(moving.length).toBeGreaterThan(0);

    // A plain value instead of the secret: the kickstarts move into the files resource.
    fs.writeFileSync(profiles, withSecret.replaceAll("root_password_hash: { secret: root_password_hash }", 'root_password_hash: "$6$plain$NotASecretAnyMore"'));
    expect(secretPaths()).toEqual([]);
    await fleet.project.up();
    expectConverged(fleet, "mig-a");
    expect((await urns()).map(placedFileOf).filter((f) => f?.server === "mig-a").map((f) => f!.path)).toEqual(["manifest.json"]);

    // And back: each kickstart is its own resource again.
    fs.writeFileSync(profiles, withSecret);
    await fleet.project.up();
    expectConverged(fleet, "mig-a");
    expect((await urns()).map(placedFileOf).filter((f) => f?.server === "mig-a").map((f) => f!.path).sort()).toEqual([...moving, "manifest.json"].sort());
    expect(changes(await fleet.project.preview())).toEqual([]);
  });

  it("after the upgrade a server dropped from the stack has its files removed", async () => {
    const a = fleet.servers.find((s) => s.name === "mig-a")!;
    fleet.writeServers(fleet.servers.filter((s) => s.name !== "mig-a"));
    await fleet.project.up();
    expect([...treeOnDisk(fleet.roots[a.name]!).keys()]).toEqual([]);
    expectConverged(fleet, "mig-b");
  });
});
