import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { fenceCommand } from "../../components/cli/commands/fence";
import { run } from "../../components/cli/main";
import { programVerbIndex } from "../../components/cli/pulumiHost";
import { supportedCli } from "../../components/cli/toolchain";
import { tempDir } from "./helpers";

const example = path.resolve(__dirname, "../../stacks/catalogs/example");
const stack = `config:
  provisioning:catalog: ${example}
  provisioning:catalogSecrets: [root_password_hash]
  provisioning:servers:
    - name: dc1-a
      transport: { kind: local, root: /tmp/prov/dc1-a }
      arch: [x86_64]
      site: dc1
      profiles: ["web*", db]
      tftpPort: 6969
      httpPort: 8080
    - name: edge-1
      transport: { kind: local, root: /tmp/prov/edge-1 }
      arch: [aarch64]
      site: edge
      profiles: [edge-arm]
      tftpPort: 6970
      httpPort: 8081
`;

describe("cli", () => {
  const project = tempDir({ "stacks/Pulumi.dev.yaml": stack });

  it("validate: ok on the example catalog, exit 1 with one line per issue", () => {
    const r = run(["validate", example]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ok: 3 distributions, 7 profiles, 8 templates \(\+6 builtin\), 3 config files, 6 distribution profiles/);
    const bad = tempDir({ "c.yaml": "profiles:\n  - name: a\n    parent: zz\n" });
    const b = run(["validate", bad]);
    expect(b.exitCode).toBe(1);
    expect(b.stderr).toBe(`${path.join(bad, "c.yaml")}:3 profiles[0].parent: unknown profile "zz" (known: a)\n`);
  });

  it("select --json prints the contract shape", () => {
    const r = run(["select", example, "--stack", "dev", "--server", "edge-1", "--json", "--project", project]);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(["server", "objects", "files"]);
    expect(j.server).toBe("edge-1");
    expect(j.objects[0]).toEqual({ kind: "configFile", name: "chrony.conf", reason: "config file of profile edge-arm" });
    expect(j.files.map((f: { path: string }) => f.path)).toContain("tftp/images/debian12-arm64/vmlinuz");
    expect(Object.keys(j.files[0])).toEqual(["path", "sha256"]);
    expect(run(["select", example, "--stack", "dev", "--server", "edge-1", "--project", project]).stdout).toMatch(/^server edge-1: 1 profiles/);
  });

  it("impact --json / --markdown / table", () => {
    const r = run(["impact", example, example, "--stack", "dev", "--json", "--project", project]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ touched: [], servers: { "dc1-a": { status: "same", objects: [], files: [] }, "edge-1": { status: "same", objects: [], files: [] } }, changes: [] });
    expect(run(["impact", example, example, "--stack", "dev", "--markdown", "--project", project]).stdout).toBe("**0 of 2 servers touched: no file changes**\n");
    expect(run(["impact", example, example, "--stack", "dev", "--project", project]).stdout).toBe("0 of 2 servers touched: no file changes\n");
  });

  it("select and impact refuse a catalog secret the stack does not declare, as the engine's run would", () => {
    // The review without the engine (the pull-request tier) must not pass what `up` refuses.
    const undeclared = tempDir({ "stacks/Pulumi.dev.yaml": stack.replace("  provisioning:catalogSecrets: [root_password_hash]\n", "  provisioning:catalogSecrets: [other]\n") });
    const profiles = path.join(example, "profiles.yaml");
    const expected = (n: number) => `${profiles}:${n} profiles[`;
    for (const argv of [
      ["select", example, "--stack", "dev", "--server", "dc1-a", "--project", undeclared],
      ["impact", example, example, "--stack", "dev", "--project", undeclared],
    ]) {
      const r = run(argv);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^.+profiles\.yaml:\d+ profiles\[\d+\]\.variables\.root_password_hash: secret "root_password_hash" is not among the catalog's secrets \(provisioning:catalogSecrets: other\)/);
      expect(lines[0]!.startsWith(expected(16))).toBe(true);
    }
  });

  it("usage errors exit 2", () => {
    expect(run([]).exitCode).toBe(2);
    expect(run(["frobnicate"]).exitCode).toBe(2);
    expect(run(["validate"]).exitCode).toBe(2);
    expect(run(["select", example, "--stack", "dev"]).stderr).toMatch(/^provision: missing --server/);
    expect(run(["validate", example, "--bogus"]).exitCode).toBe(2);
    expect(run(["select", example, "--stack", "dev", "--server", "nope", "--project", project]).exitCode).toBe(2);
    expect(run(["impact", example, example, "--stack", "dev", "--json", "--markdown"]).exitCode).toBe(2);
    expect(run(["impact", example, example, "--base", "main", "--stack", "dev"]).stderr).toMatch(/^provision: impact takes either --base REF or <before> <after>/);
    expect(run(["impact", "--base=", "--stack", "dev"]).exitCode).toBe(2);
    expect(run(["--help"])).toMatchObject({ exitCode: 0 });
  });

  it("up: --wave is optional; without it a stack with no servers has no wave to roll out (exit 1, before the engine)", () => {
    const empty = tempDir({ "stacks/Pulumi.empty.yaml": `config:\n  provisioning:catalog: ${example}\n` });
    expect(run(["up", "--stack", "empty", "--project", empty])).toEqual({ stdout: "", stderr: "provision: stack empty has no servers (provisioning:servers): no wave to roll out\n", exitCode: 1 });
    // --wave N as before: a wave no server is in.
    expect(run(["up", "--stack", "dev", "--wave", "7", "--project", project])).toEqual({ stdout: "", stderr: "provision: no server of stack dev is in wave 7\n", exitCode: 1 });
    for (const bad of [["--wave", "x"], ["--wave="], ["--wave=-1"], ["--wave", "1.5"], ["--wave", " 1"]]) {
      const r = run(["up", "--stack", "dev", ...bad, "--project", project]);
      expect(r.exitCode, bad.join(" ")).toBe(2);
      expect(r.stderr, bad.join(" ")).toMatch(/^provision: --wave takes a wave number, got "/);
    }
    expect(run(["up", "--wave", "0"]).stderr).toMatch(/^provision: missing --stack\n/);
    expect(run(["up"]).stderr).toMatch(/^provision: missing --stack\n/);
    expect(run(["up", "--help"]).stdout).toMatch(/^Usage: provision up --stack S \[--wave N\]/);
  });

  it("invalid stack config exits 1", () => {
    expect(run(["impact", example, example, "--stack", "missing", "--project", project]).exitCode).toBe(1);
  });

  it("fence: any text as one markdown block that no line of it closes", () => {
    expect(fenceCommand("error in x\n````\n**fake** @octocat\n").stdout).toBe("`````\nerror in x\n````\n**fake** @octocat\n`````\n");
  });

  it("bin/provision.js launches", () => {
    const out = execFileSync(process.execPath, [path.resolve(__dirname, "../../bin/provision.js"), "validate", example], { encoding: "utf8" });
    expect(out).toMatch(/^ok: /);
  });
});

