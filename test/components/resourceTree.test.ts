// The resource graph, fast, with Pulumi's mocks: names, parents and counts per server. The real
// engine's behaviour is proven in test/integration; this only checks what the program declares.
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalog, readStackConfig, render, resolveCatalog } from "../../src";

interface Declared {
  type: string;
  name: string;
  parent?: string;
  dependsOn: string[];
  inputs?: Record<string, unknown>;
}

const declared: Declared[] = [];
const repoRoot = path.resolve(__dirname, "..", "..");

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        // Only what this program creates may appear: anything else is a bug in the test setup.
        if (!args.type.startsWith("provisioning:index:") && args.type !== "pulumi-nodejs:dynamic:Resource") {
          throw new Error(`unexpected resource type ${args.type}`);
        }
        const d = declared.find((x) => x.name === args.name && x.type === args.type);
        if (d) d.inputs = args.inputs;
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => {
        throw new Error("no calls expected");
      },
    },
    "provisioning",
    "dev",
    true,
  );
});

/** Records every resource declared under a component, with its parent's name. */
const record: pulumi.ResourceTransformation = (args) => {
  const dependsOn = ([] as unknown[]).concat(args.opts.dependsOn ?? []) as { __name?: string }[];
  declared.push({
    type: args.type,
    name: args.name,
    parent: (args.opts.parent as { __name?: string } | undefined)?.__name,
    dependsOn: dependsOn.map((d) => d.__name ?? "?"),
  });
  return undefined;
};

describe("the resource tree of the dev stack", () => {
  it("mirrors the catalog and gives each server a bootstrap, one resource for its files, and one per secret file and the manifest", async () => {
    const { CentralServer } = await import("../../components");
    const stack = readStackConfig(repoRoot, "dev");
    const catalog = resolveCatalog(loadCatalog(stack.catalogPath!));
    new CentralServer(
      "central",
      { catalog, servers: stack.servers, secret: (name) => pulumi.secret(`value-of-${name}`) },
      { transformations: [record] },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const byParent = (parent: string) => declared.filter((d) => d.parent === parent);
    const central = byParent("central");
    const servers = central.filter((d) => d.type === "provisioning:index:ProvisioningServer").map((d) => d.name).sort();
    expect(servers).toEqual(stack.servers.map((s) => s.name).sort());

    // One component per catalog object, named <kind>/<name>.
    const templates = central.filter((d) => d.type === "provisioning:index:Template").map((d) => d.name).sort();
    expect(templates).toEqual([...catalog.templates.keys()].map((n) => `template/${n}`).sort());
    expect(central.filter((d) => d.type === "provisioning:index:Profile")).toHaveLength(catalog.profiles.size);
    expect(central.filter((d) => d.type === "provisioning:index:DistributionProfile")).toHaveLength(catalog.mappings.size);

    for (const server of stack.servers) {
      const children = byParent(server.name);
      const tree = render(catalog, server);
      expect(children.filter((d) => d.type === "provisioning:index:Bootstrap").map((d) => d.name)).toEqual([`${server.name}/bootstrap`]);
      const ownResource = tree.files.filter((f) => f.secret || f.path === "manifest.json").map((f) => `${server.name}/${f.path}`);
      const inTree = tree.files.filter((f) => !f.secret && f.path !== "manifest.json").map((f) => f.path);
      const dynamic = children.filter((d) => d.type === "pulumi-nodejs:dynamic:Resource");
      expect(dynamic.map((d) => d.name).sort()).toEqual([`${server.name}/files`, ...ownResource].sort());
      const filesResource = dynamic.find((d) => d.name === `${server.name}/files`)!;
      expect(Object.keys(filesResource.inputs!.files as object).sort()).toEqual(inTree.sort());
      // Secret files after the files resource; the manifest after every other file.
      for (const own of dynamic.filter((d) => d.name !== `${server.name}/files` && d.name !== `${server.name}/manifest.json`)) {
        expect(own.dependsOn.sort()).toEqual([`${server.name}/bootstrap`, `${server.name}/files`]);
      }
      const manifest = dynamic.find((d) => d.name === `${server.name}/manifest.json`)!;
      expect(manifest.dependsOn.sort()).toEqual([`${server.name}/bootstrap`, ...ownResource.filter((n) => n !== manifest.name)].concat(`${server.name}/files`).sort());
      expect(byParent(`${server.name}/bootstrap`).map((d) => d.type)).toEqual(["pulumi-nodejs:dynamic:Resource"]);
    }

    // The dev stack has secret files, so the checks above cover them.
    expect(stack.servers.some((s) => render(catalog, s).files.some((f) => f.secret && f.path !== "manifest.json"))).toBe(true);

    // Waves: each server waits for every server of the earlier waves, and only for those.
    for (const server of stack.servers) {
      const earlier = stack.servers.filter((s) => (s.wave ?? 0) < (server.wave ?? 0)).map((s) => s.name).sort();
      const component = central.find((d) => d.name === server.name)!;
      expect(component.dependsOn.sort()).toEqual(earlier);
    }
    expect(stack.servers.some((s) => (s.wave ?? 0) > 0)).toBe(true);
  });
});
