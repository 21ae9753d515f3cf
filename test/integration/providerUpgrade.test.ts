// A stack made before 0.3 holds, in each file and bootstrap resource, the provider closure that
// `pulumi.dynamic.Resource` serialized. Today's program writes a fixed provider module instead.
// On the real engine the move changes nothing on any child and shows no change in a preview,
// and a server dropped in the first update is removed through the provider its state holds.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DYNAMIC_RESOURCE_TYPE, providerModule } from "../../components/dynamicResource";
import { STACK_PROGRAM, createFleet, treeOnDisk, type Fleet } from "../support/fleet";
import { expectConverged } from "../support/converged";
import { changes } from "../support/pulumi";

const SERIALIZED_PROVIDER_PROGRAM = path.join(__dirname, "fixtures", "serializedProviderProgram.ts");

interface StateResource {
  urn: string;
  type: string;
  inputs?: { __provider?: string };
}

describe("a stack whose resources hold a serialized provider closure, upgraded", () => {
  let fleet: Fleet;
  const dynamicResources = async () => {
    const out = await fleet.project.ok(["stack", "export", "--stack", fleet.project.stack]);
    return (JSON.parse(out.stdout) as { deployment: { resources: StateResource[] } }).deployment.resources.filter((r) => r.type === DYNAMIC_RESOURCE_TYPE);
  };

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      main: SERIALIZED_PROVIDER_PROGRAM,
      servers: [
        { name: "up-a", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "up-b", site: "b", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
    await fleet.project.up();
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("previews nothing to do, and its first up removes only the dropped server's files", async () => {
    const before = await dynamicResources();
    expect(before.length).toBeGreaterThanOrEqual(6);
    for (const r of before) expect(r.inputs?.__provider, r.urn).toMatch(/^exports\.handler = __f0;/);
    for (const s of fleet.servers) expectConverged(fleet, s.name);
    const onDiskA = treeOnDisk(fleet.roots["up-a"]!);

    const projectFile = path.join(fleet.project.dir, "Pulumi.yaml");
    fs.writeFileSync(projectFile, stringifyYaml({ ...parseYaml(fs.readFileSync(projectFile, "utf8")), main: STACK_PROGRAM }));
    expect(changes(await fleet.project.preview())).toEqual([]);

    // up-b leaves the stack: its resources are deleted by the closures in its state.
    const b = fleet.servers.find((s) => s.name === "up-b")!;
    fleet.writeServers(fleet.servers.filter((s) => s !== b));
    await fleet.project.up();
    expect([...treeOnDisk(fleet.roots["up-b"]!).keys()]).toEqual([]);
    expect(treeOnDisk(fleet.roots["up-a"]!)).toEqual(onDiskA);
    expectConverged(fleet, "up-a");

    const after = await dynamicResources();
    expect(after.map((r) => r.urn).sort()).toEqual(before.filter((r) => r.urn.includes("::up-a/")).map((r) => r.urn).sort());
    for (const r of after) expect(r.inputs?.__provider, r.urn).toMatch(/^exports.handler = /);
    expect(new Set(after.map((r) => r.inputs!.__provider))).toEqual(
      new Set((["placedTree", "placedFile", "bootstrap"] as const).map((kind) => providerModule(kind))),
    );
    expect(changes(await fleet.project.preview())).toEqual([]);
  });
});