describe("provision pulumi: which commands run the program in-process", () => {
  it("the command itself, after global flags; not a subcommand that shares a verb's name", () => {
    expect(programVerbIndex(["up", "--yes"])).toBe(0);
    expect(programVerbIndex(["--cwd", "import", "preview", "--json"])).toBe(2);
    expect(programVerbIndex(["--color=never", "preview"])).toBe(1);
    expect(programVerbIndex(["-C=dir", "refresh"])).toBe(1);
    expect(programVerbIndex(["stack", "import", "--file", "f.json"])).toBe(-1);
    expect(programVerbIndex(["config", "refresh"])).toBe(-1);
    expect(programVerbIndex(["stack", "export", "--stack", "up"])).toBe(-1);
    expect(programVerbIndex(["--non-interactive"])).toBe(-1);
    expect(programVerbIndex(["-s", "dev", "up"])).toBe(2);
    expect(programVerbIndex(["--non-interactive", "up"])).toBe(1);
  });
});

describe("an installed Pulumi CLI", () => {
  it("is used from 3.248.0 on: older engines replace resources whose provider changes", () => {
    for (const v of ["v3.248.0", "v3.249.1", "v3.300.0-alpha.1", "v4.0.0", "3.248.0"]) expect(supportedCli(v), v).toBe(true);
    for (const v of ["v3.247.9", "v3.150.0", "v2.99.0", "", "warning: something\nv3.250.0"]) expect(supportedCli(v), v).toBe(false);
  });
});
