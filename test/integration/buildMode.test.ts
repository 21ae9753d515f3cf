// Build mode on a real child brought up by the real engine: an armed host's installer fetches its
// autoinstall under its token (a wrong token is refused), runs the report line it fetched, and
// the child itself switches the host's PXELINUX, GRUB and iPXE entries (fetched over TFTP) to
// the local disk and records the install. Neither a daemon restart, nor `up --refresh`, nor
// `provision plan --refresh`, nor an `up` for another reason arms it again; a new `reinstall`
// value does, with a new token (the old one refused), and the plan says so in words. A failed
// install is recorded with its reason. The token appears in no plan, report or log line.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { hostGeneration } from "../../src/catalog/hosts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Impact } from "../../src/impact";
import { STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { LocalTransport } from "../../components/transports/local";
import { createFleet, type Fleet } from "../support/fleet";
import { runCurl } from "../support/curl";
import { provisionOk } from "../support/provisionCli";
import { changes, type PreviewJson } from "../support/pulumi";
import { tftpGet } from "../support/tftp";

const HOST = "web-07";
const OTHER = "db-01";
const MAC = "52:54:00:00:07:07";
const dashed = (mac: string) => `01-${mac.replace(/:/g, "-")}`;
const ENTRIES = [`pxelinux.cfg/${dashed(MAC)}`, `grub/hosts/${dashed(MAC)}.cfg`, `ipxe/hosts/${dashed(MAC)}.ipxe`];
const OTHER_ENTRY = "pxelinux.cfg/01-52-54-00-00-01-01";

function writeHosts(fleet: Fleet, reinstall?: string) {
  const hosts = [
    { name: HOST, interfaces: [{ mac: MAC, ip: "10.0.0.7" }], profile: "web", server: "bm-a", ...(reinstall !== undefined ? { reinstall } : {}) },
    { name: OTHER, interfaces: [{ mac: "52:54:00:00:01:01" }], profile: "db", server: "bm-a" },
  ];
  fs.writeFileSync(path.join(fleet.catalogDir, "hosts.yaml"), stringify({ hosts }));
}

/** The steps of a refreshing preview that would change something (its refresh steps only read). */
const updates = (preview: PreviewJson) => changes(preview).filter((s) => s.op !== "refresh");

const sh = (command: string) =>
  new Promise<{ code: number; out: string }>((resolve) => execFile("sh", ["-c", command], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr })));

