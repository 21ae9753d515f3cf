// `provision power` never sends a BMC password through a child whose host key is not pinned:
// whatever answers at the child's address would get it. Fast and in-process: the command on a
// project folder, with a secret reader that records what it is asked (nothing, when refused).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { powerCommand } from "../../components/cli/commands/power";
import { openBmcs } from "../../components/bmc";
import { CatalogError, formatIssue } from "../../src";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-trust-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const ssh = (name: string, site: string, host: string, trust: Record<string, unknown>) => ({
  name,
  site,
  arch: ["x86_64"],
  profiles: ["base"],
  tftpPort: 69,
  httpPort: 8080,
  transport: { kind: "ssh", host, user: "root", privateKey: { secret: `${name}_key` }, root: "/srv/provisioning", ...trust },
});
const ipmi = (pw: string, via?: string) => ({ kind: "ipmi", address: "192.0.2.50", user: "admin", password: { secret: pw }, ...(via ? { via } : {}) });
const redfish = (pw: string) => ({ kind: "redfish", address: "192.0.2.51", user: "admin", password: { secret: pw }, insecureSkipTlsVerify: true });

/** A project whose catalog has hosts h1 (server a1), h2 (site east) and h3 (server b1), and the stack's servers and BMCs. */
function project(servers: unknown[], bmcs: Record<string, unknown>): { dir: string; stackFile: string } {
  const dir = fs.mkdtempSync(path.join(work, "p-"));
  fs.writeFileSync(path.join(dir, "vmlinuz"), "k");
  fs.writeFileSync(path.join(dir, "initrd.img"), "i");
  fs.writeFileSync(
    path.join(dir, "catalog.yaml"),
    stringify({
      distributions: [{ name: "el9", arch: "x86_64", breed: "redhat", kernel: { path: "vmlinuz" }, initrd: { path: "initrd.img" }, installTree: "http://m/el9/os" }],
      profiles: [{ name: "base", distribution: "el9" }],
      hosts: [
        { name: "h1", interfaces: [{ mac: "52:54:00:00:00:01" }], profile: "base", server: "a1" },
        { name: "h2", interfaces: [{ mac: "52:54:00:00:00:02" }], profile: "base", site: "east" },
        { name: "h3", interfaces: [{ mac: "52:54:00:00:00:03" }], profile: "base", server: "b1" },
      ],
    }),
  );
  fs.mkdirSync(path.join(dir, "stacks"));
  const stackFile = path.join(dir, "stacks", "Pulumi.lab.yaml");
  fs.writeFileSync(stackFile, stringify({ config: { "provisioning:catalog": "catalog.yaml", "provisioning:servers": servers, "provisioning:bmcs": bmcs } }));
  return { dir, stackFile };
}

const lineOf = (file: string, needle: string, nth = 0) =>
  fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l, i) => (l.includes(needle) ? i + 1 : 0))
    .filter((n) => n > 0)[nth]!;

const refused = (stackFile: string, server: string, index: number, host: string, address: string, nth = 0) =>
  `${stackFile}:${lineOf(stackFile, "insecureAcceptAnyHostKey", nth)} provisioning:servers[${index}].transport.insecureAcceptAnyHostKey: server ${server} accepts any host key: the password of host ${host}'s BMC would go to whatever answers at ${address}; pin its host key (hostKey or knownHosts) to act for the BMC`;

describe("provision power refuses a child that accepts any host key", () => {
  const CASES: { name: string; servers: unknown[]; bmcs: Record<string, unknown>; hosts: string[]; lines: (f: string) => string[] }[] = [
    { name: "IPMI through a server that holds the host", servers: [ssh("a1", "west", "192.0.2.11", { insecureAcceptAnyHostKey: true })], bmcs: { h1: ipmi("h1_pw") }, hosts: ["h1"], lines: (f) => [refused(f, "a1", 0, "h1", "192.0.2.11")] },
    { name: "Redfish through a server that holds the host", servers: [ssh("a1", "west", "192.0.2.11", { insecureAcceptAnyHostKey: true })], bmcs: { h1: redfish("h1_pw") }, hosts: ["h1"], lines: (f) => [refused(f, "a1", 0, "h1", "192.0.2.11")] },
    {
      name: "a site's child named by via, the other child pinned",
      servers: [ssh("e1", "east", "192.0.2.21", { hostKey: HOST_KEY }), ssh("e2", "east", "192.0.2.22", { insecureAcceptAnyHostKey: true })],
      bmcs: { h2: ipmi("h2_pw", "e2") },
      hosts: ["h2"],
      lines: (f) => [refused(f, "e2", 1, "h2", "192.0.2.22")],
    },
    {
      name: "two hosts through two such children: both reported at once",
      servers: [ssh("a1", "west", "192.0.2.11", { insecureAcceptAnyHostKey: true }), ssh("b1", "west", "192.0.2.12", { insecureAcceptAnyHostKey: true })],
      bmcs: { h1: ipmi("h1_pw"), h3: ipmi("h3_pw") },
      hosts: ["h1", "h3"],
      lines: (f) => [refused(f, "a1", 0, "h1", "192.0.2.11"), refused(f, "b1", 1, "h3", "192.0.2.12", 1)],
    },
  ];
  it.each(CASES.map((c) => [c.name, c] as const))("%s: a located error, no secret read, nothing run", async (_name, c) => {
    const { dir, stackFile } = project(c.servers, c.bmcs);
    const asked: string[] = [];
    const e = await openBmcs({ projectDir: dir, stack: "lab", hosts: c.hosts, secret: async (n) => (asked.push(n), "x") }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CatalogError);
    expect((e as CatalogError).issues.map(formatIssue)).toEqual(c.lines(stackFile));
    expect(asked).toEqual([]);
    // The command prints the same lines, and exits 1 before any secret is read (no Pulumi CLI is run).
    const r = await powerCommand({ stack: "lab", hosts: c.hosts, action: "status", projectDir: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual(c.lines(stackFile));
  });

  it("a host whose child is pinned is not refused for another child's setting", async () => {
    const { dir } = project([ssh("a1", "west", "192.0.2.11", { hostKey: HOST_KEY }), ssh("b1", "west", "192.0.2.12", { insecureAcceptAnyHostKey: true })], { h1: ipmi("h1_pw") });
    const asked: string[] = [];
    // Past the check: the link is made with the secrets it names (the child is dialled only when a command runs).
    const opened = await openBmcs({ projectDir: dir, stack: "lab", hosts: ["h1"], secret: async (n) => (asked.push(n), "not-a-key") });
    try {
      expect(opened.links.map((l) => [l.host, l.child])).toEqual([["h1", "a1"]]);
      expect(asked).toEqual(["a1_key", "h1_pw"]);
    } finally {
      await opened.close();
    }
  });
});
