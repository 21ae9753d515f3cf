// Faults on the real engine: a child that is down, the `pulumi` process killed in the middle of
// an update, a child whose disk is full or whose directory refuses writes. In each case the
// healthy servers converge, the error names the failed server (and path), nothing on a child is
// left half written, and the documented recovery brings the stack back to a converged state.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { LocalTransport } from "../../components/transports/local";
import { expectConverged as expectTreeConverged, expectedBytes } from "../support/converged";
import { createFleet, treeOnDisk, type Fleet } from "../support/fleet";
import { killTree } from "../support/processes";
import { changes, type RunResult } from "../support/pulumi";

/** The child holds exactly its rendered tree: same paths (so no temp file), same bytes, and its manifest lists them. */
function expectConverged(fleet: Fleet, server: string): void {
  expectTreeConverged(fleet, server);
  expectManifestMatches(fleet.roots[server]!);
}

/** Every file the child's manifest lists is on disk with that sha256. */
function expectManifestMatches(root: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "manifest.json"), "utf8")) as { files: { path: string; sha256: string }[] };
  expect(manifest.files.length).toBeGreaterThan(0);
  for (const f of manifest.files) expect(sha256(fs.readFileSync(path.join(root, f.path))), `${root}: ${f.path}`).toBe(f.sha256);
}

function sha256(bytes: Buffer): string {
  return require("node:crypto").createHash("sha256").update(bytes).digest("hex");
}

/** Names the atomic writers give their temporary files (`.<name>.tmp-…` locally, `.upload.…` over SSH). */
const TEMP_FILE = /(^|\/)\.[^/]*(\.tmp-|upload\.)[^/]*$/;
const tempFiles = (root: string) => [...treeOnDisk(root).keys()].filter((rel) => TEMP_FILE.test(rel));

/** The engine's error lines (`error: …`), where failures are reported. */
const errorLines = (r: RunResult) => (r.stdout + r.stderr).split("\n").filter((l) => /\berror: /.test(l));

const upContinuing = (fleet: Fleet): Promise<RunResult> =>
  fleet.project.run(["up", "--yes", "--skip-preview", "--continue-on-error", "--stack", fleet.project.stack]);

describe("an SSH child that is down during up", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "ssh",
      servers: [
        { name: "rack-a", site: "a", arch: ["x86_64"], profiles: ["web"] },
        { name: "rack-b", site: "b", arch: ["x86_64"], profiles: ["db"] },
        { name: "rack-c", site: "c", arch: ["x86_64"], profiles: ["base"] },
      ],
    });
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("the other children converge and the error names the child that is down", async () => {
    const down = fleet.ssh!.children[1]!;
    await fleet.ssh!.stopChild(down.name);

    const result = await upContinuing(fleet);
    const output = result.stdout + result.stderr;
    expect(result.code, output).not.toBe(0);
    expect(output).toMatch(new RegExp(`error: rack-b \\(127\\.0\\.0\\.1:${down.port}\\): ssh connection to root@127\\.0\\.0\\.1:${down.port} failed: .*ECONNREFUSED`));
    // Only the server that is down failed.
    expect(errorLines(result).filter((l) => /rack-[ac]/.test(l))).toEqual([]);
    expectConverged(fleet, "rack-a");
    expectConverged(fleet, "rack-c");
    expect(treeOnDisk(fleet.roots["rack-b"]!).size).toBe(0);
  });

  it("once the child is back, a rerun converges it and leaves the others untouched", async () => {
    await fleet.ssh!.startChild(fleet.ssh!.children[1]!.name);
    const before = changes(await fleet.project.preview());
    // What is left to do is exactly rack-b (and the barrier after its wave, which waited for it).
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((s) => /::(rack-b|wave-0)$/.test(s.urn)), before.map((s) => s.urn).join("\n")).toBe(true);

    await fleet.project.up();
    for (const server of ["rack-a", "rack-b", "rack-c"]) expectConverged(fleet, server);
    expect(changes(await fleet.project.preview())).toEqual([]);
  });
});

