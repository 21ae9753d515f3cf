// Upgrading a stack whose state 0.5 wrote, on the real engine. 0.5 kept each server's files by
// path and its object list itself, and its dynamic resources used the engine's default provider;
// 0.6 groups the files by directory, keeps the list's content key, and uses a provider of its
// own. The stack is brought up by this version, its state rewritten in the 0.5 shape (`pulumi
// stack export` / `import`), then previewed and updated: no server may change, and no child may
// be touched — a provider change the engine took for a replacement would delete every file.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedObjectLists } from "../../components/objectLists";
import { flatFiles } from "../../src/state/fileEntries";
import { type Fleet, createFleet, treeOnDisk } from "../support/fleet";
import { changes } from "../support/pulumi";

interface StateResource {
  urn: string;
  id?: string;
  type: string;
  provider?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}
interface Deployment {
  deployment: { resources: StateResource[] };
}

/** The same deployment as 0.5 wrote it. */
function as05(d: Deployment, config: Record<string, unknown>): Deployment {
  const lists = storedObjectLists();
  const resources = d.deployment.resources.map((r) => {
    if (r.type === "pulumi:providers:pulumi-nodejs") {
      // The engine's default provider held the stack's configuration.
      return { ...r, urn: r.urn.replace(/::central$/, "::default"), inputs: config, outputs: config };
    }
    const provider = r.provider?.replace("::pulumi:providers:pulumi-nodejs::central::", "::pulumi:providers:pulumi-nodejs::default::");
    if (r.inputs?.files === undefined) return { ...r, ...(provider ? { provider } : {}) };
    const objects = lists(r.inputs.objects as string);
    if (!objects) throw new Error(`no object list for ${r.urn}`);
    return { ...r, provider, inputs: { ...r.inputs, files: flatFiles(r.inputs.files), objects } };
  });
  return { ...d, deployment: { ...d.deployment, resources } };
}

/** Each file of a child with its bytes and modification time. */
function snapshot(root: string): Record<string, string> {
  return Object.fromEntries([...treeOnDisk(root)].map(([rel, bytes]) => [rel, `${fs.statSync(path.join(root, rel)).mtimeMs} ${bytes.toString("base64")}`]));
}

describe("a stack whose state 0.5 wrote", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "pxe-a", site: "east", arch: ["x86_64"], profiles: ["web"], wave: 0 },
        { name: "pxe-b", site: "west", arch: ["x86_64"], profiles: ["*"], wave: 1 },
      ],
    });
    await fleet.project.up();
  }, 240_000);
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("upgrades without an update of any server: the preview names only the new provider, the children are not touched", async () => {
    const p = fleet.project;
    const exported = JSON.parse((await p.ok(["stack", "export", "--stack", p.stack])).stdout) as Deployment;
    const file = path.join(p.dir, "state-0.5.json");
    fs.writeFileSync(file, JSON.stringify(as05(exported, { "provisioning:catalog": fleet.catalogDir, "provisioning:servers": fleet.servers })));
    await p.ok(["stack", "import", "--stack", p.stack, "--file", file]);
    const legacy = (JSON.parse((await p.ok(["stack", "export", "--stack", p.stack])).stdout) as Deployment).deployment.resources;
    expect(legacy.filter((r) => r.inputs?.files !== undefined).every((r) => Array.isArray(r.inputs!.objects))).toBe(true);

    const before = Object.fromEntries(Object.entries(fleet.roots).map(([s, root]) => [s, snapshot(root)]));
    const preview = await p.preview();
    expect(changes(preview).map((s) => `${s.op} ${s.urn.split("::").slice(-2).join("::")}`)).toEqual(["create pulumi:providers:pulumi-nodejs::central"]);

    await p.up();
    expect(Object.fromEntries(Object.entries(fleet.roots).map(([s, root]) => [s, snapshot(root)]))).toEqual(before);
    expect(changes(await p.preview())).toEqual([]);
    // The state is in the new shape, on the new provider.
    const now = (JSON.parse((await p.ok(["stack", "export", "--stack", p.stack])).stdout) as Deployment).deployment.resources;
    const servers = now.filter((r) => r.inputs?.files !== undefined);
    expect(servers.map((r) => typeof r.inputs!.objects)).toEqual(["string", "string"]);
    expect(servers.every((r) => r.provider?.includes("::pulumi:providers:pulumi-nodejs::central::"))).toBe(true);
    expect(now.some((r) => r.urn.endsWith("::pulumi:providers:pulumi-nodejs::default"))).toBe(false);
  }, 240_000);
});
