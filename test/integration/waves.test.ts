// Staged rollout on the real engine: servers in waves 0, 1 and 2. A wave-1 server that fails
// during `up` stops wave 2 in the same `up` (its files stay as they were, on disk and in state);
// `provision up --wave N` applies one wave; `provision up` without `--wave` applies every wave in
// order (a new stack included) and stops at the first that fails; `provision plan` shows the order.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flatFiles } from "../../src/state/fileEntries";
import { unmask } from "../../src/render/secretTokens";
import { createFleet, serverResourceOf, treeOnDisk, type Fleet } from "../support/fleet";
import { changes } from "../support/pulumi";
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

/** How many updates the stack has recorded. */
async function historyLength(fleet: Fleet): Promise<number> {
  const { stdout } = await fleet.project.ok(["stack", "history", "--json", "--stack", "test"]);
  return (JSON.parse(stdout) as unknown[]).length;
}

/** The dynamic resources an update's output shows the engine updating (`~`) or creating (`+`). */
const resourcesIn = (updateOutput: string, op: "~" | "+" = "~") =>
  [...new Set([...updateOutput.matchAll(new RegExp(`^ \\${op} {2}pulumi-nodejs:dynamic:Resource (\\S+) `, "gm"))].map((m) => m[1]))];

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
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("provision up without --wave deploys a new stack wave by wave: each wave's update creates what its servers hang on", async () => {
    const r = await provisionOk(fleet.project, ["up", "--stack", "test", "--project", fleet.project.dir]);
    const sections = r.stdout.split(/^(?=wave \d+: )/m);
    expect(sections.map((x) => x.split("\n")[0])).toEqual(["wave 0: canary (1 touched)", "wave 1: early (1 touched)", "wave 2: late (1 touched)"]);
    // Wave 0 creates the stack key its servers' secret versions hang on; each wave but the last, the barrier after it.
    const created = [["canary", "stack-key", "wave-0"], ["early", "wave-1"], ["late"]];
    for (const [i, server] of ["canary", "early", "late"].entries()) {
      expect(resourcesIn(sections[i]!, "+").sort(), `wave ${i}`).toEqual(created[i]);
      expect(fs.readFileSync(path.join(fleet.roots[server]!, KS), "utf8")).toBe(expectedText(server));
    }
    // Nothing of the stack is left for a whole-stack update.
    expect(changes(await fleet.project.preview())).toEqual([]);

    // What the next tests roll out: one change every server holds, the kickstart template.
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), "# wave rollout\n");
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

  it("provision up without --wave: a failing wave 0 stops the rollout, exit 1, naming the wave that failed and those not run", async () => {
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), "# every wave at once\n");
    const canaryDisk = bytesOf(fleet, "canary");
    const later = await Promise.all(["early", "late"].map(async (s) => ({ s, disk: bytesOf(fleet, s), state: await stateOf(fleet, s) })));
    const history = await historyLength(fleet);

    // A plan that fails (a catalog the program refuses) stops the rollout before its wave.
    const bad = path.join(fleet.catalogDir, "zz-bad.yaml");
    fs.writeFileSync(bad, "profiles:\n  - name: web\n    parent: nowhere\n");
    try {
      const refused = await provision(fleet.project, ["up", "--stack", "test", "--project", fleet.project.dir]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe("");
      expect(refused.stderr).toMatch(/^provision: the plan before wave 0 failed; not run: wave 0, wave 1, wave 2\nprovision: pulumi preview failed/);
    } finally {
      fs.rmSync(bad);
    }

    // Root ignores modes, not the immutable attribute: canary's kickstart cannot be replaced.
    const dir = path.join(fleet.roots["canary"]!, "http", "autoinstall");
    execFileSync("chattr", ["+i", dir]);
    let r;
    try {
      r = await provision(fleet.project, ["up", "--stack", "test", "--project", fleet.project.dir]);
    } finally {
      execFileSync("chattr", ["-i", dir]);
    }
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(1);
    expect(r.stdout.startsWith("wave 0: canary (1 touched)\n")).toBe(true);
    expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`canary: write ${KS}.*EPERM`));
    expect(r.stderr).toMatch(/^provision: wave 0 failed \(pulumi up exit \d+\); not run: wave 1, wave 2$/m);
    expect(r.stdout).not.toMatch(/^wave [12]:/m);
    expect(resourcesIn(r.stdout)).toEqual(["canary"]);
    // One update only (wave 0's); waves 1 and 2 untouched, on disk and in state; canary holds its previous files.
    expect(await historyLength(fleet)).toBe(history + 1);
    expect(bytesOf(fleet, "canary")).toEqual(canaryDisk);
    for (const { s, disk, state } of later) {
      expect(bytesOf(fleet, s), s).toEqual(disk);
      expect(await stateOf(fleet, s), s).toEqual(state);
    }
  });

  it("provision up without --wave, after the fix, rolls out every wave in order; a second run has nothing to do and runs no update", async () => {
    const history = await historyLength(fleet);
    const r = await provisionOk(fleet.project, ["up", "--stack", "test", "--project", fleet.project.dir]);
    // One header per wave, in order, each followed by its own update's output.
    const sections = r.stdout.split(/^(?=wave \d+: )/m);
    expect(sections.map((x) => x.split("\n")[0])).toEqual(["wave 0: canary (1 touched)", "wave 1: early (1 touched)", "wave 2: late (1 touched)"]);
    for (const [i, server] of ["canary", "early", "late"].entries()) {
      expect(sections[i]).toMatch(/Resources:[\s\S]*1 updated/);
      expect(resourcesIn(sections[i]!), `wave ${i} updates ${server} only`).toEqual([server]);
      expect(fs.readFileSync(path.join(fleet.roots[server]!, KS), "utf8")).toBe(expectedText(server));
    }
    // Waves ran one after the other: each server's kickstart was written no earlier than the previous wave's.
    const written = ["canary", "early", "late"].map((s) => fs.statSync(path.join(fleet.roots[s]!, KS)).mtimeMs);
    expect([...written].sort((a, b) => a - b)).toEqual(written);
    expect(await historyLength(fleet)).toBe(history + 3);

    // Each wave's fresh plan finds nothing left: no update runs.
    const again = await provisionOk(fleet.project, ["up", "--stack", "test", "--project", fleet.project.dir]);
    expect(again.stdout).toBe("wave 0: canary (0 touched)\nnothing to do\nwave 1: early (0 touched)\nnothing to do\nwave 2: late (0 touched)\nnothing to do\n");
    expect(await historyLength(fleet)).toBe(history + 3);
  });
});