describe("the pulumi process killed in the middle of an up", () => {
  let fleet: Fleet;
  const BIG = 128 * 1024 * 1024;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "rack-a", site: "a", arch: ["x86_64"], profiles: ["web"] },
        { name: "rack-b", site: "b", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
    // A kernel big enough that its copy is still running when the process is killed.
    const kernel = path.join(fleet.catalogDir, "payloads", "rocky9-x86_64", "vmlinuz");
    const oldSha = sha256(fs.readFileSync(kernel));
    const big = Buffer.alloc(BIG, "rocky9 kernel stand-in\n");
    fs.writeFileSync(kernel, big);
    const distributions = path.join(fleet.catalogDir, "distributions.yaml");
    fs.writeFileSync(distributions, fs.readFileSync(distributions, "utf8").replace(oldSha, sha256(big)));
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("is recovered by cancel, refresh --clear-pending-creates and a rerun, with nothing half written", async () => {
    const kernelDir = path.join(fleet.roots["rack-a"]!, "tftp", "images", "rocky9-x86_64");
    let launcher = 0;
    const killed = fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack], { onSpawn: (pid) => (launcher = pid) });
    // Kill everything the run started (CLI, language host, and the provider host, which Pulumi
    // puts in a process group of its own) while the kernel's temporary file is being written.
    let partial: string | undefined;
    for (;;) {
      partial = fs.existsSync(kernelDir) ? fs.readdirSync(kernelDir).find((n) => n.startsWith(".vmlinuz.tmp-")) : undefined;
      if (partial && fs.statSync(path.join(kernelDir, partial)).size > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const pids = killTree(launcher);
    expect(pids.length).toBeGreaterThan(2);
    const result = await killed;
    expect(result.code).not.toBe(0);

    // The kill landed mid-write: a partial temporary file, never a partial file under its real name.
    expect(fs.statSync(path.join(kernelDir, partial)).size).toBeLessThan(BIG);
    for (const server of ["rack-a", "rack-b"]) {
      const expected = expectedBytes(fleet, server);
      for (const [rel, bytes] of treeOnDisk(fleet.roots[server]!)) {
        if (TEMP_FILE.test(rel)) continue;
        expect(expected.get(rel)?.equals(bytes), `${server}/${rel} is complete`).toBe(true);
      }
    }

    // The killed run still holds the stack's lock, and left operations pending in the state.
    const locked = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
    expect(locked.code).not.toBe(0);
    expect(locked.stdout + locked.stderr).toMatch(/the stack is currently locked by 1 lock\(s\)[\s\S]*pulumi cancel/);
    const exported = JSON.parse((await fleet.project.ok(["stack", "export", "--stack", fleet.project.stack])).stdout);
    const pending = (exported.deployment.pending_operations ?? []) as { resource: { urn: string }; type: string }[];
    expect(pending.map((p) => p.type)).toContain("creating");
    // The kernel is written by rack-a's resource, which was being created.
    expect(pending.some((p) => p.resource.urn.endsWith("$pulumi-nodejs:dynamic:Resource::rack-a")), JSON.stringify(pending.map((p) => p.resource.urn))).toBe(true);

    // The recovery procedure.
    await fleet.project.ok(["cancel", "--yes", "--stack", fleet.project.stack]);
    await fleet.project.ok(["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--stack", fleet.project.stack]);
    await fleet.project.up();

    for (const server of ["rack-a", "rack-b"]) {
      expect(tempFiles(fleet.roots[server]!), server).toEqual([]);
      expectConverged(fleet, server);
    }
    const state = JSON.parse((await fleet.project.ok(["stack", "export", "--stack", fleet.project.stack])).stdout);
    expect(state.deployment.pending_operations ?? []).toEqual([]);
    expect(changes(await fleet.project.preview())).toEqual([]);
  });
});

