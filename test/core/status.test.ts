// `provision status` from a child's word: the states of a host from its arm record and record
// (the provider's rule), a child's files against its manifest (a host switched to the local
// disk is not "differ"), and hostile output — control characters, huge fields, wrong types,
// garbage lines — shown escaped and capped or as unreadable, never a crash.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runAsync } from "../../components/cli/main";
import { LocalTransport } from "../../components/transports/local";
import { CHILD_STATUS_SCRIPT } from "../../components/scripts";
import { hostGeneration } from "../../src/catalog/hosts";
import { manifestText } from "../../src/render/manifest";
import { statusHtml } from "../../src/report/htmlReport";
import { statusJson, statusText } from "../../src/report/statusReport";
import { childStatus } from "../../src/state/childStatus";
import { hostStatus } from "../../src/state/hostLifeCycle";
import { hidingIn } from "../support/hidingCharacters";
import { sha256Hex } from "../../src/state/contentKey";

const GEN = hostGeneration("web-07", undefined);
const want = { name: "web-07", netboot: true, generation: GEN };
const arm = (g = GEN) => `generation=${g}\ntoken_sha256=${"a".repeat(64)}\n`;
const rec = (o: Record<string, unknown>) => JSON.stringify({ host: "web-07", generation: GEN, fetchedAt: "2026-12-05T20:00:00Z", client: "10.0.0.7", ...o });
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("a host's state from its child's records", () => {
  it("local, not armed, armed, installing, installed, failed, with the times and client the child saw", () => {
    expect(hostStatus({ ...want, netboot: false }, undefined, undefined).state).toBe("local");
    expect(hostStatus(want, undefined, undefined).state).toBe("not armed");
    expect(hostStatus(want, arm(), undefined)).toEqual({ host: "web-07", state: "armed", generation: GEN });
    expect(hostStatus(want, arm(), rec({ state: "installing" }))).toMatchObject({ state: "installing", fetchedAt: "2026-12-05T20:00:00Z", client: "10.0.0.7" });
    expect(hostStatus(want, arm(), rec({ state: "installed", reportedAt: "2026-12-05T20:09:00Z" }))).toMatchObject({ state: "installed", reportedAt: "2026-12-05T20:09:00Z" });
    expect(hostStatus(want, arm(), rec({ state: "failed", reportedAt: "2026-12-05T20:09:00Z", reason: "disk full" }))).toMatchObject({ state: "failed", reason: "disk full" });
  });

  it("a record of another generation leaves it armed; an arm record of another generation says an update is pending", () => {
    expect(hostStatus(want, arm(), rec({ state: "installed", generation: "0123456789abcdef" })).state).toBe("armed");
    const pending = hostStatus(want, arm("0123456789abcdef"), undefined);
    expect(pending.state).toBe("armed");
    expect(pending.note).toContain(`generation ${GEN}`);
  });

  it("hostile records: wrong types, not JSON, too large are unreadable; control characters and huge fields are capped and shown escaped", () => {
    for (const bad of ["", "null", "[]", "{", '"installed"', JSON.stringify({ state: "installed", generation: 7 }), JSON.stringify({ state: "pwned", generation: GEN }), "x".repeat(70_000)]) {
      expect(hostStatus(want, arm(), bad).state, bad.slice(0, 40)).toBe("unreadable");
    }
    expect(hostStatus(want, "garbage", undefined).state).toBe("unreadable");
    const evil = "\x1b[2J\x1b]0;owned\x07\r\u202eok";
    const h = hostStatus(want, arm(), rec({ state: "failed", reason: evil + "y".repeat(10_000), client: evil, fetchedAt: { nested: 1 }, reportedAt: 12 }));
    expect(h.state).toBe("failed");
    expect(h.reason!.length).toBeLessThanOrEqual(201);
    expect(h.fetchedAt).toBeUndefined();
    const out = childStatus("bm-a", `daemons serving\nmanifest -\narm web-07 ${b64(arm())}\nrecord web-07 ${b64(rec({ state: "failed", reason: evil, client: evil }))}\nend\n`, [want]);
    for (const text of [statusText([out]), statusHtml([out])]) {
      expect(hidingIn(text, "\n")).toEqual([]);
      expect(text).toContain("\\x1b[2J");
    }
    expect(hidingIn(statusJson([out]), "\n")).toEqual([]);
    expect(JSON.parse(statusJson([out])).children[0].hosts[0].reason).toBe(evil);
    expect(statusHtml([out])).not.toMatch(/<script|\x1b/);
  });
});

