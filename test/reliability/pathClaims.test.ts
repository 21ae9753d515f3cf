// Two objects never claim the same path, and a failed update leaves no file its manifest does not
// list, on the real engine with a local child. A catalog whose hosts `web-07` and `Web-07`
// claim one path (once case is folded) is refused by `provision validate` and by `up` before anything is written. A
// write that fails midway (a directory placed by hand where a file goes) leaves the child holding
// only files its manifest lists, each with its sha256; the state records that manifest, so the
// next update converges and a destroy, even after a failed first `up`, removes everything placed.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectConverged } from "../support/converged";
import { createFleet, treeOnDisk, type Fleet } from "../support/fleet";
import { planJson, runProvision } from "../support/provisionCli";
import { changes } from "../support/pulumi";

const sha256 = (bytes: Buffer) => require("node:crypto").createHash("sha256").update(bytes).digest("hex") as string;

/** Every file under tftp/, http/ and dhcp/ is listed in manifest.json with its sha256, and every listed file is there. */
function expectOnlyListed(root: string): { path: string; sha256: string }[] {
  const manifestFile = path.join(root, "manifest.json");
  const listed = fs.existsSync(manifestFile) ? (JSON.parse(fs.readFileSync(manifestFile, "utf8")).files as { path: string; sha256: string }[]) : [];
  const ours = [...treeOnDisk(root)].filter(([rel]) => /^(tftp|http|dhcp)\//.test(rel));
  expect(ours.map(([rel]) => rel).sort(), "files on the child").toEqual(listed.map((f) => f.path).sort());
  for (const [rel, bytes] of ours) expect(sha256(bytes), rel).toBe(listed.find((f) => f.path === rel)!.sha256);
  return listed;
}

/** The pid files of the child's daemons that still name a running process. */
const runningDaemons = (root: string) =>
  fs.existsSync(path.join(root, "run"))
    ? fs.readdirSync(path.join(root, "run")).filter((n) => n.endsWith(".pid") && isRunning(Number(fs.readFileSync(path.join(root, "run", n), "utf8").trim())))
    : [];
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("paths on a child", () => {
  let fleet: Fleet;
  let root: string;
  const up = () => fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);

  beforeAll(async () => {
    fleet = await createFleet({ transport: "local", servers: [{ name: "rack-a", site: "a", arch: ["x86_64"], profiles: ["web"] }] });
    root = fleet.roots["rack-a"]!;
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("hosts web-07 and Web-07: validate names both where they are, and up writes nothing", async () => {
    const hostsFile = path.join(fleet.catalogDir, "hosts.yaml");
    const host = (name: string, mac: string) => `  - name: ${name}\n    interfaces: [{ mac: ${mac} }]\n    profile: web\n    server: rack-a\n`;
    fs.writeFileSync(hostsFile, `hosts:\n${host("web-07", "52:54:00:00:07:01")}${host("Web-07", "52:54:00:00:07:02")}`);
    try {
      const validate = await runProvision(["validate", fleet.catalogDir]);
      expect(validate.code, validate.stdout + validate.stderr).toBe(1);
      expect(validate.stderr).toContain(
        `${hostsFile}:2 hosts[0].name: hosts/web-07/arm (host web-07) and hosts/Web-07/arm (host Web-07, ${hostsFile}:6) differ only in case: they are one file where case is not told apart; rename one of them`,
      );
      expect(validate.stderr).not.toMatch(/\n\s+at /); // no stack trace

      // The program refuses before any resource.
      const refused = await up();
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain("hosts/web-07/arm (host web-07) and hosts/Web-07/arm (host Web-07");
      expect(refused.stdout + refused.stderr).toContain("differ only in case on server rack-a");
      expect(fs.readdirSync(root)).toEqual([]);
    } finally {
      fs.rmSync(hostsFile);
    }
  });

  it("a first up that fails midway leaves only listed files, and a destroy then leaves nothing of ours", async () => {
    const blocker = path.join(root, "http", "autoinstall", "web.cfg");
    fs.mkdirSync(blocker, { recursive: true });
    try {
      const failed = await up();
      const output = failed.stdout + failed.stderr;
      expect(failed.code, output).not.toBe(0);
      expect(output).toMatch(/rack-a: write http\/autoinstall\/web\.cfg failed: EISDIR/);
      // The files placed before the failure were removed again: none is left unlisted.
      expectOnlyListed(root);
      expect([...treeOnDisk(root).keys()].filter((rel) => rel !== "manifest.json")).toEqual([]);
      // The engine recorded the server as it is on the child: a destroy finds it.
      const state = JSON.parse((await fleet.project.ok(["stack", "export", "--stack", fleet.project.stack])).stdout);
      expect(state.deployment.resources.some((r: { urn: string }) => r.urn.endsWith("$pulumi-nodejs:dynamic:Resource::rack-a"))).toBe(true);

      await fleet.project.destroy();
      expect([...treeOnDisk(root).keys()]).toEqual([]);
      expect(runningDaemons(root)).toEqual([]);
    } finally {
      fs.rmSync(blocker, { recursive: true, force: true });
    }
  });

  it("an update that fails midway: replaced files listed with their new sha256, created ones gone; the next up converges", async () => {
    await fleet.project.up();
    expectConverged(fleet, "rack-a");
    expectOnlyListed(root);

    // Every autoinstall file changes, and db's files are new; one of them cannot be placed.
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), "# reviewed: keep /var separate\n");
    fleet.writeServers([{ ...fleet.servers[0]!, profiles: ["web", "db"] }]);
    const blocker = path.join(root, "http", "autoinstall", "db.cfg");
    fs.mkdirSync(blocker);
    const failed = await up();
    expect(failed.code, failed.stdout + failed.stderr).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/rack-a: write http\/autoinstall\/db\.cfg failed: EISDIR/);

    const listed = expectOnlyListed(root);
    const expected = new Map(fleet.expectedTree("rack-a").files.map((f) => [f.path, f]));
    // web's autoinstall was replaced: the manifest says so; db's config files were created and taken back.
    const web = fs.readFileSync(path.join(root, "http", "autoinstall", "web.cfg"), "utf8");
    expect(web).toContain("# reviewed: keep /var separate");
    expect(listed.find((f) => f.path === "http/autoinstall/web.cfg")!.sha256).toBe(sha256(Buffer.from(web)));
    expect(expected.has("http/files/db/motd")).toBe(true);
    expect(fs.existsSync(path.join(root, "http", "files", "db"))).toBe(false);

    fs.rmdirSync(blocker);
    // The state holds what the child holds; the plan says the server is to update and why.
    expect(changes(await fleet.project.preview()).some((s) => s.urn.endsWith("::rack-a"))).toBe(true);
    expect((await planJson(fleet.project)).touched).toEqual(["rack-a"]);
    await fleet.project.up();
    expectConverged(fleet, "rack-a");
    expectOnlyListed(root);
    expect(changes(await fleet.project.preview())).toEqual([]);

    await fleet.project.destroy();
    expect([...treeOnDisk(root).keys()]).toEqual([]);
    expect(runningDaemons(root)).toEqual([]);
  });
});
