// Payloads by URL work end to end: downloaded once into the content store on the central machine,
// checked against their sha256 before anything reaches a child, streamed like local ones. A wrong
// checksum, an unreachable URL or an address the stack does not allow (at any redirect) is an
// error at the payload's place in the catalog, and nothing is written. Local payloads outside the
// catalog's folder need an allowed payload root. Real engine, a real local HTTP server, which the
// stack allows by its address (provisioning:payloadUrlAllow): loopback is refused otherwise.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectConverged } from "../support/converged";
import { createFleet, treeOnDisk, type Fleet } from "../support/fleet";
import { startPayloadServer, type PayloadServer } from "../support/payloadServer";
import { freeTcpPort } from "../support/ports";
import { changes } from "../support/pulumi";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
// New bytes every run: the content store on this machine outlives a run, and this test counts downloads.
const RUN = `${process.pid}-${Date.now()}`;
const KERNEL = Buffer.from(`a rocky9 kernel served over HTTP, run ${RUN}\n`.repeat(2000));
const INITRD = Buffer.from(`a rocky9 initrd served over HTTP, run ${RUN}\n`.repeat(3000));
const INTERNAL = Buffer.from(`an answer only this machine may read, run ${RUN}\n`);

describe("payloads by URL and from allowed roots, on the real engine", () => {
  let fleet: Fleet;
  let server: PayloadServer;
  /** A server of this machine's that the stack does not allow: the payload server redirects to it. */
  let internal: PayloadServer;
  let distributions: string;
  let good: string;

  /** The rocky9 distribution's kernel and initrd by URL, with the given sha256s. */
  const byUrl = (kernelSha: string, initrdSha: string, base = server.url) =>
    good
      .replace(/kernel: \{ path: payloads\/rocky9-x86_64\/vmlinuz, sha256: [0-9a-f]+ \}/, `kernel: { url: "${base}/rocky9/vmlinuz", sha256: ${kernelSha} }`)
      .replace(/initrd: \{ path: payloads\/rocky9-x86_64\/initrd\.img, sha256: [0-9a-f]+ \}/, `initrd: { url: "${base}/rocky9/initrd.img", sha256: ${initrdSha} }`);
  const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

  beforeAll(async () => {
    internal = await startPayloadServer({ "/internal": INTERNAL });
    server = await startPayloadServer({ "/rocky9/vmlinuz": KERNEL, "/rocky9/initrd.img": INITRD }, { redirects: { "/rocky9/vmlinuz-moved": `${internal.url}/internal` } });
    fleet = await createFleet({ transport: "local", servers: [{ name: "pl-a", site: "a", arch: ["x86_64"], profiles: ["web"] }] });
    fleet.setConfig("provisioning:payloadUrlAllow", [server.hostPort]);
    distributions = path.join(fleet.catalogDir, "distributions.yaml");
    good = fs.readFileSync(distributions, "utf8");
    await fleet.project.up();
  });
  afterAll(async () => {
    await fleet?.dispose();
    await server?.close();
    await internal?.close();
  });

  it("a wrong checksum fails the run at the payload's place in the catalog; nothing is written", async () => {
    const before = treeOnDisk(fleet.roots["pl-a"]!);
    const text = byUrl(sha(KERNEL), "b".repeat(64));
    fs.writeFileSync(distributions, text);
    const r = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      `${distributions}:${lineOf(text, "initrd.img")} distributions[0].initrd.url: cannot use ${server.url}/rocky9/initrd.img: sha256 mismatch: the catalog says ${"b".repeat(64)}, the download has ${sha(INITRD)}`,
    );
    expect(treeOnDisk(fleet.roots["pl-a"]!)).toEqual(before);
  });

  it("an unreachable URL fails the same way", async () => {
    const before = treeOnDisk(fleet.roots["pl-a"]!);
    const port = await freeTcpPort();
    const nobody = `http://127.0.0.1:${port}`;
    fleet.setConfig("provisioning:payloadUrlAllow", [server.hostPort, `127.0.0.1:${port}`]);
    // (The kernel is in the store since the first download: it is known by its content, not fetched again.)
    const text = byUrl(sha(KERNEL), sha(INITRD), nobody);
    fs.writeFileSync(distributions, text);
    const r = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`${distributions}:${lineOf(text, "initrd.img")} distributions[0].initrd.url: cannot use ${nobody}/rocky9/initrd.img: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(treeOnDisk(fleet.roots["pl-a"]!)).toEqual(before);
    fleet.setConfig("provisioning:payloadUrlAllow", [server.hostPort]);
  });

  it("a redirect to an address the stack does not allow is refused: the answer there is neither read nor placed", async () => {
    const before = treeOnDisk(fleet.roots["pl-a"]!);
    // The catalog even names the internal answer's sha256: before, the run placed it on the child.
    const text = good.replace(/kernel: \{ path: payloads\/rocky9-x86_64\/vmlinuz, sha256: [0-9a-f]+ \}/, `kernel: { url: "${server.url}/rocky9/vmlinuz-moved", sha256: ${sha(INTERNAL)} }`);
    fs.writeFileSync(distributions, text);
    const r = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      `${distributions}:${lineOf(text, "vmlinuz-moved")} distributions[0].kernel.url: cannot use ${server.url}/rocky9/vmlinuz-moved: refused: redirected to ${internal.url}/internal: ` +
        "127.0.0.1 is a loopback address (127.0.0.0/8): payload URLs reach only public addresses unless the stack allows one (provisioning:payloadUrlAllow)",
    );
    expect(internal.requests).toEqual([]);
    expect(treeOnDisk(fleet.roots["pl-a"]!)).toEqual(before);
  });

  it("the right checksums: downloaded once, verified, placed like local payloads", async () => {
    fs.writeFileSync(distributions, byUrl(sha(KERNEL), sha(INITRD)));
    await fleet.project.up();
    expectConverged(fleet, "pl-a");
    expect(fs.readFileSync(path.join(fleet.roots["pl-a"]!, "tftp/images/rocky9-x86_64/vmlinuz")).equals(KERNEL)).toBe(true);
    expect(fs.readFileSync(path.join(fleet.roots["pl-a"]!, "tftp/images/rocky9-x86_64/initrd.img")).equals(INITRD)).toBe(true);
    // Known by content once stored: the kernel since the first, failed run (once in all); the
    // initrd whose check failed then was not stored, and came again now. The next preview
    // neither downloads nor changes anything.
    const fetched = () => ["/rocky9/vmlinuz", "/rocky9/initrd.img"].map((p) => server.requests.filter((r) => r === p).length);
    expect(fetched()).toEqual([1, 2]);
    expect(changes(await fleet.project.preview())).toEqual([]);
    expect(fetched()).toEqual([1, 2]);
  });

  it("a local payload outside the catalog's folder needs its folder among the stack's payload roots", async () => {
    const outside = fs.mkdtempSync(path.join(path.dirname(fleet.catalogDir), "payload-root-"));
    fs.writeFileSync(path.join(outside, "vmlinuz"), KERNEL);
    const text = good.replace(/kernel: \{ path: payloads\/rocky9-x86_64\/vmlinuz, sha256: [0-9a-f]+ \}/, `kernel: { path: ${path.join(outside, "vmlinuz")} }`);
    fs.writeFileSync(distributions, text);
    const refused = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(`${distributions}:${lineOf(text, outside)} distributions[0].kernel.path: kernel file ${path.join(outside, "vmlinuz")} is outside the catalog folder`);

    fleet.setConfig("provisioning:payloadRoots", [outside]);
    await fleet.project.up();
    expectConverged(fleet, "pl-a");
    fs.writeFileSync(distributions, good);
  });
});
