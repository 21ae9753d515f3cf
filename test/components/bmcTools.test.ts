// The children that act for BMCs get their programs from the bootstrap: with Pulumi's mocks, the
// serve inputs of the dev stack's servers when the stack declares a Redfish BMC for web-07 (held
// by pxe-east) and an IPMI one for db-01 (site west: pxe-west). pxe-edge's inputs stay as they were.
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Bmc, readStackConfig } from "../../src";

const serves = new Map<string, unknown>();
const repoRoot = path.resolve(__dirname, "..", "..");

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (args.type === "pulumi-nodejs:dynamic:Resource" && args.inputs.serve !== undefined) serves.set(args.name, args.inputs.serve);
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

describe("BMC tools in the bootstrap's inputs", () => {
  it("the child acting for a host's BMC gets curl (Redfish) or ipmitool (IPMI); no other child changes", async () => {
    const { CentralServer } = await import("../../components");
    const stack = readStackConfig(repoRoot, "dev");
    const redfish: Bmc = { kind: "redfish", address: "10.1.0.207", port: 443, user: "admin", password: { secret: "bmc" }, insecureSkipTlsVerify: true };
    const ipmi: Bmc = { kind: "ipmi", address: "10.1.0.208", port: 623, user: "admin", password: { secret: "bmc" } };
    const catalog = [...stack.catalogPaths, { hosts: [{ name: "db-01", interfaces: [{ mac: "52:54:00:12:35:01" }], profile: "db", site: "west" }] }];
    new CentralServer("central", { catalog, servers: stack.servers, secrets: { root_password_hash: "x" } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = new Map(serves);
    expect([...before.keys()].sort()).toEqual(["pxe-east", "pxe-edge", "pxe-west"]);
    serves.clear();
    new CentralServer("central-bmc", { catalog, servers: stack.servers, secrets: { root_password_hash: "x" }, bmcs: { "web-07": redfish, "db-01": ipmi } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(serves.get("pxe-east")).toEqual({ ...(before.get("pxe-east") as object), bmcTools: ["curl"] });
    expect(serves.get("pxe-west")).toEqual({ ...(before.get("pxe-west") as object), bmcTools: ["ipmitool"] });
    expect(serves.get("pxe-edge")).toEqual(before.get("pxe-edge"));
    for (const s of stack.servers) expect(before.get(s.name), s.name).not.toHaveProperty("bmcTools");
  });
});
