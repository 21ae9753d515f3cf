import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/catalog/errors";
import { readStackConfig } from "../../src/stackConfig";
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
    expect(c.catalogPath).toBe(path.join(dir, "stacks/catalogs/example"));
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
      "10 provisioning:servers[0].colour: unknown key \"colour\"; expected one of: address, arch, bindAddress, bootstrap, httpPort, labels, name, profiles, site, tftpPort, transport, wave",
      "8 provisioning:servers[0].tftpPort: invalid port 0: expected an integer 1..65535",
    ]);
  });
  it("ssh servers on different hosts may share ports", () => {
    const ssh = (n: string, h: string) => `    - name: ${n}\n      transport: { kind: ssh, host: ${h}, user: prov, privateKey: { secret: key }, root: /srv/prov }\n      arch: [x86_64]\n      site: s\n      profiles: []\n      tftpPort: 69\n      httpPort: 80\n`;
    const dir = tempDir({ "stacks/Pulumi.p.yaml": `config:\n  provisioning:servers:\n${ssh("a", "h1")}${ssh("b", "h2")}` });
    expect(readStackConfig(dir, "p").servers).toHaveLength(2);
  });
  it("reports a missing stack file", () => {
    expect(issuesOf(() => readStackConfig("/nonexistent", "x"))[0]!.message).toBe("cannot read stack config: ENOENT");
  });
});
