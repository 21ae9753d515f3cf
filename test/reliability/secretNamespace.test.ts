// The catalog's secret namespace on the real engine, with a real SSH child (sshd on loopback)
// reached with a key named lab_ssh_key, as in stacks/Pulumi.lab.yaml. A catalog whose motd prints
// { secret: lab_ssh_key } stops `pulumi preview`, `pulumi up` and `provision plan` at that
// variable's line, before any resource exists: nothing reaches the child, and no output holds
// the key. Declaring lab_ssh_key for the catalog is refused at its line in the stack file. The
// same motd printing the declared root_password_hash is placed, with the hash and no key; a
// declared secret whose value is the child's key is not placed either.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, ROOT_PASSWORD_HASH, treeOnDisk, type Fleet } from "../support/fleet";
import { provision } from "../support/provisionCli";

/** The base64 body lines of an OpenSSH private key: any of them anywhere is a leak. */
const keyLines = (key: string) => key.split("\n").filter((l) => l.length >= 20 && !l.startsWith("-----"));

describe("a catalog cannot name the fleet's own credentials", () => {
  let fleet: Fleet;
  let key: string;
  let profiles: string;
  const BANNER = 'motd_banner: "Authorized use only. Activity is logged."';

  /** The base profile's motd banner (printed by the motd template) written as `value`. */
  const banner = (value: string) => fs.writeFileSync(profiles, fs.readFileSync(profiles, "utf8").replace(/^ {6}motd_banner: .*$/m, `      motd_banner: ${value}`));
  const outputs: string[] = [];
  const run = async (args: string[]) => {
    const r = await fleet.project.run([...args, "--stack", fleet.project.stack]);
    outputs.push(`${r.stdout}\n${r.stderr}`);
    return { code: r.code, out: `${r.stdout}\n${r.stderr}` };
  };

  beforeAll(async () => {
    fleet = await createFleet({ transport: "ssh", servers: [{ name: "ns-a", site: "a", arch: ["x86_64"], profiles: ["web*"] }] });
    key = fleet.ssh!.children[0]!.privateKey;
    await fleet.project.setConfig("provisioning:lab_ssh_key", key, true);
    fleet.writeServers(fleet.servers.map((s) => (s.transport.kind === "ssh" ? { ...s, transport: { ...s.transport, privateKey: { secret: "lab_ssh_key" } } } : s)));
    profiles = path.join(fleet.catalogDir, "profiles.yaml");
    expect(fs.readFileSync(profiles, "utf8")).toContain(BANNER);
  }, 240_000);
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("a catalog printing { secret: lab_ssh_key }: preview, up and plan stop at the variable; nothing reaches the child", async () => {
    banner("{ secret: lab_ssh_key }");
    const line = fs.readFileSync(profiles, "utf8").split("\n").findIndex((l) => l.includes("motd_banner: { secret: lab_ssh_key }")) + 1;
    expect(line).toBeGreaterThan(0);
    const located = `${profiles}:${line} profiles[0].variables.motd_banner: secret "lab_ssh_key" is not among the catalog's secrets (provisioning:catalogSecrets, or the CentralServer's secrets: root_password_hash); a server's credentials never are`;

    for (const args of [["preview", "--diff"], ["preview", "--json"], ["up", "--yes", "--skip-preview"]]) {
      const r = await run(args);
      expect(r.code, r.out).not.toBe(0);
      // (--json writes the message as a JSON string)
      expect(r.out.replaceAll('\\"', '"')).toContain(located);
    }
    const plan = await provision(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, "--markdown"]);
    outputs.push(`${plan.stdout}\n${plan.stderr}`);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(located);

    // The stack may not declare the credential for its catalog either: refused at its line.
    fleet.setConfig("provisioning:catalogSecrets", ["root_password_hash", "lab_ssh_key"]);
    const stackFile = path.join(fleet.project.dir, "stacks", `Pulumi.${fleet.project.stack}.yaml`);
    const declaredAt = fs.readFileSync(stackFile, "utf8").split("\n").findIndex((l) => /^\s*- lab_ssh_key$/.test(l)) + 1;
    expect(declaredAt).toBeGreaterThan(0);
    const r = await run(["up", "--yes", "--skip-preview"]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain(`${stackFile}:${declaredAt} provisioning:catalogSecrets[1]: catalog secret "lab_ssh_key" is the provisioning:servers[0].transport.privateKey of server ns-a: a server's credential is never a catalog secret`);
    fleet.setConfig("provisioning:catalogSecrets", ["root_password_hash"]);

    // No resource exists, and not a byte reached the child (not even the bootstrap).
    expect((await fleet.project.ok(["stack", "export", "--stack", fleet.project.stack])).stdout).not.toContain("ns-a");
    expect(fs.readdirSync(fleet.roots["ns-a"]!)).toEqual([]);
  }, 300_000);

  it("the declared name still renders: the motd printing { secret: root_password_hash } is placed with the hash, and no file holds the key", async () => {
    banner("{ secret: root_password_hash }");
    await fleet.project.up();
    const files = treeOnDisk(fleet.roots["ns-a"]!);
    expect(files.get("http/files/web/motd")?.toString("utf8")).toContain(ROOT_PASSWORD_HASH);
    expect(keyLines(key).length).toBeGreaterThan(2);
    const holding = [...files].filter(([, bytes]) => keyLines(key).some((l) => bytes.toString("latin1").includes(l))).map(([p]) => p);
    expect(holding).toEqual([]);
    for (const out of outputs) for (const l of keyLines(key)) expect(out).not.toContain(l);
  }, 300_000);

  it("by value too: a catalog secret of another name given the child's key is not placed, and the child keeps what it had", async () => {
    const motd = () => treeOnDisk(fleet.roots["ns-a"]!).get("http/files/web/motd")?.toString("utf8");
    const before = motd();
    await fleet.project.setConfig("provisioning:motd_secret", `${key}\n`, true);
    fleet.setConfig("provisioning:catalogSecrets", ["root_password_hash", "motd_secret"]);
    banner("{ secret: motd_secret }");
    const r = await run(["up", "--yes", "--skip-preview"]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain(`ns-a: the value of the catalog secret "motd_secret" is this child's SSH private key; refusing to place it in a file the child serves`);
    expect(motd()).toBe(before);
    const holding = [...treeOnDisk(fleet.roots["ns-a"]!)].filter(([, bytes]) => keyLines(key).some((l) => bytes.toString("latin1").includes(l))).map(([p]) => p);
    expect(holding).toEqual([]);
    for (const l of keyLines(key)) expect(r.out).not.toContain(l);
  }, 300_000);
});
