// Staged rollout on the real engine: servers in waves 0, 1 and 2. A wave-1 server that fails
// during `up` stops wave 2 in the same `up` (its files stay as they were, on disk and in state);
// `provision up --wave N` applies one wave; `provision plan` shows the order.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, treeOnDisk, type Fleet } from "../support/fleet";
import { planJson, provision, provisionOk } from "../support/provisionCli";

const KS = "http/autoinstall/web.cfg";

interface StateResource {
  urn: string;
  outputs?: Record<string, unknown>;
}

/** sha256 the state holds for each file of a server (secrets decrypted for comparison). */
async function stateHashes(fleet: Fleet, server: string): Promise<Map<string, unknown>> {
  const { stdout } = await fleet.project.ok(["stack", "export", "--stack", "test", "--show-secrets"]);
  const resources = (JSON.parse(stdout) as { deployment: { resources: StateResource[] } }).deployment.resources;
  const prefix = `pulumi-nodejs:dynamic:Resource::${server}/`;
  return new Map(
    resources
      .filter((r) => r.urn.includes(prefix) && !r.urn.endsWith(`${server}/bootstrap`))
      .flatMap((r): [string, unknown][] => {
        const name = r.urn.slice(r.urn.indexOf(prefix) + prefix.length);
        if (name !== "files") return [[name, plain(r.outputs?.sha256)]];
        // The server's files resource: one entry per file.
        return Object.entries(r.outputs?.files as Record<string, { sha256: string }>).map(([p, f]) => [p, f.sha256]);
      }),
  );
}

/** A decrypted secret in an export is `{<sig>: …, plaintext: "<json>"}`. */
function plain(v: unknown): unknown {
  return v && typeof v === "object" && "plaintext" in v ? JSON.parse(String((v as { plaintext: unknown }).plaintext)) : v;
}

const bytesOf = (fleet: Fleet, server: string) => new Map([...treeOnDisk(fleet.roots[server]!)].map(([p, b]) => [p, b.toString("base64")]));

describe("rollout waves on the real engine", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "canary", site: "lab", arch: ["x86_64"], profiles: ["web"], wave: 0 },
        { name: "early", site: "east", arch: ["x86_64"], profiles: ["web"], wave: 1 },
        { name: "late", site: "west", arch: ["x86_64"], profiles: ["web"], wave: 2 },
      ],
    });
    await fleet.project.up();
    // One change every server holds: the kickstart template.
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), "# wave rollout\n");
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("provision plan shows the rollout order", async () => {
    const { stdout } = await provisionOk(fleet.project, ["plan", "--stack", "test", "--project", fleet.project.dir]);
    expect(stdout.split("\n")[1]).toBe("rollout: wave 0: canary → wave 1: early → wave 2: late");
  });

  it("a failing wave-1 server stops wave 2 in the same up; wave 0 is applied", async () => {
    const expected = (s: string) => fleet.expectedTree(s).files.find((f) => f.path === KS)!.content!;
    const lateDisk = bytesOf(fleet, "late");
    const lateState = await stateHashes(fleet, "late");
    expect(lateState.get(KS)).toMatch(/^[0-9a-f]{64}$/);

    // Make early's autoinstall folder unwritable even for root: a regular file stands in its place.
    const dir = path.join(fleet.roots["early"]!, "http", "autoinstall");
    fs.renameSync(dir, `${dir}.away`);
    fs.writeFileSync(dir, "not a directory\n");
    try {
      const up = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", "test"]);
      expect(up.code).not.toBe(0);
      expect(`${up.stdout}${up.stderr}`).toContain(`early: write ${KS}`);
    } finally {
      fs.rmSync(dir);
      fs.renameSync(`${dir}.away`, dir);
    }

    // Wave 0 went first and is done.
    expect(fs.readFileSync(path.join(fleet.roots["canary"]!, KS), "utf8")).toBe(expected("canary"));
    // Wave 2 was never started: same bytes on disk, same hashes in state.
    expect(bytesOf(fleet, "late")).toEqual(lateDisk);
    expect(await stateHashes(fleet, "late")).toEqual(lateState);
    expect(fs.readFileSync(path.join(fleet.roots["late"]!, KS), "utf8")).not.toBe(expected("late"));

    // What is left: early's and late's changes, canary is done.
    const plan = await planJson(fleet.project);
    expect(plan.touched).toEqual(["early", "late"]);
    expect(plan.servers["late"]!.files).toContainEqual({ path: KS, op: "update" });
  });

  it("provision up --wave N applies exactly one wave", async () => {
    const lateDisk = bytesOf(fleet, "late");
    const one = await provisionOk(fleet.project, ["up", "--stack", "test", "--wave", "1", "--project", fleet.project.dir]);
    expect(one.stdout).toContain("wave 1: early (1 touched)");
    expect(fs.readFileSync(path.join(fleet.roots["early"]!, KS), "utf8")).toBe(fleet.expectedTree("early").files.find((f) => f.path === KS)!.content);
    expect(bytesOf(fleet, "late")).toEqual(lateDisk);
    expect((await planJson(fleet.project)).touched).toEqual(["late"]);

    await provisionOk(fleet.project, ["up", "--stack", "test", "--wave", "2", "--project", fleet.project.dir]);
    expect(fs.readFileSync(path.join(fleet.roots["late"]!, KS), "utf8")).toBe(fleet.expectedTree("late").files.find((f) => f.path === KS)!.content);
    expect((await planJson(fleet.project)).touched).toEqual([]);

    const none = await provision(fleet.project, ["up", "--stack", "test", "--wave", "7", "--project", fleet.project.dir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no server of stack test is in wave 7");
  });
});
