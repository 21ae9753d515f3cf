// The resource graph, fast, with Pulumi's mocks: names, parents and counts per server. The real
// engine's behaviour is proven in test/integration; this only checks what the program declares.
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { catalogFingerprints, encodeEntry, loadCatalogInput, readStackConfig, render, resolveCatalog, stateObjects } from "../../src";
import { isContentKey } from "../../src/state/contentKey";
import { byDirectory, flatFiles } from "../../src/state/fileEntries";
import { storedObjectLists } from "../../components/objectLists";

interface Declared {
  type: string;
  name: string;
  parent?: string;
  dependsOn: string[];
  inputs?: Record<string, unknown>;
}

const declared: Declared[] = [];
const providers: { name: string; inputs: Record<string, unknown> }[] = [];
const repoRoot = path.resolve(__dirname, "..", "..");

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        // Only what this program creates may appear: anything else is a bug in the test setup.
        if (!args.type.startsWith("provisioning:index:") && args.type !== "pulumi-nodejs:dynamic:Resource" && args.type !== "pulumi:providers:pulumi-nodejs") {
          throw new Error(`unexpected resource type ${args.type}`);
        }
        const d = declared.find((x) => x.name === args.name && x.type === args.type);
        if (d) d.inputs = args.inputs;
        if (args.type === "pulumi:providers:pulumi-nodejs") providers.push({ name: args.name, inputs: args.inputs });
        // A record made with a key gets one, as its provider gives it (the hosts' tokens are keyed with it).
        return { id: `${args.name}-id`, state: args.inputs.withKey ? { ...args.inputs, key: "a-random-stack-key" } : args.inputs };
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
  it("gives each server one resource holding content keys and object versions, and orders waves through one barrier each", async () => {
    const { CentralServer } = await import("../../components");
    const stack = readStackConfig(repoRoot, "dev");
    const central = new CentralServer("central", { catalog: [...stack.catalogPaths], servers: stack.servers, secrets: Object.fromEntries(stack.catalogSecrets.map((name) => [name, pulumi.secret(`value-of-${name}`)])) }, { transformations: [record] });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const byParent = (parent: string) => declared.filter((d) => d.parent === parent);
    const top = byParent("central");
    expect(top.filter((d) => d.type === "provisioning:index:ProvisioningServer").map((d) => d.name).sort()).toEqual(stack.servers.map((s) => s.name).sort());
    // No component per catalog object: the stack key and a barrier before each later wave are the only other resources.
    const records = top.filter((d) => d.type === "pulumi-nodejs:dynamic:Resource").map((d) => d.name).sort();
    expect(records).toEqual(["stack-key", "wave-0"]);
    // One provider for them, holding no configuration (the default one would hold the whole stack's).
    expect(providers).toEqual([{ name: "central", inputs: {} }]);
    const catalog = resolveCatalog(loadCatalogInput([...stack.catalogPaths]));
    const fingerprints = catalogFingerprints(catalog);

    for (const server of stack.servers) {
      const children = byParent(server.name);
      expect(children.map((d) => [d.type, d.name])).toEqual([["pulumi-nodejs:dynamic:Resource", server.name]]);
      const inputs = declared.find((d) => d.name === server.name && d.type === "pulumi-nodejs:dynamic:Resource")!.inputs!;
      const tree = render(catalog, server);
      // Every file by its content key; nothing else of it: no bytes, no path of this checkout.
      expect(inputs.files).toEqual(byDirectory(Object.fromEntries(tree.files.map((f) => [f.path, encodeEntry(f)]))));
      expect(flatFiles(inputs.files)).toEqual(Object.fromEntries(tree.files.map((f) => [f.path, encodeEntry(f)])));
      expect(JSON.stringify(inputs)).not.toContain(repoRoot);
      // The content key of its object list: each object it holds with the version of its definition.
      expect(isContentKey(inputs.objects as string)).toBe(true);
      const objects = storedObjectLists()(inputs.objects as string)!;
      expect(objects).toEqual(stateObjects(tree, fingerprints));
      expect(objects.every((o) => /^[a-zA-Z]+\/[^@]+@[A-Za-z0-9_-]{8}$/.test(o))).toBe(true);
    }
    // The dev stack prints a secret: the files that do say so, and their server gets its value.
    const east = declared.find((d) => d.name === "pxe-east" && d.type === "pulumi-nodejs:dynamic:Resource")!.inputs!;
    expect(Object.values(flatFiles(east.files)).some((e) => e.endsWith("s=root_password_hash"))).toBe(true);
    // (the mocks hand over a secret as Pulumi's wire form: the value under `value`)
    const values = ((east.secrets as { value?: unknown }).value ?? east.secrets) as Record<string, string>;
    expect(values["root_password_hash"]).toBe("value-of-root_password_hash");
    // Its armed hosts' tokens (and their sha256), derived from the stack key: no catalog secret.
    const hostTokens = Object.keys(values).filter((n) => n !== "root_password_hash");
    expect(hostTokens.length).toBeGreaterThan(0);
    for (const n of hostTokens) expect(values[n]).toMatch(n.startsWith("host-token-sha256.") ? /^[0-9a-f]{64}$/ : /^[A-Za-z0-9_-]{43}$/);

    // Waves: a server of wave 1 depends on the barrier of wave 0 alone, which depends on wave 0's servers.
    for (const server of stack.servers) {
      const own = declared.find((d) => d.name === server.name && d.type === "pulumi-nodejs:dynamic:Resource")!;
      expect(own.dependsOn).toEqual((server.wave ?? 0) > 0 ? ["wave-0"] : []);
    }
    expect(declared.find((d) => d.name === "wave-0")!.dependsOn).toEqual(stack.servers.filter((s) => (s.wave ?? 0) === 0).map((s) => s.name));
    expect(Object.keys(central.servers).sort()).toEqual(stack.servers.map((s) => s.name).sort());
  });
});

