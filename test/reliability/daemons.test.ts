// Children keep serving: a child whose daemon died (a reboot, an OOM kill) is found by a
// refreshing plan, which says so for that server, and `up --refresh` starts its daemons again.
// Real engine, real nginx and in.tftpd.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, type Fleet } from "../support/fleet";
import { httpGet } from "../support/http";
import { provision, provisionOk } from "../support/provisionCli";
import { descendants } from "../support/processes";
import { changes } from "../support/pulumi";
import { tftpGet } from "../support/tftp";

const pidOf = (root: string, daemon: string) => Number(fs.readFileSync(path.join(root, "run", `${daemon}.pid`), "utf8").trim());
/** Running, not a zombie left unreaped. */
const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));

describe("a child whose daemons stopped", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "dm-a", site: "a", arch: ["x86_64"], profiles: ["web"] },
        { name: "dm-b", site: "b", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
    await fleet.project.up();
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("is named by `provision plan --refresh`, and `up --refresh` starts them again", async () => {
    const root = fleet.roots["dm-a"]!;
    const server = fleet.servers.find((s) => s.name === "dm-a")!;
    // As a reboot or a crash leaves it: nginx gone, master and workers.
    const nginx = pidOf(root, "nginx");
    for (const pid of [...descendants(nginx), nginx]) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(nginx)).toBe(false);
    await expect(httpGet(server.httpPort, "/autoinstall/web.cfg")).rejects.toThrow();

    // A plain preview does not look at the children; a refreshing plan does, and says why.
    expect(changes(await fleet.project.preview())).toEqual([]);
    const json = JSON.parse((await provisionOk(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, "--refresh", "--json"])).stdout);
    expect(json.touched).toEqual(["dm-a"]);
    expect(json.servers["dm-a"].files).toEqual([]);
    const text = await provision(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, "--refresh"]);
    expect(text.stdout).toContain("dm-a (update; site a, wave 0)\n  its daemons were found stopped: the bootstrap starts them again");

    await fleet.project.up(["--refresh"]);
    expect(alive(pidOf(root, "nginx"))).toBe(true);
    expect((await httpGet(server.httpPort, "/autoinstall/web.cfg")).length).toBeGreaterThan(0);
    expect((await tftpGet(server.tftpPort, "pxelinux.cfg/default")).length).toBeGreaterThan(0);
    expect(changes(await fleet.project.preview(["--refresh"])).filter((s) => s.op !== "refresh")).toEqual([]);
  });
});

describe("a child inside a private folder (a home directory of mode 0700)", () => {
  let fleet: Fleet;
  let home: string;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "private-home-"));
    fs.chmodSync(home, 0o700);
    fleet = await createFleet({ transport: "local", localRootsIn: path.join(home, "checkout", ".children"), servers: [{ name: "home-a", site: "a", arch: ["x86_64"], profiles: ["web"] }] });
  });
  afterAll(async () => {
    await fleet?.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("serves without loosening the folder: its HTTP workers run as the folder's owner", async () => {
    await fleet.project.up();
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    const server = fleet.servers[0]!;
    expect((await httpGet(server.httpPort, "/autoinstall/web.cfg")).length).toBeGreaterThan(0);
    expect((await tftpGet(server.tftpPort, "pxelinux.cfg/default")).length).toBeGreaterThan(0);
  });
});