describe("a child's status from its one script run", () => {
  const files = [
    { path: "tftp/pxelinux.cfg/01-52-54-00-00-07-07", body: "installer" },
    { path: "hosts/web-07/local/tftp/pxelinux.cfg/01-52-54-00-00-07-07", body: "LOCALBOOT 0" },
    { path: "http/autoinstall/web.cfg", body: "ks" },
  ];
  const manifest = manifestText({ server: "bm-a", child: "c", files: files.map((f) => ({ path: f.path, sha256: sha256Hex(f.body), size: f.body.length, mode: "0644" })) });
  const run = (served: Record<string, string>, record?: string, daemons = "serving") =>
    childStatus(
      "bm-a",
      [`daemons ${daemons}`, `manifest ${b64(manifest)}`, ...Object.entries(served).map(([p, b]) => `${sha256Hex(b)}  ${p}`), `arm web-07 ${b64(arm())}`, ...(record ? [`record web-07 ${b64(record)}`] : []), "end"].join("\n"),
      [want],
    );
  const asListed = Object.fromEntries(files.map((f) => [f.path, f.body]));

  it("files match, differ (changed, absent), and a switched host's entries match its local variant", () => {
    expect(run(asListed)).toMatchObject({ reachable: true, daemons: "serving", files: { state: "match", listed: 3, differ: 0 } });
    const tampered = run({ ...asListed, "http/autoinstall/web.cfg": "evil" });
    expect(tampered).toMatchObject({ files: { state: "differ", differ: 1, examples: ["http/autoinstall/web.cfg (changed)"] } });
    const { ["http/autoinstall/web.cfg"]: _gone, ...absent } = asListed;
    expect(run(absent)).toMatchObject({ files: { state: "differ", examples: ["http/autoinstall/web.cfg (absent)"] } });
    const swapped = { ...asListed, "tftp/pxelinux.cfg/01-52-54-00-00-07-07": "LOCALBOOT 0" };
    expect(run(swapped)).toMatchObject({ files: { state: "differ" } });
    expect(run(swapped, rec({ state: "installed", reportedAt: "2026-12-05T20:09:00Z" }))).toMatchObject({ files: { state: "match" }, hosts: [{ state: "installed" }] });
    expect(statusText([run({ ...asListed, "http/autoinstall/web.cfg": "evil" })])).toContain("bm-a: serving; files differ: 1 of 3 (http/autoinstall/web.cfg (changed))");
  });

  it("stopped daemons show; garbage output is unreadable or unreachable, never a crash", () => {
    expect(statusText([run(asListed, undefined, "stopped: nginx tftpd")])).toContain("bm-a: stopped: nginx tftpd; files match the manifest (3)");
    expect(run(asListed, undefined, "\x1b[31mserving")).toMatchObject({ daemons: "unreadable" });
    expect(childStatus("bm-a", "daemons serving\n", [want])).toMatchObject({ reachable: false, error: "its status script did not finish" });
    expect(childStatus("bm-a", "daemons serving\nmanifest !!\nfile zz  x\narm ../x Zm9v\nrecord web-07 ***\nend", [want])).toMatchObject({ reachable: true, files: { state: "no manifest" }, hosts: [{ state: "not armed" }] });
    expect(childStatus("bm-a", `daemons serving\nmanifest ${b64("{not json")}\nend`, [want])).toMatchObject({ files: { state: "unreadable manifest" } });
    const line = statusText([{ server: "bm-b", reachable: false, error: "connect ECONNREFUSED 127.0.0.1:1" }, run(asListed)]);
    expect(line).toContain("bm-b: unreachable: connect ECONNREFUSED 127.0.0.1:1\nbm-a: serving");
    expect(line).toContain("2 children: 1 answered, 1 unreachable");
  });

  it("the real script on a child's tree: one run reads daemons, files, arm records and records, whatever names and bytes the tree holds", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "status-script-"));
    try {
      for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
        fs.writeFileSync(path.join(root, f.path), f.body);
      }
      fs.writeFileSync(path.join(root, "manifest.json"), manifest);
      fs.writeFileSync(path.join(root, "hosts", "web-07", "arm"), arm());
      fs.mkdirSync(path.join(root, "state", "hosts"), { recursive: true });
      const evil = "\x1b]0;owned\x07\u202e";
      fs.writeFileSync(path.join(root, "state", "hosts", "web-07.json"), rec({ state: "installed", reportedAt: "2026-12-05T20:09:00Z", reason: evil }));
      // Names a manifest never lists: a newline, a backslash, a host directory that is no name.
      fs.writeFileSync(path.join(root, "http", "odd\nname"), "x");
      fs.writeFileSync(path.join(root, "http", "back\\slash"), "x");
      fs.mkdirSync(path.join(root, "hosts", "-x"), { recursive: true });
      fs.writeFileSync(path.join(root, "hosts", "-x", "arm"), arm());
      const r = await new LocalTransport(root).runScript(CHILD_STATUS_SCRIPT, { ROOT: root });
      expect(r.code, r.stderr).toBe(0);
      const c = childStatus("bm-a", r.stdout, [want, { name: "db-01", netboot: true, generation: GEN }]);
      expect(c).toMatchObject({ reachable: true, daemons: "stopped: nginx tftpd handler", files: { state: "differ", differ: 1, examples: ["tftp/pxelinux.cfg/01-52-54-00-00-07-07 (changed)"] } });
      expect(c.reachable && c.hosts).toEqual([expect.objectContaining({ host: "web-07", state: "installed", reason: evil }), { host: "db-01", state: "not armed", note: expect.any(String) }]);
      expect(hidingIn(statusText([c]), "\n")).toEqual([]);
      expect(childStatus("bm-a", (await new LocalTransport(root).runScript(CHILD_STATUS_SCRIPT, { ROOT: path.join(root, "gone") })).stdout, [want])).toMatchObject({ reachable: false, error: "its root does not exist" });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("provision status: the command", () => {
  // A project whose stack has two local children: one with a tree (read by the real script), one whose root does not exist.
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "status-cli-"));
  fs.cpSync(path.resolve(__dirname, "../../stacks/catalogs/example"), path.join(project, "catalog"), { recursive: true });
  fs.writeFileSync(path.join(project, "catalog", "hosts.yaml"), "hosts:\n  - { name: web-07, interfaces: [{ mac: '52:54:00:00:07:07' }], profile: web, server: a }\n  - { name: lab-01, interfaces: [{ mac: '52:54:00:00:03:03' }], profile: db, server: b, netboot: false }\n");
  const rootA = path.join(project, "children", "a");
  fs.mkdirSync(path.join(rootA, "hosts", "web-07"), { recursive: true });
  fs.writeFileSync(path.join(rootA, "hosts", "web-07", "arm"), arm());
  const server = (name: string, port: number) => `    - { name: ${name}, site: ${name}, arch: [x86_64], profiles: [db], tftpPort: ${port}, httpPort: ${port}, transport: { kind: local, root: children/${name} } }\n`;
  fs.mkdirSync(path.join(project, "stacks"));
  fs.writeFileSync(path.join(project, "stacks", "Pulumi.dev.yaml"), `config:\n  provisioning:catalog: catalog\n  provisioning:catalogSecrets: [root_password_hash]\n  provisioning:servers:\n${server("a", 7001)}${server("b", 7002)}`);
  const status = (...args: string[]) => runAsync(["status", "--stack", "dev", "--project", project, ...args]);

  it("reads local children without the engine; a child whose root is gone is its line and exit 1", async () => {
    const r = await status();
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("a: stopped: nginx tftpd handler; no manifest\n  web-07: armed (generation " + GEN + ")\nb: unreachable: its root does not exist\n2 children: 1 answered, 1 unreachable\n");
    expect(r.exitCode).toBe(1);
    fs.mkdirSync(path.join(project, "children", "b"), { recursive: true });
    const both = await status("--json");
    expect(both.exitCode).toBe(0);
    expect(JSON.parse(both.stdout).children[1]).toEqual({ server: "b", reachable: true, daemons: "stopped: nginx tftpd handler", files: { state: "no manifest", listed: 0, differ: 0, examples: [] }, hosts: [{ host: "lab-01", state: "local", note: "netboot: false" }] });
    const one = await status("--host", "lab-01");
    expect(one.stdout).not.toContain("web-07");
    expect(one.stdout).toContain("  lab-01: local; netboot: false\n");
  });

  it("usage: a stack, no argument, seconds and counts in range, no --markdown; an unknown --host is named", async () => {
    for (const args of [["status"], ["status", "--stack", "dev", "x"], ["status", "--stack", "dev", "--timeout", "0"], ["status", "--stack", "dev", "--timeout", "abc"], ["status", "--stack", "dev", "--parallel", "0"], ["status", "--stack", "dev", "--markdown"]]) {
      const r = await runAsync(args);
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("Usage: provision status --stack S");
    }
    const r = await status("--host", "nope");
    expect(r).toEqual({ stdout: "", stderr: "provision: --host nope: no such host in the catalog of stack dev (known: lab-01, web-07)\n", exitCode: 1 });
  });
});