describe("build mode: a host installs exactly once", () => {
  let fleet: Fleet;
  let root: string;
  let httpPort: number;
  let tftpPort: number;
  const tftp = (p: string) => tftpGet(tftpPort, p).then((b) => b.toString("utf8"));
  const local = (p: string) => fs.readFileSync(path.join(root, "hosts", HOST, "local", "tftp", p), "utf8");
  const status = async (args: string[]) => Number((await runCurl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args])).body.toString());
  const autoinstallUrl = (token: string) => `http://127.0.0.1:${httpPort}/hosts/${HOST}/${token}/autoinstall.cfg`;
  /** The token the host's BIOS entry carries (TFTP serves it, as it must: the installer reads its URL there). */
  const tokenOf = async () => /\/hosts\/web-07\/([A-Za-z0-9_-]{43})\/autoinstall\.cfg/.exec(await tftp(ENTRIES[0]!))?.[1];
  const record = () => JSON.parse(fs.readFileSync(path.join(root, "state", "hosts", `${HOST}.json`), "utf8")) as Record<string, string>;
  const plan = async (extra: string[] = []) => {
    const r = await provisionOk(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, ...extra]);
    return r.stdout;
  };
  const tokens: string[] = [];
  const outputs: string[] = [];

  beforeAll(async () => {
    fleet = await createFleet({ transport: "local", servers: [{ name: "bm-a", site: "a", arch: ["x86_64"], profiles: ["db"] }] });
    writeHosts(fleet);
    await fleet.project.up();
    root = fleet.roots["bm-a"]!;
    httpPort = fleet.servers[0]!.httpPort!;
    tftpPort = fleet.servers[0]!.tftpPort!;
  }, 300_000);
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("armed: the entries boot the installer under the host's token; its autoinstall is served only under that token", async () => {
    const token = (await tokenOf())!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    tokens.push(token);
    for (const e of ENTRIES) expect(await tftp(e)).toContain(`/hosts/${HOST}/${token}/autoinstall.cfg`);
    const ks = await runCurl(["-sSf", "--max-time", "10", autoinstallUrl(token)]);
    expect(ks.code, ks.stderr).toBe(0);
    expect(ks.body.toString()).toContain(`--data "token=${token}" http://127.0.0.1:${httpPort}/report/${HOST}/done`);
    // Not in the HTTP root under any other name, and no other token opens it.
    expect(await status([`http://127.0.0.1:${httpPort}/autoinstall/hosts/${HOST}.cfg`])).toBe(404);
    expect(await status([`http://127.0.0.1:${httpPort}/hosts/${HOST}/arm`])).toBe(403);
    for (const wrong of ["A".repeat(43), token.slice(1), `${token}A`, "..", token.replace(/^./, (c) => (c === "a" ? "b" : "a"))]) {
      expect(await status([autoinstallUrl(wrong)]), wrong).toBe(wrong === ".." ? 404 : 403);
    }
    expect(await status([`http://127.0.0.1:${httpPort}/hosts/${OTHER}/${token}/autoinstall.cfg`])).toBe(403);
  });

  it("the installer's report (the line it fetched) switches every entry to the local disk and records the install", async () => {
    const token = tokens[0]!;
    const ks = (await runCurl(["-sSf", autoinstallUrl(token)])).body.toString();
    const done = ks.split("\n").find((l) => l.includes(`/report/${HOST}/done`))!;
    const ran = await sh(done);
    expect(ran.code, ran.out).toBe(0);
    for (const e of ENTRIES) {
      const served = await tftp(e);
      expect(served).toBe(local(e));
      expect(served).not.toContain(token);
    }
    expect(await tftp(ENTRIES[0]!)).toContain("LOCALBOOT 0");
    const r = record();
    expect(r).toMatchObject({ host: HOST, state: "installed", client: "127.0.0.1" });
    expect(r.generation).toMatch(/^[0-9a-f]{16}$/);
    // Since its installer first fetched its autoinstall (the test above), until it reported.
    expect(Date.parse(r.fetchedAt!)).toBeLessThanOrEqual(Date.parse(r.reportedAt!));
    expect(Date.now() - Date.parse(r.reportedAt!)).toBeLessThan(120_000);
    // The token is spent: its files are gone from HTTP, a second report changes nothing.
    expect(await status([autoinstallUrl(token)])).toBe(404);
    expect(await status(["--data", `token=${token}`, `http://127.0.0.1:${httpPort}/report/${HOST}/done`])).toBe(409);
    // The other host stays armed.
    expect(await tftp(OTHER_ENTRY)).toMatch(/\/hosts\/db-01\/[A-Za-z0-9_-]{43}\/autoinstall\.cfg/);
  });

  it("is not drift: a daemon restart, up --refresh, plan --refresh and an up for another reason all keep the local entries", async () => {
    await new LocalTransport(root).runScript(STOP_SERVICES_SCRIPT, { ROOT: root });
    const planned = JSON.parse(await plan(["--refresh", "--json"])) as Impact;
    // Only the stopped daemons are news: no file is to be written.
    expect(planned.servers["bm-a"]!.files).toEqual([]);
    outputs.push(await plan(["--refresh"]));
    await fleet.project.up(["--refresh"]);
    for (const e of ENTRIES) expect(await tftp(e)).toBe(local(e));
    expect(updates(await fleet.project.preview(["--refresh"]))).toEqual([]);
    const again = JSON.parse(await plan(["--refresh", "--json"])) as Impact;
    expect(again.touched).toEqual([]);

    // Another change to the child (a profile's template): the update writes the local entries, not the installer's.
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "chrony.conf.j2"), "\n# one more line\n");
    await fleet.project.up();
    for (const e of ENTRIES) expect(await tftp(e)).toBe(local(e));
    expect(updates(await fleet.project.preview(["--refresh"]))).toEqual([]);
    expect(record().state).toBe("installed");
  });

  it("a new reinstall value: the plan says so in words; up re-arms with a new token and the old one is refused", async () => {
    writeHosts(fleet, "2026-12-05 ticket OPS-4711");
    const text = await plan();
    expect(text).toContain("web-07: reinstall; its disk will be erased on next boot");
    expect(await plan(["--markdown"])).toContain("web-07: reinstall; its disk will be erased on next boot");
    const html = path.join(fleet.project.dir, "plan.html");
    await plan(["--html", html]);
    expect(fs.readFileSync(html, "utf8")).toContain("web-07: reinstall; its disk will be erased on next boot");
    outputs.push(text, fs.readFileSync(html, "utf8"));
    await fleet.project.up();
    const token = (await tokenOf())!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token).not.toBe(tokens[0]);
    tokens.push(token);
    for (const e of ENTRIES) expect(await tftp(e)).toContain(`/hosts/${HOST}/${token}/autoinstall.cfg`);
    expect(await status([autoinstallUrl(token)])).toBe(200);
    expect(await status([autoinstallUrl(tokens[0]!)])).toBe(403);
    expect(await status(["--data", `token=${tokens[0]}`, `http://127.0.0.1:${httpPort}/report/${HOST}/done`])).toBe(403);
    expect(await tftp(ENTRIES[0]!)).toContain(`/hosts/${HOST}/${token}/`);
    // A refresh keeps it armed: the record is of the old generation.
    expect(updates(await fleet.project.preview(["--refresh"]))).toEqual([]);
  });

  it("a failed install is recorded with its reason (sanitised) and boots the disk; its token is spent", async () => {
    const token = tokens[1]!;
    const ks = (await runCurl(["-sSf", autoinstallUrl(token)])).body.toString();
    const failed = ks.split("\n").find((l) => l.includes(`/report/${HOST}/failed`))!;
    const ran = await sh(`reason='no-disk"},{"x":1'; ${failed.replace(/^reason=[^;]*; /, "")}`);
    expect(ran.code, ran.out).toBe(0);
    const r = record();
    expect(r).toMatchObject({ host: HOST, state: "failed", client: "127.0.0.1" });
    expect(r.reason).toBe("no-diskx:1");
    for (const e of ENTRIES) expect(await tftp(e)).toBe(local(e));
    expect(await status([autoinstallUrl(token)])).toBe(404);
    expect(updates(await fleet.project.preview(["--refresh"]))).toEqual([]);
  });

  it("a kernel option that prints another host's token, even at its current generation: a located error, and nothing is written to the child", async () => {
    const file = path.join(fleet.catalogDir, "profiles.yaml");
    const before = fs.readFileSync(file, "utf8");
    const gen = /^generation=([0-9a-f]+)$/m.exec(fs.readFileSync(path.join(root, "hosts", HOST, "arm"), "utf8"))![1]!;
    const snapshot = () => {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const full = path.join(d, e.name);
          if (e.isDirectory()) walk(full);
          else if (e.isFile() && !full.startsWith(path.join(root, "log"))) out.push(`${path.relative(root, full)} ${fs.statSync(full).mtimeMs} ${fs.readFileSync(full).length}`);
        }
      };
      walk(root);
      return out.sort();
    };
    const was = snapshot();
    try {
      const doc = parse(before) as { profiles: { name: string; kernelOptions?: Record<string, unknown> }[] };
      const db = doc.profiles.find((p) => p.name === "db")!;
      // db-01's entry asks for web-07's token: the provider would write web-07's value into db-01's entry.
      db.kernelOptions = { ...db.kernelOptions, "x.ks": `{{ autoinstallUrl | replace("${OTHER}.${hostGeneration(OTHER, undefined)}", "${HOST}.${gen}") }}` };
      fs.writeFileSync(file, stringify(doc));
      const r = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
      expect(r.code).not.toBe(0);
      const out = r.stdout + r.stderr;
      expect(out).toMatch(new RegExp(`profiles\\.yaml:\\d+ profiles\\[\\d+\\]\\.kernelOptions: prints the install token name "host-token\\.${HOST}\\.${gen}"`));
      for (const t of tokens) expect(out.includes(t)).toBe(false);
      expect(snapshot()).toEqual(was);
    } finally {
      fs.writeFileSync(file, before);
    }
  });

  it("no token in any plan, report or log line of the child", () => {
    expect(tokens).toHaveLength(2);
    const logs = ["http-access.log", "hosts.log", "nginx-error.log"].map((f) => fs.readFileSync(path.join(root, "log", f), "utf8"));
    expect(logs[1]).toMatch(/web-07: fetch refused: wrong or old token/);
    expect(logs[0]).toContain(`"GET /hosts/${HOST}/[token]/autoinstall.cfg HTTP/1.1" 403`);
    for (const t of tokens) for (const text of [...logs, ...outputs]) expect(text.includes(t)).toBe(false);
  });
});
