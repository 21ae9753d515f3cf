// Bad input is refused before anything reaches a child: every case exits 1 with a message naming
// the file, the line and the key path, and the roots of a converged two-child SSH fleet stay byte
// for byte unchanged. Catalog cases run the real `provision validate`; stack-config cases run the
// real `provision select` and then a real `pulumi up` of the stack program, which must fail before
// any resource step; a subset of catalog cases also goes through `pulumi up`.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { MAX_TEMPLATE_BYTES } from "../../src/catalog/load";
import { createFleet, EXAMPLE_CATALOG, treeOnDisk, type Fleet } from "../support/fleet";
import { runProvision } from "../support/provisionCli";
import { changes, type RunResult } from "../support/pulumi";

const PWNED = `/tmp/pwned-${randomBytes(6).toString("hex")}`;
const SHA = "a".repeat(64);
const made: string[] = [];

function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** 1-based number of the `nth` line of `text` containing `needle`. */
function lineIn(text: string, needle: string, nth = 1, what = "text"): number {
  const hits = text.split("\n").flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (hits.length < nth) throw new Error(`${needle} not in ${what}`);
  return hits[nth - 1]!;
}

const lineOf = (file: string, needle: string, nth = 1) => lineIn(fs.readFileSync(file, "utf8"), needle, nth, file);

interface Expect {
  /** File named by the message, relative to the catalog (or project) folder. */
  file: string;
  /** Text on the offending line (the expected line number is where it appears in `file`). */
  at: string;
  path: string;
  message: RegExp;
}

interface CatalogCase {
  name: string;
  /** Extra catalog file `zz-bad.yaml`. */
  extra?: string;
  /** Or an edit of the copied example catalog. */
  edit?: (dir: string) => void;
  expect: Expect;
}

const profile = (lines: string) => `profiles:\n  - name: x\n    parent: base\n${lines}`;
const autoinstallWith = (body: string) =>
  `templates:\n  - name: t1\n    kind: autoinstall\n    text: |\n      hello\n      ${body}\nprofiles:\n  - name: x\n    parent: base\n    autoinstall: t1\n`;
const configFile = (destination: string) => `configFiles:\n  - name: x.conf\n    template: motd\n    destination: ${JSON.stringify(destination)}\n`;
const replaceIn = (rel: string, from: string, to: string) => (dir: string) => {
  const f = path.join(dir, rel);
  const text = fs.readFileSync(f, "utf8");
  if (!text.includes(from)) throw new Error(`${from} not in ${rel}`);
  fs.writeFileSync(f, text.replace(from, to));
};

const BAD = "zz-bad.yaml";
const ROCKY_KERNEL_SHA = "e0c7960275233675ee65637a29ae50142772a86f7a62a2f8d1362f15f03f78fe";