describe("a child whose disk is full, and one that refuses writes", () => {
  let fleet: Fleet;
  let fullRoot: string;
  let immutableDir: string;
  let filler: string;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "rack-a", site: "a", arch: ["x86_64"], profiles: ["web"] },
        { name: "rack-b", site: "b", arch: ["x86_64"], profiles: ["db"] },
        { name: "rack-c", site: "c", arch: ["x86_64"], profiles: ["base"] },
      ],
    });
    // rack-b's root is a filesystem of its own, with room for its tree and not much more.
    fullRoot = fleet.roots["rack-b"]!;
    const treeBytes = fleet.expectedTree("rack-b").files.reduce((n, f) => n + (f.size ?? 0), 0);
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${treeBytes + 4 * 1024 * 1024},mode=0755`, "tmpfs", fullRoot]);
    await fleet.project.up();
    for (const server of ["rack-a", "rack-b", "rack-c"]) expectConverged(fleet, server);

    // Disk full: fill what is left (in the log directory, beside nginx's logs).
    filler = path.join(fullRoot, "log", "filler");
    const fd = fs.openSync(filler, "w");
    try {
      const chunk = Buffer.alloc(64 * 1024, 1);
      for (;;) fs.writeSync(fd, chunk);
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe("ENOSPC");
    } finally {
      fs.closeSync(fd);
    }
    // Permission denied: root ignores modes, not the immutable attribute.
    immutableDir = path.join(fleet.roots["rack-c"]!, "http", "autoinstall");
    execFileSync("chattr", ["+i", immutableDir]);
  });
  afterAll(async () => {
    if (immutableDir) execFileSync("chattr", ["-i", immutableDir]);
    if (fullRoot) {
      // Its daemons keep files open on the tmpfs: stop them before unmounting.
      await new LocalTransport(fullRoot).runScript(STOP_SERVICES_SCRIPT, { ROOT: fullRoot });
      execFileSync("umount", [fullRoot]);
    }
    await fleet?.dispose();
  });

  it("names each failed server and path, converges the healthy one and leaves the others as they were", async () => {
    const old = new Map(["rack-b", "rack-c"].map((s) => [s, expectedBytes(fleet, s)]));
    // A kickstart change: every server's autoinstall file and manifest change.
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), "# reviewed: keep /var separate\n");

    const result = await upContinuing(fleet);
    const output = result.stdout + result.stderr;
    expect(result.code, output).not.toBe(0);
    // The message starts with the server's name and gives the path on it.
    expect(output).toMatch(/error: rack-b: write http\/autoinstall\/db\.cfg failed: ENOSPC: no space left on device/);
    expect(output).toMatch(/error: rack-c: write http\/autoinstall\/base\.cfg failed: EPERM: operation not permitted/);
    expect(errorLines(result).filter((l) => l.includes("rack-a"))).toEqual([]);
    expectConverged(fleet, "rack-a");

    // The failed servers still hold their previous files, complete, with a manifest that tells the truth.
    for (const server of ["rack-b", "rack-c"]) {
      const root = fleet.roots[server]!;
      expect(tempFiles(root), server).toEqual([]);
      const onDisk = treeOnDisk(root);
      expect([...onDisk.keys()].sort()).toEqual([...old.get(server)!.keys()].sort());
      for (const [rel, bytes] of old.get(server)!) expect(onDisk.get(rel)!.equals(bytes), `${server}/${rel} unchanged`).toBe(true);
      expectManifestMatches(root);
    }
  });

  it("once space is freed and the directory writable again, a rerun converges every server", async () => {
    fs.rmSync(filler);
    execFileSync("chattr", ["-i", immutableDir]);
    const pending = changes(await fleet.project.preview());
    expect(pending.every((s) => /::(rack-[bc]|wave-0)$/.test(s.urn)), pending.map((s) => s.urn).join("\n")).toBe(true);

    await fleet.project.up();
    for (const server of ["rack-a", "rack-b", "rack-c"]) expectConverged(fleet, server);
    expect(changes(await fleet.project.preview())).toEqual([]);
  });
});
