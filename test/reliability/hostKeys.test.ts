// Pinned SSH host keys on the real engine: a child whose key does not match its pin is refused
// with an error naming that server and both fingerprints, and nothing is written to it; with the
// right key pinned the next `up` converges it.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOfKeyBlob, parseHostKeyLine } from "../../components/transports/ssh";
import { createFleet, treeOnDisk, type Fleet } from "../support/fleet";
import { expectConverged } from "../support/converged";
import { changes } from "../support/pulumi";

/** A fresh ed25519 public key line: a host key no child has. */
function strangerKey(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stranger-key-"));
  try {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "stranger", "-f", path.join(dir, "k")], { stdio: "ignore" });
    return fs.readFileSync(path.join(dir, "k.pub"), "utf8").trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fingerprint = (line: string) => fingerprintOfKeyBlob(parseHostKeyLine(line).blob);

describe("pinned host keys on the real engine", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "ssh",
      servers: [
        { name: "hk-good", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "hk-bad", site: "b", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("a wrong pinned key fails the up naming the server and both fingerprints; nothing is written to it", async () => {
    const real = fleet.ssh!.children[1]!.hostKey;
    const wrong = strangerKey();
    fleet.writeServers(
      fleet.servers.map((s) => (s.name === "hk-bad" && s.transport.kind === "ssh" ? { ...s, transport: { ...s.transport, hostKey: wrong } } : s)),
    );
    const r = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).not.toBe(0);
    const port = fleet.ssh!.children[1]!.port;
    expect(out).toContain(`host key mismatch for hk-bad (127.0.0.1:${port}): expected ${fingerprint(wrong)}, got ${fingerprint(real)}`);
    expect(out).not.toMatch(/host key mismatch for hk-good/);
    // The mismatch is found at connection time, before any byte reaches the child.
    expect([...treeOnDisk(fleet.roots["hk-bad"]!).keys()]).toEqual([]);
    expect(fs.readdirSync(fleet.roots["hk-bad"]!)).toEqual([]);
  });

  it("with the right key pinned, the next up converges the server to its rendered tree", async () => {
    const real = fleet.ssh!.children[1]!.hostKey;
    fleet.writeServers(
      fleet.servers.map((s) => (s.name === "hk-bad" && s.transport.kind === "ssh" ? { ...s, transport: { ...s.transport, hostKey: real } } : s)),
    );
    await fleet.project.up();
    for (const name of ["hk-good", "hk-bad"]) expectConverged(fleet, name);
    expect(changes(await fleet.project.preview())).toEqual([]);
  });
});
