// `provision status` on real children brought up by the real engine: one read over SSH (pinned
// host key), one read locally (the same kind of tree, its stack entry switched to a local
// transport after the up). Each host's life is driven with curl as an installer drives it
// (fetch its autoinstall under its token → installing; report done → installed; report failed
// → failed with its reason), and status says so with the times and the client address the child
// saw, as text, JSON, HTML and for one --host. A stopped daemon and a tampered file show; a child
// that does not answer (closed port, another host key, silent within --timeout) is one line and
// the others are still printed (exit 1).
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, type Fleet } from "../support/fleet";
import { runCurl } from "../support/curl";
import { provision } from "../support/provisionCli";
import type { ServerInput } from "../../src/catalog/schema";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const HOSTS = [
  { name: "web-07", interfaces: [{ mac: "52:54:00:00:07:07", ip: "10.0.0.7" }], profile: "web", server: "bm-a" },
  { name: "db-01", interfaces: [{ mac: "52:54:00:00:01:01" }], profile: "db", server: "bm-a" },
  { name: "app-02", interfaces: [{ mac: "52:54:00:00:02:02" }], profile: "web", server: "bm-b" },
  { name: "lab-01", interfaces: [{ mac: "52:54:00:00:03:03" }], profile: "db", server: "bm-b", netboot: false },
];

interface Json {
  children: ({ server: string; reachable: true; daemons: string; files: { state: string }; hosts: Record<string, string>[] } | { server: string; reachable: false; error: string })[];
}

