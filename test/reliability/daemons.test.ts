// Children keep serving: a child whose daemon died (a reboot, an OOM kill) is found by a
// refreshing plan, which says so for that server, and `up --refresh` starts its daemons again.
// Real engine, real nginx and in.tftpd.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, type Fleet } from "../support/fleet";
import { httpGet } from "../support/http";
import { provision, provisionOk } from "../support/provisionCli";
import { changes } from "../support/pulumi";
import { tftpGet } from "../support/tftp";

const pidOf = (root: string, daemon: string) => Number(fs.readFileSync(path.join(root, "run", `${daemon}.pid`), "utf8").trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
    const nginx = pidOf(root, "nginx");
    process.kill(nginx, "SIGKILL");
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
