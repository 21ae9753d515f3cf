// Staged rollout on the real engine: servers in waves 0, 1 and 2. A wave-1 server that fails
// during `up` stops wave 2 in the same `up` (its files stay as they were, on disk and in state);
// `provision up --wave N` applies one wave; `provision plan` shows the order.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flatFiles } from "../../src/state/fileEntries";
import { unmask } from "../../src/render/secretTokens";
import { createFleet, serverResourceOf, treeOnDisk, type Fleet } from "../support/fleet";
import { planJson, provision, provisionOk } from "../support/provisionCli";

const KS = "http/autoinstall/web.cfg";

interface StateResource {
  urn: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** What the state holds of a server: its files' entries (content keys) and the manifest it placed last. */
async function stateOf(fleet: Fleet, server: string): Promise<unknown> {
  // Secrets decrypted: the engine may encrypt an unchanged value anew whenever it writes the state.
  const { stdout } = await fleet.project.ok(["stack", "export", "--show-secrets", "--stack", "test"]);
  const r = (JSON.parse(stdout) as { deployment: { resources: StateResource[] } }).deployment.resources.find((x) => serverResourceOf(x.urn) === server)!;
  return { files: flatFiles(r.inputs?.files), manifestSha256: r.outputs?.manifestSha256 };
}

const bytesOf = (fleet: Fleet, server: string) => new Map([...treeOnDisk(fleet.roots[server]!)].map(([p, b]) => [p, b.toString("base64")]));

describe("rollout waves on the real engine", () => {
  let fleet: Fleet;
  /** The kickstart a server should hold, secrets in place. */
  const expectedText = (s: string) => unmask(fleet.expectedTree(s).files.find((f) => f.path === KS)!.content!, fleet.secrets);

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
    const lateDisk = bytesOf(fleet, "late");
    const lateState = await stateOf(fleet, "late");
    expect(lateState).toMatchObject({ files: { [KS]: expect.stringMatching(/^[A-Za-z0-9_-]{22} s=root_password_hash$/) } });

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
    expect(fs.readFileSync(path.join(fleet.roots["canary"]!, KS), "utf8")).toBe(expectedText("canary"));
    // Wave 2 was never started: same bytes on disk, same hashes in state.
    expect(bytesOf(fleet, "late")).toEqual(lateDisk);
    expect(await stateOf(fleet, "late")).toEqual(lateState);
    expect(fs.readFileSync(path.join(fleet.roots["late"]!, KS), "utf8")).not.toBe(expectedText("late"));

    // What is left: early's and late's changes, canary is done.
    const plan = await planJson(fleet.project);
    expect(plan.touched).toEqual(["early", "late"]);
    expect(plan.servers["late"]!.files).toContainEqual({ path: KS, op: "update" });
  });

  it("provision up --wave N applies exactly one wave", async () => {
    const lateDisk = bytesOf(fleet, "late");
    const one = await provisionOk(fleet.project, ["up", "--stack", "test", "--wave", "1", "--project", fleet.project.dir]);
    expect(one.stdout).toContain("wave 1: early (1 touched)");
    expect(fs.readFileSync(path.join(fleet.roots["early"]!, KS), "utf8")).toBe(expectedText("early"));
    expect(bytesOf(fleet, "late")).toEqual(lateDisk);
    expect((await planJson(fleet.project)).touched).toEqual(["late"]);

    await provisionOk(fleet.project, ["up", "--stack", "test", "--wave", "2", "--project", fleet.project.dir]);
    expect(fs.readFileSync(path.join(fleet.roots["late"]!, KS), "utf8")).toBe(expectedText("late"));
    expect((await planJson(fleet.project)).touched).toEqual([]);

    const none = await provision(fleet.project, ["up", "--stack", "test", "--wave", "7", "--project", fleet.project.dir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no server of stack test is in wave 7");
  });
});