describe("the library's URL payload settings", () => {
  it("are checked like the stack's: each bad one named by its arg, before any server", async () => {
    const { CentralServer } = await import("../../components");
    const stack = readStackConfig(repoRoot, "dev");
    const before = declared.length;
    const make = () => new CentralServer("bad-urls", { catalog: [...stack.catalogPaths], servers: stack.servers, secrets: { root_password_hash: "x" }, payloadUrlAllow: ["10.0.0.0/8", "http://mirror.lan"], payloadMaxBytes: 0 }, { transformations: [record] });
    expect(make).toThrow(pulumi.RunError);
    expect(make).toThrow(
      "invalid provisioning input:\n" +
        '(program) payloadUrlAllow[1]: invalid entry "http://mirror.lan": expected a subnet (10.0.0.0/8, fd00::/8), an address, or host:port ([::1]:8080)\n' +
        "(program) payloadMaxBytes: invalid size cap 0: expected a whole number of bytes, at least 1",
    );
    // The component's own shell exists (as for any bad input); nothing under it.
    expect(declared.slice(before).filter((d) => d.type !== "provisioning:index:CentralServer")).toEqual([]);
  });
});

describe("the library's BMCs", () => {
  const ipmi = (over: Record<string, unknown> = {}) => ({ kind: "ipmi" as const, address: "192.0.2.50", port: 623, user: "admin", password: { secret: "bmc_pw" }, ...over });
  it("a BMC for a host the catalog lacks, or that no child (or not its via) holds, is refused before any resource under the component", async () => {
    const { CentralServer } = await import("../../components");
    const stack = readStackConfig(repoRoot, "dev");
    const catalog = loadCatalogInput([...stack.catalogPaths]);
    const host = catalog.hosts.find((h) => h.server !== undefined)!;
    const other = stack.servers.find((s) => s.name !== host.server)!;
    const CASES: [string, Record<string, ReturnType<typeof ipmi>>, string[]][] = [
      ["a host the catalog lacks", { ghost: ipmi() }, ["(program) bmcs.ghost: host ghost is not in the catalog (known: "]],
      ["a via that does not hold the host", { [host.name]: ipmi({ via: other.name }) }, [`(program) bmcs.${host.name}: via ${other.name}: that server does not hold host ${host.name} (it names server ${host.server})`]],
      ["no server holding the host", { [host.name]: ipmi() }, [`(program) bmcs.${host.name}: no server of the stack holds host ${host.name} (it names server ${host.server}): no child can reach its BMC`]],
    ];
    for (const [label, bmcs, lines] of CASES) {
      const before = declared.length;
      const servers = label === "no server holding the host" ? stack.servers.filter((s) => s.name !== host.server) : stack.servers;
      let error: unknown;
      try {
        new CentralServer(`bmcs-${before}`, { catalog: [...stack.catalogPaths], servers, secrets: { root_password_hash: "x" }, bmcs }, { transformations: [record] });
      } catch (e) {
        error = e;
      }
      expect(error, label).toBeInstanceOf(pulumi.RunError);
      const shown = (error as Error).message.split("\n").slice(1);
      expect(shown.length, label).toBe(lines.length);
      lines.forEach((l, i) => expect(shown[i], label).toContain(l));
      // The component's own shell exists (as for any bad input); nothing under it.
      expect(declared.slice(before).filter((d) => d.type !== "provisioning:index:CentralServer"), label).toEqual([]);
    }
  });
});
