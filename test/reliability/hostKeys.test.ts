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
import { provisionOk } from "../support/provisionCli";
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

  /** hk-bad's transport with these trust settings instead of its pinned key. */
  const trust = (settings: Record<string, unknown>) =>
    fleet.writeServers(
      fleet.servers.map((s) => {
        if (s.name !== "hk-bad" || s.transport.kind !== "ssh") return s;
        const { hostKey: _pinned, knownHosts: _file, insecureAcceptAnyHostKey: _any, ...rest } = s.transport as typeof s.transport & Record<string, unknown>;
        return { ...s, transport: { ...rest, ...settings } as typeof s.transport };
      }),
    );

  it("a known_hosts file (hashed names too) pins the key of the host and port it lists; another's key is refused", async () => {
    const child = fleet.ssh!.children[1]!;
    const file = path.join(fleet.project.dir, "known_hosts");
    // Hashed (ssh-keygen -H), as ~/.ssh/known_hosts usually is.
    fs.writeFileSync(file, `# the lab\n[127.0.0.1]:${child.port} ${child.hostKey}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
    expect(fs.readFileSync(file, "utf8")).toMatch(/^\|1\|/m);
    trust({ knownHosts: file });
    fs.appendFileSync(path.join(fleet.roots["hk-bad"]!, "http", "autoinstall", "db.cfg"), "# drift, so the up has to connect\n");
    await fleet.project.up(["--refresh"]);
    expectConverged(fleet, "hk-bad");

    // The file lists another key for this host and port: refused, as with a wrong pin.
    fs.writeFileSync(file, `[127.0.0.1]:${child.port} ${strangerKey()}\n`);
    fs.appendFileSync(path.join(fleet.roots["hk-bad"]!, "http", "autoinstall", "db.cfg"), "# drift again\n");
    const r = await fleet.project.run(["up", "--yes", "--skip-preview", "--refresh", "--stack", fleet.project.stack]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`host key mismatch for hk-bad (127.0.0.1:${child.port})`);
  });

  it("the explicit opt-out connects to any key, and every preview and plan says so", async () => {
    trust({ insecureAcceptAnyHostKey: true });
    const plan = await provisionOk(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir]);
    expect(plan.stdout).toMatch(/^warning: hk-bad: insecureAcceptAnyHostKey: the host key of 127\.0\.0\.1 is not checked/m);
    const preview = await fleet.project.preview();
    expect(JSON.stringify(preview.diagnostics)).toContain("hk-bad: insecureAcceptAnyHostKey");
    await fleet.project.up(["--refresh"]);
    expectConverged(fleet, "hk-bad");
  });
});