export const CATALOG_CASES: CatalogCase[] = [
  { name: "malformed YAML (reserved character)", extra: "profiles:\n  - name: x\n    parent: @base\n", expect: { file: BAD, at: "@base", path: "profiles[0].parent", message: /YAML syntax error: Plain value cannot start with reserved character @/ } },
  { name: "malformed YAML (duplicate key)", extra: "profiles:\n  - name: x\n    parent: base\n    parent: web\n", expect: { file: BAD, at: "parent: web", path: "profiles[0].parent", message: /YAML syntax error: Map keys must be unique/ } },
  { name: "wrong type: number as name", extra: "profiles:\n  - name: 42\n    parent: base\n", expect: { file: BAD, at: "name: 42", path: "profiles[0].name", message: /expected string, received number/ } },
  { name: "wrong type: string as kernelOptions", extra: profile("    kernelOptions: quiet\n"), expect: { file: BAD, at: "kernelOptions", path: "profiles[0].kernelOptions", message: /expected record, received string/ } },
  { name: "wrong type: collection is not a list", extra: "templates:\n  name: t1\n", expect: { file: BAD, at: "templates", path: "templates", message: /expected array/ } },
  { name: "wrong enum: template kind", extra: "templates:\n  - name: t1\n    kind: kickstart\n    text: x\n", expect: { file: BAD, at: "kind: kickstart", path: "templates[0].kind", message: /autoinstall/ } },
  { name: "unknown key in a profile, with did you mean", extra: "profiles:\n  - name: x\n    parnet: base\n", expect: { file: BAD, at: "parnet", path: "profiles[0].parnet", message: /unknown key "parnet" \(did you mean "parent"\?\)/ } },
  { name: "unknown top-level key, with did you mean", extra: "profile:\n  - name: x\n", expect: { file: BAD, at: "profile:", path: "profile", message: /did you mean "profiles"\?/ } },
  { name: "duplicate profile name across files", extra: "profiles:\n  - name: web\n    parent: base\n", expect: { file: BAD, at: "name: web", path: "profiles[0].name", message: /duplicate profile name "web" \(first defined at .*profiles\.yaml:\d+\)/ } },
  { name: "duplicate template name", extra: "templates:\n  - name: motd\n    kind: config\n    text: x\n", expect: { file: BAD, at: "name: motd", path: "templates[0].name", message: /duplicate template name "motd"/ } },
  { name: "unknown parent", extra: "profiles:\n  - name: x\n    parent: bsae\n", expect: { file: BAD, at: "parent: bsae", path: "profiles[0].parent", message: /unknown profile "bsae" \(known: base,/ } },
  { name: "unknown distribution", extra: profile("    distribution: rocky8\n"), expect: { file: BAD, at: "rocky8", path: "profiles[0].distribution", message: /unknown distribution "rocky8"/ } },
  { name: "unknown autoinstall template", extra: profile("    autoinstall: ks-nope\n"), expect: { file: BAD, at: "ks-nope", path: "profiles[0].autoinstall", message: /unknown template "ks-nope"/ } },
  { name: "unknown config file", extra: profile("    configFiles: [ntp.conf]\n"), expect: { file: BAD, at: "ntp.conf", path: "profiles[0].configFiles[0]", message: /unknown config file "ntp.conf"/ } },
  { name: "config file with an unknown template", extra: "configFiles:\n  - name: x.conf\n    template: nope\n    destination: /etc/x\n", expect: { file: BAD, at: "template: nope", path: "configFiles[0].template", message: /unknown template "nope"/ } },
  { name: "distributionProfiles naming an unknown distribution", extra: "distributionProfiles:\n  - profile: db\n    distribution: nosuch\n", expect: { file: BAD, at: "nosuch", path: "distributionProfiles[0].distribution", message: /unknown distribution "nosuch"/ } },
  { name: "inheritance cycle", extra: "profiles:\n  - name: a\n    parent: b\n  - name: b\n    parent: a\n", expect: { file: BAD, at: "parent: b", path: "profiles[0].parent", message: /inheritance cycle: a -> b -> a/ } },
  { name: "profile that is its own parent", extra: "profiles:\n  - name: a\n    parent: a\n", expect: { file: BAD, at: "parent: a", path: "profiles[0].parent", message: /inheritance cycle: a -> a/ } },
  { name: "conflicting distribution mappings", extra: "distributionProfiles:\n  - profile: edge-arm\n    distribution: debian12-amd64\n", expect: { file: BAD, at: "debian12-amd64", path: "distributionProfiles[0].distribution", message: /conflicting distribution for profile "edge-arm"/ } },
  { name: "checksum mismatch of a payload", edit: replaceIn("distributions.yaml", ROCKY_KERNEL_SHA, SHA), expect: { file: "distributions.yaml", at: SHA, path: "distributions[0].kernel.sha256", message: /sha256 mismatch for .*vmlinuz/ } },
  { name: "missing payload file", edit: (d) => fs.rmSync(path.join(d, "payloads", "rocky9-x86_64", "initrd.img")), expect: { file: "distributions.yaml", at: "rocky9-x86_64/initrd.img", path: "distributions[0].initrd.path", message: /cannot read initrd file .*ENOENT/ } },
  { name: "missing template source file", extra: "templates:\n  - name: t1\n    kind: snippet\n    source: templates/none.j2\n", expect: { file: BAD, at: "source:", path: "templates[0].source", message: /cannot read template source "templates\/none.j2": ENOENT/ } },
  { name: "template syntax error", extra: autoinstallWith("{% if %}"), expect: { file: BAD, at: "{% if %}", path: "template t1", message: /unexpected token/ } },
  { name: "template syntax error in a source file", edit: (d) => fs.appendFileSync(path.join(d, "templates", "snippets", "network.j2"), "{% for %}\n"), expect: { file: "templates/snippets/network.j2", at: "{% for %}", path: "template network", message: /./ } },
  { name: "undefined template variable", extra: autoinstallWith("{{ profile.variables.nope }}"), expect: { file: BAD, at: "nope", path: "template t1", message: /undefined value in \{\{ profile.variables.nope \}\}/ } },
  { name: "include of a missing snippet", extra: autoinstallWith('{% include "nosuch" %}'), expect: { file: BAD, at: "nosuch", path: "template t1", message: /includes unknown template "nosuch"/ } },
  { name: "path traversal in a name", extra: "profiles:\n  - name: ../x\n    parent: base\n", expect: { file: BAD, at: "../x", path: "profiles[0].name", message: /invalid name "\.\.\/x"/ } },
  { name: "path traversal in a destination", extra: configFile("/etc/../shadow"), expect: { file: BAD, at: "destination", path: "configFiles[0].destination", message: /invalid destination .*without '\.\.'/ } },
  { name: "relative destination where absolute is required", extra: configFile("etc/motd"), expect: { file: BAD, at: "destination", path: "configFiles[0].destination", message: /invalid destination "etc\/motd": expected an absolute/ } },
  { name: "absolute template source where relative is required", extra: "templates:\n  - name: t1\n    kind: snippet\n    source: /etc/passwd\n", expect: { file: BAD, at: "source:", path: "templates[0].source", message: /invalid source "\/etc\/passwd": expected a normalized path relative/ } },
  { name: "template source escaping the catalog", extra: "templates:\n  - name: t1\n    kind: snippet\n    source: ../../../etc/shadow\n", expect: { file: BAD, at: "source:", path: "templates[0].source", message: /invalid source .*without '\.\.'/ } },
  { name: "shell metacharacters in a name (;)", extra: `profiles:\n  - name: "x; touch ${PWNED}"\n    parent: base\n`, expect: { file: BAD, at: "touch", path: "profiles[0].name", message: /invalid name "x; touch \/tmp\/pwned-[0-9a-f]+"/ } },
  { name: "shell metacharacters in a name ($())", extra: `profiles:\n  - name: "$(touch ${PWNED})"\n    parent: base\n`, expect: { file: BAD, at: "touch", path: "profiles[0].name", message: /invalid name "\$\(touch \/tmp\/pwned-[0-9a-f]+\)"/ } },
  { name: "shell metacharacters in a config file name (backticks)", extra: "configFiles:\n  - name: \"`reboot`\"\n    template: motd\n    destination: /etc/x\n", expect: { file: BAD, at: "reboot", path: "configFiles[0].name", message: /invalid name "`reboot`"/ } },
  { name: "shell metacharacters in a destination (;)", extra: configFile(`/etc/x; touch ${PWNED}`), expect: { file: BAD, at: "destination", path: "configFiles[0].destination", message: /invalid destination .*written into installer scripts/ } },
  { name: "shell metacharacters in a destination ($())", extra: configFile(`/etc/$(touch ${PWNED})`), expect: { file: BAD, at: "destination", path: "configFiles[0].destination", message: /invalid destination .*written into installer scripts/ } },
  { name: "newline in a name", extra: 'profiles:\n  - name: "x\\ny"\n    parent: base\n', expect: { file: BAD, at: "x\\ny", path: "profiles[0].name", message: /invalid name "x\\ny"/ } },
  { name: "NUL in a name", extra: 'profiles:\n  - name: "x\\0y"\n    parent: base\n', expect: { file: BAD, at: "x\\0y", path: "profiles[0].name", message: /invalid name "x\\u0000y"/ } },
  { name: "NUL in a destination", extra: configFile("/etc/x\0y"), expect: { file: BAD, at: "destination", path: "configFiles[0].destination", message: /must not contain NUL or newline/ } },
  { name: "invalid file mode", extra: "configFiles:\n  - name: x.conf\n    template: motd\n    destination: /etc/x\n    mode: \"644x\"\n", expect: { file: BAD, at: "644x", path: "configFiles[0].mode", message: /invalid mode "644x"/ } },
  { name: "invalid sha256", edit: replaceIn("distributions.yaml", ROCKY_KERNEL_SHA, "abc"), expect: { file: "distributions.yaml", at: "sha256: abc", path: "distributions[0].kernel.sha256", message: /invalid sha256 "abc"/ } },
  { name: "template with both source and text", extra: "templates:\n  - name: t1\n    kind: snippet\n    source: templates/chrony.conf.j2\n    text: x\n", expect: { file: BAD, at: "name: t1", path: "templates[0]", message: /exactly one of source or text/ } },
  {
    name: "oversized template source (> 1 MiB)",
    extra: "templates:\n  - name: big\n    kind: snippet\n    source: templates/big.j2\n",
    edit: (d) => fs.writeFileSync(path.join(d, "templates", "big.j2"), Buffer.alloc(MAX_TEMPLATE_BYTES + 1, "x")),
    expect: { file: BAD, at: "source:", path: "templates[0].source", message: /cannot read template source "templates\/big.j2": it is 1048577 bytes, above the limit of 1048576 bytes/ },
  },
  {
    name: "oversized inline template text (> 1 MiB)",
    extra: `templates:\n  - name: big\n    kind: snippet\n    text: ${"y".repeat(MAX_TEMPLATE_BYTES + 10)}\n`,
    expect: { file: BAD, at: "text:", path: "templates[0].text", message: /inline template text is \d+ bytes, above the limit/ },
  },
];

interface StackCase {
  name: string;
  /** Edit of the fleet's server list (s1, s2) as plain data; the stack file is rewritten with it. */
  servers: (base: Record<string, unknown>[]) => unknown[];
  /** Needle on the offending line of the stack file (its `nth` occurrence, default the first). */
  at: string | ((base: Record<string, unknown>[]) => string);
  nth?: number;
  path: string;
  message: RegExp;
}

const sshTransport = (root: string) => ({ kind: "ssh", host: "10.0.0.5", user: "root", privateKey: { secret: "k" }, root });
const at = (list: Record<string, unknown>[], i: number, patch: Record<string, unknown>) => list.map((s, j) => (j === i ? { ...s, ...patch } : s));

export const STACK_CASES: StackCase[] = [
  { name: "server with no arch", servers: (b) => [b[0], (({ arch: _arch, ...rest }) => rest)(b[1]!)], at: "name: s2", path: "provisioning:servers[1].arch", message: /missing required key/ },
  { name: "server with an empty arch list", servers: (b) => at(b, 1, { arch: [] }), at: "arch: []", path: "provisioning:servers[1].arch", message: /expected array to have >=1 items/ },
  { name: "duplicate tftp port on one machine", servers: (b) => at(b, 1, { tftpPort: b[0]!.tftpPort }), at: (b) => `tftpPort: ${b[0]!.tftpPort}`, nth: 2, path: "provisioning:servers[1].tftpPort", message: /tftpPort \d+ already used on 127\.0\.0\.1 \(first: s1 at line \d+\)/ },
  { name: "duplicate http port on one machine", servers: (b) => at(b, 1, { httpPort: b[0]!.httpPort }), at: (b) => `httpPort: ${b[0]!.httpPort}`, nth: 2, path: "provisioning:servers[1].httpPort", message: /httpPort \d+ already used on 127\.0\.0\.1/ },
  { name: "port out of range", servers: (b) => at(b, 0, { httpPort: 70000 }), at: "70000", path: "provisioning:servers[0].httpPort", message: /invalid port 70000: expected an integer 1..65535/ },
  { name: "port zero", servers: (b) => at(b, 1, { tftpPort: 0 }), at: "tftpPort: 0", path: "provisioning:servers[1].tftpPort", message: /invalid port 0/ },
  { name: "port as a string", servers: (b) => at(b, 0, { tftpPort: "tftp" }), at: "tftpPort: tftp", path: "provisioning:servers[0].tftpPort", message: /invalid port "tftp"/ },
  { name: "duplicate server name", servers: (b) => at(b, 1, { name: "s1" }), at: "name: s1", nth: 2, path: "provisioning:servers[1].name", message: /duplicate server name "s1"/ },
  { name: "unknown key in a server entry, with did you mean", servers: (b) => at(b, 0, { tftpport: 1 }), at: "tftpport", path: "provisioning:servers[0].tftpport", message: /did you mean "tftpPort"\?/ },
  { name: "path traversal in a server name", servers: (b) => at(b, 0, { name: "../evil" }), at: "../evil", path: "provisioning:servers[0].name", message: /invalid name "\.\.\/evil"/ },
  { name: "shell metacharacters in a server name", servers: (b) => at(b, 0, { name: `x; touch ${PWNED}` }), at: "touch", path: "provisioning:servers[0].name", message: /invalid name "x; touch/ },
  { name: "NUL in a server name", servers: (b) => at(b, 1, { name: "s\0x" }), at: "s\\0x", path: "provisioning:servers[1].name", message: /invalid name "s\\u0000x"/ },
  { name: "relative SSH root where absolute is required", servers: (b) => at(b, 0, { transport: sshTransport("srv/pxe") }), at: "root: srv/pxe", path: "provisioning:servers[0].transport.root", message: /invalid destination "srv\/pxe": expected an absolute/ },
  { name: "SSH root with $()", servers: (b) => at(b, 0, { transport: sshTransport(`/srv/$(touch ${PWNED})`) }), at: "$(touch", path: "provisioning:servers[0].transport.root", message: /invalid destination/ },
  { name: "malformed pinned host key", servers: (b) => at(b, 0, { transport: { ...(b[0]!.transport as object), hostKey: "ssh-ed25519 not;base64" } }), at: "hostKey", path: "provisioning:servers[0].transport.hostKey", message: /invalid hostKey/ },
  {
    name: "an SSH child without a pinned host key",
    servers: (b) => at(b, 1, { transport: (({ hostKey: _k, ...t }) => t)(b[1]!.transport as { hostKey?: string }) }),
    at: "transport:",
    nth: 2,
    path: "provisioning:servers[1].transport",
    message: /no pinned host key for 127\.0\.0\.1: set hostKey .* or knownHosts/,
  },
  { name: "newline in a local root", servers: (b) => at(b, 0, { transport: { kind: "local", root: "/srv/a\nb" } }), at: "root:", path: "provisioning:servers[0].transport.root", message: /must not contain NUL or newline/ },
];

/** A copy of the example catalog with the case applied. */
function catalogFor(c: CatalogCase): string {
  const dir = tmp("bad-catalog-");
  fs.cpSync(EXAMPLE_CATALOG, dir, { recursive: true });
  if (c.extra !== undefined) fs.writeFileSync(path.join(dir, BAD), c.extra);
  c.edit?.(dir);
  return dir;
}

/** The `file:line path: message` line the case must produce, relative to `dir` (`file:line: message` for the whole file). */
function expectIssue(stderr: string, dir: string, e: Expect): void {
  const file = path.join(dir, e.file);
  const where = e.path ? `${file}:${lineOf(file, e.at)} ${e.path}: ` : `${file}:${lineOf(file, e.at)}: `;
  const found = stderr.split("\n").find((l) => l.startsWith(where));
  expect(found, `no line "${where}…" in:\n${stderr}`).toBeDefined();
  expect(found!.slice(where.length)).toMatch(e.message);
}

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe("bad input is refused naming file, line and key path; no child changes", () => {
  let fleet: Fleet;
  let stackFile: string;
  let goodStack: string;
  let before: Record<string, Map<string, Buffer>>;

  beforeAll(async () => {
    fs.rmSync(PWNED, { force: true });
    // Two SSH children, converged first, so "unchanged" is checked on real, populated roots.
    fleet = await createFleet({
      transport: "ssh",
      servers: [
        { name: "s1", site: "a", arch: ["x86_64"], profiles: ["web*"] },
        { name: "s2", site: "b", arch: ["aarch64"], profiles: ["edge-*"] },
      ],
    });
    await fleet.project.up();
    stackFile = path.join(fleet.project.dir, "stacks", `Pulumi.${fleet.project.stack}.yaml`);
    goodStack = fs.readFileSync(stackFile, "utf8");
    before = snapshot();
    expect(Object.values(before).every((files) => files.size > 0)).toBe(true);
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  const snapshot = () => Object.fromEntries(Object.entries(fleet.roots).map(([name, root]) => [name, treeOnDisk(root)]));

  /** Every child root holds exactly the bytes it held after the first `up`; no marker file exists. */
  function expectChildrenUnchanged(): void {
    const after = snapshot();
    for (const [name, files] of Object.entries(before)) {
      expect([...after[name]!.keys()].sort(), name).toEqual([...files.keys()].sort());
      for (const [rel, bytes] of files) expect(after[name]!.get(rel)!.equals(bytes), `${name}/${rel}`).toBe(true);
    }
    expect(fs.existsSync(PWNED)).toBe(false);
  }

  /** `pulumi up` with a bad input in place: it fails in the stack program, before any resource step. */
  async function refusedUp(apply: () => void, restore: () => void, expected: (out: string) => void): Promise<void> {
    apply();
    try {
      const r = await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", fleet.project.stack]);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.code, out).not.toBe(0);
      expect(out).toMatch(/invalid provisioning input/);
      expected(out);
    } finally {
      restore();
    }
    expectChildrenUnchanged();
  }

  it("has at least 30 cases across catalog and stack config", () => {
    expect(CATALOG_CASES.length + STACK_CASES.length).toBeGreaterThanOrEqual(30);
  });

  describe("catalog: `provision validate` exits 1", () => {
    it.each(CATALOG_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const dir = catalogFor(c);
      const r = await runProvision(["validate", dir]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toBe("");
      expectIssue(r.stderr, dir, c.expect);
      expectChildrenUnchanged();
    });
  });

  describe("stack config: `provision select` exits 1 and `pulumi up` fails before writing", () => {
    it.each(STACK_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const base = (parseYaml(goodStack).config["provisioning:servers"] as Record<string, unknown>[]).map((s) => structuredClone(s));
      const doc = parseYaml(goodStack);
      doc.config["provisioning:servers"] = c.servers(base);
      const bad = stringifyYaml(doc);
      const line = lineIn(bad, typeof c.at === "string" ? c.at : c.at(base), c.nth);
      const wanted = `${stackFile}:${line} ${c.path}: `;

      fs.writeFileSync(stackFile, bad);
      let r: RunResult;
      try {
        r = await runProvision(["select", fleet.catalogDir, "--stack", fleet.project.stack, "--server", "s1", "--project", fleet.project.dir]);
      } finally {
        fs.writeFileSync(stackFile, goodStack);
      }
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const found = r.stderr.split("\n").find((l) => l.startsWith(wanted));
      expect(found, `no line "${wanted}…" in:\n${r.stderr}`).toBeDefined();
      expect(found).toMatch(c.message);

      await refusedUp(
        () => fs.writeFileSync(stackFile, bad),
        () => fs.writeFileSync(stackFile, goodStack),
        (out) => expect(out).toContain(found!),
      );
    });
  });

  it("a served pattern matching nothing is a warning naming file, line and key path, not an error", async () => {
    const doc = parseYaml(goodStack);
    doc.config["provisioning:servers"][0].profiles = ["web*", "nothing-matches-*"];
    fs.writeFileSync(stackFile, stringifyYaml(doc));
    try {
      const line = lineOf(stackFile, "nothing-matches-*");
      const warning = `${stackFile}:${line} provisioning:servers[0].profiles[1]: warning: 'nothing-matches-*' matches no profile`;
      const r = await runProvision(["select", fleet.catalogDir, "--stack", fleet.project.stack, "--server", "s1", "--project", fleet.project.dir, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(warning);
      expect(JSON.parse(r.stdout).objects.some((o: { name: string }) => o.name === "web")).toBe(true);
      // The engine shows the same warning and plans no change: the other pattern still selects the same.
      const preview = await fleet.project.preview();
      expect(JSON.stringify(preview.diagnostics ?? [])).toContain(`provisioning:servers[0].profiles[1]: warning: 'nothing-matches-*' matches no profile`);
      expect(changes(preview)).toEqual([]);
    } finally {
      fs.writeFileSync(stackFile, goodStack);
    }
    expectChildrenUnchanged();
  });

  describe("catalog input on the real engine: `pulumi up` fails before writing", () => {
    it("unknown parent", async () => {
      const extra = path.join(fleet.catalogDir, BAD);
      await refusedUp(
        () => fs.writeFileSync(extra, "profiles:\n  - name: web-x\n    parent: wbe\n"),
        () => fs.rmSync(extra),
        (out) => expect(out).toContain(`${extra}:3 profiles[0].parent: unknown profile "wbe"`),
      );
    });

    it("template syntax error in a shared template", async () => {
      const ks = path.join(fleet.catalogDir, "templates", "ks-base.ks.j2");
      const good = fs.readFileSync(ks, "utf8");
      await refusedUp(
        () => fs.writeFileSync(ks, `${good}{% if %}\n`),
        () => fs.writeFileSync(ks, good),
        (out) => expect(out).toContain(`${ks}:${good.split("\n").length} template ks-base:`),
      );
    });

    it("a destination carrying a command substitution", async () => {
      const extra = path.join(fleet.catalogDir, BAD);
      await refusedUp(
        () => fs.writeFileSync(extra, configFile(`/etc/$(touch ${PWNED})`)),
        () => fs.rmSync(extra),
        (out) => expect(out).toContain(`${extra}:4 configFiles[0].destination: invalid destination`),
      );
    });

    it("checksum mismatch of a payload", async () => {
      const file = path.join(fleet.catalogDir, "distributions.yaml");
      const good = fs.readFileSync(file, "utf8");
      const line = lineOf(file, ROCKY_KERNEL_SHA);
      await refusedUp(
        () => fs.writeFileSync(file, good.replace(ROCKY_KERNEL_SHA, SHA)),
        () => fs.writeFileSync(file, good),
        (out) => expect(out).toContain(`${file}:${line} distributions[0].kernel.sha256: sha256 mismatch`),
      );
    });

    it("the stack naming a catalog folder that does not exist", async () => {
      const missing = path.join(fleet.catalogDir, "..", "no-such-catalog");
      await refusedUp(
        () => fs.writeFileSync(stackFile, goodStack.replace(fleet.catalogDir, missing)),
        () => fs.writeFileSync(stackFile, goodStack),
        (out) => expect(out).toContain(missing),
      );
    });
  });

  it("after the refused runs the fleet is still converged", async () => {
    expect(changes(await fleet.project.preview())).toEqual([]);
    expectChildrenUnchanged();
  });
});
