// Team state: the stack's state in PostgreSQL (Pulumi's `postgres://` backend) on a real server
// the test starts. The stack runs on it unchanged, the stack lock keeps a second concurrent `up`
// out, and the state stays whole through it.
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, serverResourceOf, type Fleet } from "../support/fleet";
import { sha256Hex } from "../../src/state/contentKey";
import { flatFiles } from "../../src/state/fileEntries";
import { startPayloadServer } from "../support/payloadServer";
import { startPostgres, type Postgres } from "../support/postgres";
import { expectConverged } from "../support/converged";
import { changes, type RunResult } from "../support/pulumi";

interface StateResource {
  urn: string;
  type: string;
  inputs?: { files?: Record<string, unknown> };
}

describe("a stack whose state is in PostgreSQL", () => {
  let pg: Postgres;
  let fleet: Fleet;

  const exportState = async () => {
    const out = await fleet.project.ok(["stack", "export", "--stack", fleet.project.stack]);
    return JSON.parse(out.stdout) as { deployment: { resources: StateResource[]; pending_operations?: unknown[] } };
  };
  const lockKeys = () =>
    pg
      .psql("select key from pulumi_state where key like '%.pulumi/locks/%' order by key;", pg.database)
      .split("\n")
      .filter(Boolean);

  /** The resources the state must hold: one per server, naming every rendered file exactly once. */
  const expectStateMatchesRender = async () => {
    const state = await exportState();
    expect(state.deployment.pending_operations ?? []).toEqual([]);
    const urns = state.deployment.resources.map((r) => r.urn);
    expect(new Set(urns).size).toBe(urns.length);
    const placed = state.deployment.resources.flatMap((r) => {
      const server = serverResourceOf(r.urn);
      return server ? Object.keys(flatFiles(r.inputs?.files)).map((p) => `${server}/${p}`) : [];
    });
    const rendered = fleet.servers.flatMap((s) => fleet.expectedTree(s.name).files.map((f) => `${s.name}/${f.path}`));
    expect(placed.sort()).toEqual(rendered.sort());
    expect(urns.filter((u) => serverResourceOf(u)).length).toBe(fleet.servers.length);
  };

  const expectAllConverged = () => {
    for (const s of fleet.servers) expectConverged(fleet, s.name);
  };

  beforeAll(async () => {
    pg = await startPostgres();
    fleet = await createFleet({
      transport: "local",
      env: { PULUMI_BACKEND_URL: pg.url },
      servers: [
        { name: "rack-a", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "rack-b", site: "b", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
  });
  afterAll(async () => {
    await fleet?.dispose();
    await pg?.stop();
  });

  it("runs the stack unchanged: up converges and a second preview is a no-op", async () => {
    expect(fleet.project.env.PULUMI_BACKEND_URL).toMatch(/^postgres:\/\//);
    await fleet.project.up();
    expectAllConverged();
    expect(changes(await fleet.project.preview())).toEqual([]);
    // The state really is in the database (and nowhere in the project directory).
    const keys = pg.psql("select key from pulumi_state order by key;", pg.database).split("\n");
    // Keys are `<database>/.pulumi/…`, as paths in a bucket.
    expect(keys).toContain(`${pg.database}/.pulumi/stacks/provisioning/test.json`);
    expect(fs.readdirSync(`${fleet.project.dir}/.state`)).toEqual([]);
    await expectStateMatchesRender();
  });

  it("refuses a second up while the first holds the stack lock, and the state stays whole", async () => {
    // A change for the first `up` to apply: a new initrd, downloaded by its program (which holds
    // the stack's lock meanwhile) from a server that answers only once the second up is done.
    const initrd = Buffer.from(`a newer initrd ${Date.now()}\n`);
    const payloads = await startPayloadServer({ "/rocky9/initrd.img": initrd }, { held: true });
    fleet.setConfig("provisioning:payloadUrlAllow", [payloads.hostPort]);
    const distributions = `${fleet.catalogDir}/distributions.yaml`;
    fs.writeFileSync(
      distributions,
      fs.readFileSync(distributions, "utf8").replace(/initrd: \{ path: payloads\/rocky9-x86_64\/initrd\.img, sha256: [0-9a-f]+ \}/, `initrd: { url: "${payloads.url}/rocky9/initrd.img", sha256: ${sha256Hex(initrd)} }`),
    );
    const up = (): Promise<RunResult> => fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);

    let firstDone: RunResult | undefined;
    const first = up().then((r) => (firstDone = r));
    // The second starts once the first holds the lock.
    let held: string[] = [];
    while ((held = lockKeys()).length === 0) {
      if (firstDone) throw new Error(`the first up ended before its lock was seen:\n${firstDone.stdout}\n${firstDone.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(held).toHaveLength(1);
    const second = await up();
    payloads.release();
    const firstResult = await first;
    await payloads.close();

    expect(firstResult.code, firstResult.stdout + firstResult.stderr).toBe(0);
    expect(second.code).not.toBe(0);
    const message = second.stdout + second.stderr;
    expect(message).toMatch(/the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./);
    // The message says which lock, and never shows the database password.
    expect(message).toMatch(/postgres:\/\/\*\*\*\*:\*\*\*\*@127\.0\.0\.1:\d+\/.*\.pulumi\/locks\/organization\/provisioning\/test\/[0-9a-f-]+\.json(\?sslmode=disable)?: created by \S+@\S+ \(pid \d+\) at /);
    expect(message).not.toContain(pg.password);
    // The refused run wrote nothing; the lock is released once the first ends.
    expect(lockKeys()).toEqual([]);

    await expectStateMatchesRender();
    expectAllConverged();
  });

  it("a rerun after the refused one converges with nothing to do", async () => {
    const result = await fleet.project.up();
    expect(result.stdout).not.toMatch(/[~+-] +pulumi-nodejs:dynamic:Resource/);
    expect(changes(await fleet.project.preview())).toEqual([]);
    await expectStateMatchesRender();
    expectAllConverged();
  });
});
