// Site stacks on a shared PostgreSQL backend: one catalog, three stacks (one per site), each with
// its own children named alike (`pxe-1`, `pxe-2` in every site). `provision up --stacks 'site-*'`
// applies all three at once — each stack under its own lock, their updates overlapping in time —
// with one result line per stack; `provision plan --stacks` previews them in parallel and prints
// one report where servers are `<stack>/<server>` and one template edit is one diff across sites;
// `--wave` applies one wave of each; a failing stack fails alone, named, exit 1.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { LocalTransport } from "../../components/transports/local";
import { EXAMPLE_CATALOG, ROOT_PASSWORD_HASH, STACK_PROGRAM } from "../support/fleet";
import { freeTcpPort, freeUdpPort } from "../support/ports";
import { startPostgres, type Postgres } from "../support/postgres";
import { createProject, type PulumiProject } from "../support/pulumi";
import { provision } from "../support/provisionCli";

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const SITES = ["site-a", "site-b", "site-c"];

describe("site stacks: one catalog, a stack per site, applied and planned in parallel", () => {
  let pg: Postgres;
  let project: PulumiProject;
  let work: string;
  const roots: string[] = [];

  const stackFile = (site: string) => path.join(project.dir, "stacks", `Pulumi.${site}.yaml`);
  async function servers(site: string) {
    return Promise.all(
      ["pxe-1", "pxe-2"].map(async (name, i) => {
        const root = path.join(work, site, name);
        roots.push(root);
        return { name, site, arch: ["x86_64"], profiles: i === 0 ? ["web*"] : ["db"], transport: { kind: "local", root }, address: "127.0.0.1", tftpPort: await freeUdpPort(), httpPort: await freeTcpPort(), wave: i };
      }),
    );
  }
  const writeStack = async (site: string, list: object[]) => fs.writeFileSync(stackFile(site), stringify({ config: { "provisioning:catalog": path.join(work, "catalog"), "provisioning:catalogSecrets": ["root_password_hash"], "provisioning:servers": list } }));
  const run = (args: string[]) => provision(project, [...args, "--project", project.dir]);
  const history = async (site: string) => JSON.parse((await project.ok(["stack", "history", "--json", "--stack", site])).stdout) as { startTime: string; endTime: string; result: string }[];

  beforeAll(async () => {
    pg = await startPostgres();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-sites-"));
    fs.chmodSync(work, 0o755);
    fs.cpSync(EXAMPLE_CATALOG, path.join(work, "catalog"), { recursive: true });
    project = await createProject({ stack: SITES[0]!, main: STACK_PROGRAM, env: { PULUMI_BACKEND_URL: pg.url } });
    for (const site of SITES) {
      if (site !== SITES[0]) await project.ok(["stack", "init", site]);
      await writeStack(site, await servers(site));
      const set = await project.run(["config", "set", "--secret", "--stack", site, "provisioning:root_password_hash"], { input: ROOT_PASSWORD_HASH });
      expect(set.code, set.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    for (const site of SITES) await project?.run(["destroy", "--yes", "--skip-preview", "--stack", site]);
    for (const root of roots) await new LocalTransport(root).runScript(STOP_SERVICES_SCRIPT, { ROOT: root }).catch(() => undefined);
    await pg?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (project) fs.rmSync(project.dir, { recursive: true, force: true });
  });

  it("up --stacks: every site at once, each under its own lock, one line per stack", async () => {
    const r = await run(["up", "--stacks", "site-*"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const [i, site] of SITES.entries()) expect(lines[i]).toMatch(new RegExp(`^${site}: all servers: \\d+ created in \\d+ s$`));
    for (const site of SITES) for (const s of ["pxe-1", "pxe-2"]) expect(fs.existsSync(path.join(work, site, s, "manifest.json")), `${site}/${s}`).toBe(true);
    // The three updates ran at the same time: each started before the others ended.
    const spans = await Promise.all(SITES.map(async (s) => (await history(s))[0]!));
    for (const a of spans) for (const b of spans) expect(Date.parse(a.startTime)).toBeLessThan(Date.parse(b.endTime));
    expect(spans.every((s) => s.result === "succeeded")).toBe(true);
  });

  it("plan --stacks: one report, servers named by stack, one template edit one diff across the sites", async () => {
    fs.appendFileSync(path.join(work, "catalog", "templates", "ks-base.ks.j2"), "# reviewed across sites\n");
    const json = await run(["plan", "--stacks", "site-*", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as { touched: string[]; servers: Record<string, unknown>; changes: { kind: string; servers: string[]; diff?: string }[] };
    expect(Object.keys(plan.servers).sort()).toEqual(SITES.flatMap((s) => [`${s}/pxe-1`, `${s}/pxe-2`]));
    expect(plan.touched.sort()).toEqual(Object.keys(plan.servers).sort());
    const edit = plan.changes.filter((c) => c.kind === "text" && c.diff?.includes("+# reviewed across sites"));
    expect(edit).toHaveLength(1);
    expect(edit[0]!.servers).toEqual(Object.keys(plan.servers).sort());
    const md = await run(["plan", "--stacks", "site-*", "--markdown"]);
    expect(md.stdout.split("+# reviewed across sites")).toHaveLength(2);
    expect(md.stdout).toContain("site site-a: 2, site site-b: 2, site site-c: 2");
    // The installers' validators: three kickstarts, each checked once for every site's copy (the
    // copies differ only in their child's address and port).
    expect((JSON.parse(json.stdout) as { validators: unknown }).validators).toEqual({ summary: "ksvalidator (RHEL9) ran on 3 files", problems: [] });
  });

  it("plan --stacks: a broken kickstart is one located error per file, naming its server by stack", async () => {
    const ks = path.join(work, "catalog", "templates", "ks-base.ks.j2");
    const before = fs.readFileSync(ks, "utf8");
    fs.writeFileSync(ks, before.replace("selinux --enforcing\n", "selinux --enforcing\nfrobnicate --now\n"));
    try {
      const json = await run(["plan", "--stacks", "site-*", "--json"]);
      expect(json.code, json.stderr).toBe(0);
      const line = before.split("\n").indexOf("selinux --enforcing") + 2;
      const { validators } = JSON.parse(json.stdout) as { validators: { summary: string; problems: { text: string }[] } };
      expect(validators.summary).toBe("ksvalidator (RHEL9) ran on 3 files");
      // One error per profile, at the template's line, naming one site's server and the copies like it.
      const texts = validators.problems.map((p) => p.text).sort();
      const want = [["db", "pxe-2"], ["web", "pxe-1"], ["web-frontend", "pxe-1"]].map(
        ([profile, server]) => new RegExp(`^${escapeRe(`${ks}:${line} profile ${profile}: ksvalidator -v RHEL9 rejects http/autoinstall/${profile}.cfg:${line} on server `)}(${SITES.join("|")})/${server} \\(and ${SITES.length - 1} more like it\\): Unknown command: frobnicate$`),
      );
      expect(texts).toHaveLength(want.length);
      for (const re of want) expect(texts.filter((text) => re.test(text)), String(re)).toHaveLength(1);
    } finally {
      fs.writeFileSync(ks, before);
    }
  });

  it("up --stacks --wave 0: the first wave of every site; the plan then names the second waves only", async () => {
    const r = await run(["up", "--stacks", "site-*", "--wave", "0"]);
    expect(r.code, r.stderr).toBe(0);
    for (const site of SITES) expect(r.stdout).toMatch(new RegExp(`^${site}: wave 0: ${site}/pxe-1: 1 updated in \\d+ s$`, "m"));
    const plan = JSON.parse((await run(["plan", "--stacks", "site-*", "--json"])).stdout) as { touched: string[] };
    expect(plan.touched.sort()).toEqual(SITES.map((s) => `${s}/pxe-2`));
  });

  it("a failing stack fails alone: named, the others applied, exit 1", async () => {
    // site-c's second child cannot take its new kickstart: a regular file stands where its folder goes.
    const dir = path.join(work, "site-c", "pxe-2", "http", "autoinstall");
    fs.renameSync(dir, `${dir}.away`);
    fs.writeFileSync(dir, "not a directory\n");
    try {
      const r = await run(["up", "--stacks", "site-*"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^site-a: all servers: 1 updated in \d+ s$/m);
      expect(r.stdout).toMatch(/^site-b: all servers: 1 updated in \d+ s$/m);
      expect(r.stdout).toMatch(/^site-c: failed after \d+ s/m);
      expect(r.stderr).toContain("provision: 1 of 3 stacks failed");
      expect(r.stderr).toContain("pxe-2: write http/autoinstall/db.cfg");
    } finally {
      fs.rmSync(dir);
      fs.renameSync(`${dir}.away`, dir);
    }
    // Fixed, the next run applies what is left: only site-c had anything to do.
    const again = await run(["up", "--stacks", "site-*"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^site-a: all servers: no changes in \d+ s$/m);
    expect(again.stdout).toMatch(/^site-c: all servers: 1 updated in \d+ s$/m);
    const none = await run(["up", "--stacks", "nowhere-*"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no stack file Pulumi.<stack>.yaml with a stack name matching "nowhere-*"');
  }, 10 * 60_000);
});
