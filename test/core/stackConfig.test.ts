import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/catalog/errors";
import { checkStackConfig, readStackConfig } from "../../src/stackConfig";
import { issuesOf, tempDir } from "./helpers";

const srv = (name: string, tftp: number, http: number, extra = "") => `    - name: ${name}
      transport: { kind: local, root: /srv/${name} }
      arch: [x86_64]
      site: dc1
      profiles: ["web*"]
      tftpPort: ${tftp}
      httpPort: ${http}
${extra}`;

describe("readStackConfig", () => {
  it("reads catalog path and servers with defaults", () => {
    const dir = tempDir({ "stacks/Pulumi.dev.yaml": `config:\n  provisioning:catalog: stacks/catalogs/example\n  provisioning:servers:\n${srv("a", 6969, 8080)}` });
    const c = readStackConfig(dir, "dev");
    expect(c.catalogPaths).toEqual([path.join(dir, "stacks/catalogs/example")]);
    expect(c.servers[0]).toMatchObject({ name: "a", address: "127.0.0.1", labels: {} });
  });
  it("reports duplicate names and ports on one machine, and invalid ports, with lines", () => {
    const dir = tempDir({ "stacks/Pulumi.dev.yaml": `config:\n  provisioning:servers:\n${srv("a", 6969, 8080)}${srv("a", 6969, 8081)}` });
    const f = path.join(dir, "stacks/Pulumi.dev.yaml");
    expect(issuesOf(() => readStackConfig(dir, "dev")).map(formatIssue)).toEqual([
      `${f}:10 provisioning:servers[1].name: duplicate server name "a" (first: a at line 3)`,
      `${f}:15 provisioning:servers[1].tftpPort: tftpPort 6969 already used on the local machine (first: a at line 8)`,
      `${f}:11 provisioning:servers[1].transport: transport root /srv/a already used on the local machine (first: a at line 4)`,
    ]);
    const bad = tempDir({ "stacks/Pulumi.dev.yaml": `config:\n  provisioning:servers:\n${srv("a", 0, 8080, "      colour: red\n")}` });
    expect(issuesOf(() => readStackConfig(bad, "dev")).map((i) => `${i.line} ${i.path}: ${i.message}`).sort()).toEqual([
      "10 provisioning:servers[0].colour: unknown key \"colour\"; expected one of: address, arch, bindAddress, bootstrap, dhcp, httpPort, labels, name, profiles, site, tftpPort, transport, wave",
      "8 provisioning:servers[0].tftpPort: invalid port 0: expected an integer 1..65535",
    ]);
  });
  const ssh = (n: string, h: string, trust = "hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl, ") =>
    `    - name: ${n}\n      transport: { kind: ssh, host: ${h}, user: prov, privateKey: { secret: key }, ${trust}root: /srv/prov }\n      arch: [x86_64]\n      site: s\n      profiles: []\n      tftpPort: 69\n      httpPort: 80\n`;
  it("ssh servers on different hosts may share ports", () => {
    const dir = tempDir({ "stacks/Pulumi.p.yaml": `config:\n  provisioning:servers:\n${ssh("a", "h1")}${ssh("b", "h2")}` });
    expect(readStackConfig(dir, "p").servers).toHaveLength(2);
  });
  it("an SSH child needs a pinned host key or a known_hosts file; the opt-out is explicit", () => {
    const dir = tempDir({ "stacks/Pulumi.p.yaml": `config:\n  provisioning:servers:\n${ssh("a", "h1", "")}${ssh("b", "h2", "knownHosts: /etc/ssh/ssh_known_hosts, ")}${ssh("c", "h3", "insecureAcceptAnyHostKey: true, ")}` });
    const f = path.join(dir, "stacks/Pulumi.p.yaml");
    expect(issuesOf(() => readStackConfig(dir, "p")).map(formatIssue)).toEqual([
      `${f}:4 provisioning:servers[0].transport: no pinned host key for h1: set hostKey ("ssh-ed25519 AAAA…", e.g. from ssh-keyscan) or knownHosts (a known_hosts file); insecureAcceptAnyHostKey: true accepts any key, for a lab`,
    ]);
  });
  it("values that did not come from the stack file (--config, an ESC environment) are named by their key, without a line", () => {
    const lines = issuesOf(() => checkStackConfig({ catalog: 7, servers: [], payloadRoots: ["relative/dir"] }, "/p", "s")).map(formatIssue);
    expect(lines).toEqual([
      "(config) provisioning:catalog: expected a path, or a list of paths (one catalog)",
      '(config) provisioning:payloadRoots[0]: invalid payload root "relative/dir": expected an absolute, normalized folder',
    ]);
    // The same values in a stack file: located there.
    const file = path.join(tempDir({}), "Pulumi.s.yaml");
    const text = "config:\n  provisioning:catalog: 7\n";
    expect(issuesOf(() => checkStackConfig({ catalog: 7 }, "/p", "s", { file, text })).map(formatIssue)).toEqual([`${file}:2 provisioning:catalog: expected a path, or a list of paths (one catalog)`]);
    // A stack file that says something else than the program got (a --config override): no line.
    expect(issuesOf(() => checkStackConfig({ catalog: 8 }, "/p", "s", { file, text })).map(formatIssue)).toEqual([`${file} provisioning:catalog: expected a path, or a list of paths (one catalog)`]);
  });
  it("URL payload settings: public addresses and 512 MiB unless set; every bad entry located at its line", () => {
    const plain = readStackConfig(tempDir({ "stacks/Pulumi.s.yaml": "config:\n  provisioning:catalog: c\n" }), "s");
    expect([plain.payloadUrlAllow, plain.payloadMaxBytes]).toEqual([[], 512 * 1024 * 1024]);
    const set = readStackConfig(tempDir({ "stacks/Pulumi.s.yaml": "config:\n  provisioning:payloadUrlAllow: [10.0.0.0/8, \"mirror.lan:8080\"]\n  provisioning:payloadMaxBytes: 1048576\n" }), "s");
    expect([set.payloadUrlAllow, set.payloadMaxBytes]).toEqual([["10.0.0.0/8", "mirror.lan:8080"], 1048576]);
    const dir = tempDir({ "stacks/Pulumi.s.yaml": "config:\n  provisioning:payloadUrlAllow:\n    - 10.0.0.0/8\n    - http://mirror.lan\n    - 10.0.0.0/40\n  provisioning:payloadMaxBytes: -5\n" });
    const f = path.join(dir, "stacks/Pulumi.s.yaml");
    const expected = "expected a subnet (10.0.0.0/8, fd00::/8), an address, or host:port ([::1]:8080)";
    expect(issuesOf(() => readStackConfig(dir, "s")).map(formatIssue)).toEqual([
      `${f}:4 provisioning:payloadUrlAllow[1]: invalid entry "http://mirror.lan": ${expected}`,
      `${f}:5 provisioning:payloadUrlAllow[2]: invalid entry "10.0.0.0/40": ${expected}`,
      `${f}:6 provisioning:payloadMaxBytes: invalid size cap -5: expected a whole number of bytes, at least 1`,
    ]);
    // From the program's config (a --config flag): named by key.
    expect(issuesOf(() => checkStackConfig({ payloadUrlAllow: "10.0.0.0/8" }, "/p", "s")).map(formatIssue)).toEqual(["(config) provisioning:payloadUrlAllow: Invalid input: expected array, received string"]);
  });
  it("provisioning:catalogSecrets: the catalog's names, none of them a server's credential, in any case, nor a setting", () => {
    const key = (n: string, h: string, pass = "") =>
      `    - name: ${n}\n      transport: { kind: ssh, host: ${h}, user: prov, privateKey: { secret: lab_ssh_key }, ${pass}hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl, root: /srv/prov }\n      arch: [x86_64]\n      site: s\n      profiles: []\n      tftpPort: 69\n      httpPort: 80\n`;
    const stack = (secrets: string) => tempDir({ "stacks/Pulumi.p.yaml": `config:\n  provisioning:catalogSecrets: ${secrets}\n  provisioning:servers:\n${key("a", "h1")}${key("b", "h2", "passphrase: { secret: lab_ssh_pass }, ")}` });
    expect(readStackConfig(stack("[root_password_hash, pw]"), "p").catalogSecrets).toEqual(["root_password_hash", "pw"]);
    expect(readStackConfig(tempDir({ "stacks/Pulumi.p.yaml": "config:\n  provisioning:catalog: c\n" }), "p").catalogSecrets).toEqual([]);
    const dir = stack("\n    - root_password_hash\n    - lab_ssh_key\n    - LAB_SSH_PASS\n    - Lab_Ssh_Key\n    - servers\n    - 'provisioning:root_password_hash'\n    - ' root_password_hash'\n    - \"root_password_h\\u0430sh\"");
    const f = path.join(dir, "stacks/Pulumi.p.yaml");
    expect(issuesOf(() => readStackConfig(dir, "p")).map(formatIssue).sort()).toEqual(
      [
        `${f}:4 provisioning:catalogSecrets[1]: catalog secret "lab_ssh_key" is the provisioning:servers[0].transport.privateKey of server a: a server's credential is never a catalog secret (give the catalog's secret a name of its own)`,
        `${f}:5 provisioning:catalogSecrets[2]: catalog secret "LAB_SSH_PASS" reads as "lab_ssh_pass", the provisioning:servers[1].transport.passphrase of server b: a server's credential is never a catalog secret (give the catalog's secret a name of its own)`,
        `${f}:6 provisioning:catalogSecrets[3]: catalog secret "Lab_Ssh_Key" reads as "lab_ssh_key", the provisioning:servers[0].transport.privateKey of server a: a server's credential is never a catalog secret (give the catalog's secret a name of its own)`,
        `${f}:7 provisioning:catalogSecrets[4]: "servers" is a setting of the stack (provisioning:servers), not a secret`,
        `${f}:8 provisioning:catalogSecrets[5]: invalid secret name "provisioning:root_password_hash": expected 1-63 ASCII letters, digits, '_' or '-', starting with a letter`,
        `${f}:9 provisioning:catalogSecrets[6]: invalid secret name " root_password_hash": expected 1-63 ASCII letters, digits, '_' or '-', starting with a letter`,
        `${f}:10 provisioning:catalogSecrets[7]: invalid secret name "root_password_h\\u0430sh": expected 1-63 ASCII letters, digits, '_' or '-', starting with a letter`,
      ].sort(),
    );
    // From --config (no stack file line), the same rule.
    expect(issuesOf(() => checkStackConfig({ catalogSecrets: "root_password_hash" }, "/p", "s")).map(formatIssue)).toEqual(["(config) provisioning:catalogSecrets: Invalid input: expected array, received string"]);
  });
  it("reports a missing stack file", () => {
    expect(issuesOf(() => readStackConfig("/nonexistent", "x"))[0]!.message).toBe("cannot read stack config: ENOENT");
  });
});