describe("provision status: where every machine is", () => {
  let fleet: Fleet;
  let deployed: ServerInput[];
  let silent: net.Server;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "status-test-"));
  const status = (extra: string[] = []) => provision(fleet.project, ["status", "--stack", fleet.project.stack, "--project", fleet.project.dir, "--timeout", "3", ...extra]);
  const token = (root: string, mac: string) => /\/hosts\/[^/]+\/([A-Za-z0-9_-]{43})\/autoinstall\.cfg/.exec(fs.readFileSync(path.join(root, "tftp", "pxelinux.cfg", `01-${mac.replace(/:/g, "-")}`), "utf8"))![1]!;
  /** Ports no other entry uses (nothing listens there: these children are never brought up). */
  const elsewhere = (n: number) => ({ tftpPort: 1 + n, httpPort: 1 + n });
  const url = (server: ServerInput, p: string) => `http://127.0.0.1:${server.httpPort}/${p}`;

  beforeAll(async () => {
    fleet = await createFleet({ transport: "ssh", servers: [{ name: "bm-a", site: "a", arch: ["x86_64"], profiles: ["db"] }, { name: "bm-b", site: "b", arch: ["x86_64"], profiles: ["db"] }] });
    fs.writeFileSync(path.join(fleet.catalogDir, "hosts.yaml"), stringify({ hosts: HOSTS }));
    await fleet.project.up();
    deployed = fleet.servers;
    silent = net.createServer(() => undefined).listen(0, "127.0.0.1");
    await new Promise((r) => silent.once("listening", r));
    const [a, b] = deployed as [ServerInput & { transport: { kind: "ssh"; port: number; hostKey: string } }, ServerInput & { transport: { root: string; hostKey: string } }];
    // bm-b read locally; three children that do not answer: a closed port, another host key, silence.
    fleet.writeServers([
      a,
      { ...b, transport: { kind: "local", root: b.transport.root } },
      { ...a, ...elsewhere(1), name: "gone", site: "c", transport: { ...a.transport, port: 1, root: "/srv/gone" } },
      { ...a, ...elsewhere(2), name: "impostor", site: "d", transport: { ...a.transport, hostKey: b.transport.hostKey, root: "/srv/impostor" } },
      { ...a, ...elsewhere(3), name: "mute", site: "e", transport: { ...a.transport, port: (silent.address() as net.AddressInfo).port, root: "/srv/mute" } },
    ]);
  }, 300_000);
  afterAll(async () => {
    silent?.close();
    if (deployed) fleet.writeServers(deployed);
    await fleet?.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("armed and local hosts, daemons serving, files matching; unreachable children are one line each and exit 1", async () => {
    const r = await status();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^bm-a: serving; files match the manifest \(\d+\)$/m);
    expect(r.stdout).toMatch(/^bm-b: serving; files match the manifest \(\d+\)$/m);
    expect(r.stdout).toMatch(/^ {2}web-07: armed \(generation [0-9a-f]{16}\)$/m);
    expect(r.stdout).toMatch(/^ {2}app-02: armed/m);
    expect(r.stdout).toMatch(/^ {2}lab-01: local; netboot: false$/m);
    expect(r.stdout).toMatch(/^gone: unreachable: .*(ECONNREFUSED|refused)/m);
    expect(r.stdout).toMatch(/^impostor: unreachable: .*host key/im);
    expect(r.stdout).toMatch(/^mute: unreachable: no answer within 3 s$/m);
    expect(r.stdout).toContain("5 children: 2 answered, 3 unreachable");
  }, 120_000);

  it("installing, installed and failed, with the times and client address; as JSON, HTML and for one --host", async () => {
    const [a, b] = deployed as [ServerInput & { transport: { root: string } }, ServerInput & { transport: { root: string } }];
    const webToken = token(a.transport.root, "52:54:00:00:07:07");
    const fetched = await runCurl(["-sSf", "--max-time", "10", url(a, `hosts/web-07/${webToken}/autoinstall.cfg`)]);
    expect(fetched.code, fetched.stderr).toBe(0);
    let r = await status(["--host", "web-07"]);
    expect(r.stdout).toMatch(/^ {2}web-07: installing \(since \d{4}-\S+Z, client 127\.0\.0\.1, generation [0-9a-f]{16}\)$/m);
    expect(r.stdout).not.toContain("db-01");
    expect((await runCurl(["-sSf", "--max-time", "10", "--data", `token=${webToken}`, url(a, "report/web-07/done")])).code).toBe(0);
    const appToken = token(b.transport.root, "52:54:00:00:02:02");
    expect((await runCurl(["-sSf", "--max-time", "10", url(b, `hosts/app-02/${appToken}/autoinstall.cfg`)])).code).toBe(0);
    expect((await runCurl(["-sSf", "--max-time", "10", "--data", `token=${appToken}&reason=disk+sda+not+found`, url(b, "report/app-02/failed")])).code).toBe(0);

    const html = path.join(work, "status.html");
    r = await status(["--json", "--html", html]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as Json;
    const hostsOf = (server: string) => (json.children.find((c) => c.server === server) as { hosts: Record<string, string>[] }).hosts;
    const web = hostsOf("bm-a").find((h) => h.host === "web-07")!;
    expect(web).toMatchObject({ state: "installed", client: "127.0.0.1" });
    expect(web.fetchedAt).toMatch(ISO);
    expect(web.reportedAt).toMatch(ISO);
    expect(hostsOf("bm-a").find((h) => h.host === "db-01")).toMatchObject({ state: "armed" });
    expect(hostsOf("bm-b").find((h) => h.host === "app-02")).toMatchObject({ state: "failed", reason: "disk sda not found", client: "127.0.0.1" });
    // The switched entries are the host's local-disk ones: not "files differ".
    expect(json.children.filter((c) => c.reachable).map((c) => (c as { files: { state: string } }).files.state)).toEqual(["match", "match"]);
    expect(json.children.filter((c) => !c.reachable).map((c) => c.server)).toEqual(["gone", "impostor", "mute"]);
    const page = fs.readFileSync(html, "utf8");
    expect(page).toContain("<td>web-07</td><td>installed</td>");
    expect(page).toContain("disk sda not found");

    r = await status();
    expect(r.stdout).toMatch(/^ {2}web-07: installed \(at \S+Z, autoinstall fetched \S+Z, client 127\.0\.0\.1, generation [0-9a-f]{16}\)$/m);
    expect(r.stdout).toMatch(/^ {2}app-02: failed \(at \S+Z, autoinstall fetched \S+Z, client 127\.0\.0\.1, reason: disk sda not found, generation/m);
  }, 120_000);

  it("a stopped daemon and a tampered file show", async () => {
    const [a, b] = deployed as [ServerInput & { transport: { root: string } }, ServerInput & { transport: { root: string } }];
    fs.appendFileSync(path.join(a.transport.root, "http", "autoinstall", "db.cfg"), "\n# tampered\n");
    const pid = Number(fs.readFileSync(path.join(b.transport.root, "run", "nginx.pid"), "utf8").trim());
    process.kill(pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    const r = await status();
    expect(r.stdout).toMatch(/^bm-a: serving; files differ: 1 of \d+ \(http\/autoinstall\/db\.cfg \(changed\)\)$/m);
    expect(r.stdout).toMatch(/^bm-b: stopped: nginx; files match/m);
  }, 120_000);
});
