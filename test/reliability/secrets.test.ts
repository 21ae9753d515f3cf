// Secrets on the real engine: the root password hash (a catalog variable from secret config),
// the SSH private key of each child (passphrase-encrypted) and its passphrase never appear in
// plaintext in the state (including backups and history), in preview/up/refresh output (text,
// --json, --diff), in `provision plan` reports (json, markdown, html) or in the children's logs,
// while the rendered files on the children do carry the real hash.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, ROOT_PASSWORD_HASH, treeOnDisk, type Fleet } from "../support/fleet";
import { runProvision } from "../support/provisionCli";
import type { RunResult } from "../support/pulumi";

const NEW_HASH = `$6$rounds=4096$rotated$${randomBytes(24).toString("hex")}`;
const PASSPHRASE = `key-passphrase-${randomBytes(12).toString("hex")}`;

/** Every regular file below `dir` (all of it: backups, history, locks). */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** The base64 body lines of an OpenSSH private key: any of them in plaintext is a leak. */
const keyLines = (key: string) => key.split("\n").filter((l) => l.length >= 20 && !l.startsWith("-----"));

function encryptKey(plain: string, passphrase: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "enc-key-"));
  try {
    const file = path.join(dir, "id");
    fs.writeFileSync(file, plain, { mode: 0o600 });
    execFileSync("ssh-keygen", ["-q", "-p", "-P", "", "-N", passphrase, "-f", file], { stdio: "ignore" });
    return fs.readFileSync(file, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("secrets never appear in plaintext", () => {
  let fleet: Fleet;
  let plainKey: string;
  let encryptedKey: string;
  const transcript: { what: string; text: string }[] = [];
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), "secret-reports-"));

  async function pulumi(args: string[], input?: string): Promise<RunResult> {
    const r = await fleet.project.run(args, input !== undefined ? { input } : {});
    transcript.push({ what: `pulumi ${args.join(" ")}`, text: `${r.stdout}\n${r.stderr}` });
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  async function provision(args: string[]): Promise<RunResult> {
    const r = await runProvision(args, { cwd: fleet.project.dir, env: fleet.project.env });
    transcript.push({ what: `provision ${args.join(" ")}`, text: `${r.stdout}\n${r.stderr}` });
    if (r.code !== 0) throw new Error(`provision ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  }


  const stack = () => ["--stack", fleet.project.stack];
  const plan = (...extra: string[]) => provision(["plan", ...stack(), "--project", fleet.project.dir, ...extra]);

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "ssh",
      servers: [
        { name: "sec-a", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "sec-b", site: "b", arch: ["x86_64"], profiles: ["db"] },
      ],
    });
    // Both children accept the one client key: give it to them encrypted, with its passphrase.
    plainKey = fleet.ssh!.children[0]!.privateKey;
    encryptedKey = encryptKey(plainKey, PASSPHRASE);
    expect(encryptedKey).not.toBe(plainKey);
    for (const i of [0, 1]) await fleet.project.setConfig(`provisioning:ssh_key_${i}`, encryptedKey, true);
    await fleet.project.setConfig("provisioning:ssh_key_passphrase", PASSPHRASE, true);
    fleet.writeServers(
      fleet.servers.map((s) => (s.transport.kind === "ssh" ? { ...s, transport: { ...s.transport, passphrase: { secret: "ssh_key_passphrase" } } } : s)),
    );
  });
  afterAll(async () => {
    await fleet?.dispose();
    fs.rmSync(reports, { recursive: true, force: true });
  });

  it("create, rotate the hash, refresh and inspect: every command succeeds and the secret reaches the child", async () => {
    await pulumi(["preview", "--diff", ...stack()]);
    await pulumi(["preview", "--json", ...stack()]);
    await pulumi(["up", "--yes", "--diff", ...stack()]);
    const web = path.join(fleet.roots["sec-a"]!, "http/autoinstall/web.cfg");
    expect(fs.readFileSync(web, "utf8")).toContain(`rootpw --iscrypted ${ROOT_PASSWORD_HASH}`);

    await fleet.project.setConfig("provisioning:root_password_hash", NEW_HASH, true);
    await pulumi(["preview", "--diff", ...stack()]);
    const preview = await pulumi(["preview", "--json", "--diff", ...stack()]);
    expect(preview.stdout).toContain("[secret]");
    const json = await plan("--json", "--html", path.join(reports, "plan.html"));
    expect(JSON.parse(json.stdout).touched.sort()).toEqual(["sec-a", "sec-b"]);
    await plan("--markdown");
    await plan();
    await pulumi(["up", "--yes", "--json", ...stack()]);
    expect(fs.readFileSync(web, "utf8")).toContain(`rootpw --iscrypted ${NEW_HASH}`);
    expect(fs.readFileSync(path.join(fleet.roots["sec-b"]!, "http/autoinstall/db.cfg"), "utf8")).toContain(NEW_HASH);

    // Drift on a secret file, then refresh (read back from the child) and repair.
    fs.appendFileSync(web, "# hand edit\n");
    await pulumi(["preview", "--refresh", "--json", "--diff", ...stack()]);
    await pulumi(["refresh", "--yes", "--diff", ...stack()]);
    await pulumi(["up", "--yes", "--skip-preview", "--refresh", ...stack()]);
    expect(fs.readFileSync(web, "utf8")).not.toContain("# hand edit");
    await pulumi(["stack", "output", "--json", ...stack()]);
    await pulumi(["stack", "export", ...stack()]);
    await pulumi(["stack", "history", "--json", ...stack()]);
    // Control: the search below does find the values where they are meant to be shown.
    const shown = await fleet.project.ok(["stack", "export", "--show-secrets", ...stack()]);
    expect(shown.stdout).toContain(NEW_HASH);
    expect(shown.stdout).toContain(PASSPHRASE);
    for (const line of keyLines(encryptedKey)) expect(shown.stdout).toContain(line);
  });

  it("no secret value appears in any output, report, state file or child log", () => {
    const secrets: [string, string][] = [
      ["root password hash", ROOT_PASSWORD_HASH],
      ["rotated root password hash", NEW_HASH],
      ["ssh key passphrase", PASSPHRASE],
      ["pulumi passphrase", fleet.project.env.PULUMI_CONFIG_PASSPHRASE!],
      ...keyLines(plainKey).map((l, i): [string, string] => [`private key line ${i}`, l]),
      ...keyLines(encryptedKey).map((l, i): [string, string] => [`encrypted private key line ${i}`, l]),
    ];
    expect(keyLines(plainKey).length).toBeGreaterThan(2);

    const state = filesBelow(path.join(fleet.project.dir, ".state"));
    // The state keeps backups and history of every update, not just the current checkpoint.
    expect(state.some((f) => f.includes(`${path.sep}backups${path.sep}`))).toBe(true);
    expect(state.some((f) => f.includes(`${path.sep}history${path.sep}`))).toBe(true);
    const childLogs = Object.values(fleet.roots).flatMap((root) => filesBelow(path.join(root, "log")));
    const places = [
      ...transcript.map((t) => ({ what: t.what, text: t.text })),
      ...[...state, ...filesBelow(reports), ...childLogs].map((f) => ({ what: f, text: fs.readFileSync(f, "latin1") })),
    ];
    expect(transcript.length).toBeGreaterThanOrEqual(14);
    const leaks = places.flatMap((p) => secrets.filter(([, value]) => p.text.includes(value)).map(([name]) => `${name} in ${p.what}`));
    expect(leaks).toEqual([]);
    // The state does hold them, encrypted: the checkpoint has ciphertext for the key and the files.
    const checkpoint = state.find((f) => f.endsWith(`${fleet.project.stack}.json`) && !f.includes("backups") && !f.includes("history"))!;
    expect(fs.readFileSync(checkpoint, "utf8")).toMatch(/"ciphertext"/);
    // And the children hold the real value only where it belongs.
    for (const [name, root] of Object.entries(fleet.roots)) {
      const holders = [...treeOnDisk(root)].filter(([, bytes]) => bytes.includes(NEW_HASH)).map(([rel]) => rel);
      expect(holders.length, name).toBeGreaterThan(0);
      expect(holders.every((rel) => rel.startsWith("http/autoinstall/")), `${name}: ${holders.join(", ")}`).toBe(true);
    }
  });
});
