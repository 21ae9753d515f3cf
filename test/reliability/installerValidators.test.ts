// A broken install is caught in review: the real `provision validate` runs the installers' own
// validators (pykickstart's ksvalidator, debconf-set-selections -c, cloud-init schema) over every
// rendered autoinstall file and reports each rejection at the template line that wrote it. A
// validator that is not installed is reported as such, never as a pass; a kickstart's %include
// and %ksappend make the validator read nothing and fetch nothing.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_KSVALIDATOR } from "../../components/installerValidators";
import { EXAMPLE_CATALOG } from "../support/fleet";
import { runProvision } from "../support/provisionCli";

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** The example catalog, copied, with `edit` applied to it. */
function catalogWith(edit: (dir: string) => void = () => {}): string {
  const dir = tmp("validators-");
  fs.cpSync(EXAMPLE_CATALOG, dir, { recursive: true });
  edit(dir);
  return dir;
}

const replaceIn = (rel: string, from: string, to: string) => (dir: string) => {
  const f = path.join(dir, rel);
  const text = fs.readFileSync(f, "utf8");
  if (!text.includes(from)) throw new Error(`${from} not in ${rel}`);
  fs.writeFileSync(f, text.replace(from, to));
};

const lineOf = (file: string, needle: string) => {
  const i = fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return i + 1;
};

const KS = "templates/ks-base.ks.j2";
const PRESEED = "templates/preseed.cfg.j2";
const KICKSTART_PROFILES = ["base", "db", "web", "web-frontend"];

/** An Ubuntu distribution whose profile's autoinstall is cloud-config user-data. */
const ubuntu = (userData: string) => (dir: string) => {
  fs.writeFileSync(path.join(dir, "templates", "user-data.j2"), userData);
  fs.writeFileSync(
    path.join(dir, "zz-ubuntu.yaml"),
    `distributions:
  - name: ubuntu24-amd64
    arch: x86_64
    breed: ubuntu
    kernel: { path: payloads/debian12-amd64/vmlinuz }
    initrd: { path: payloads/debian12-amd64/initrd.img }
    installTree: http://mirror.example.org/ubuntu
templates:
  - name: user-data
    kind: autoinstall
    source: templates/user-data.j2
profiles:
  - name: noble
    distribution: ubuntu24-amd64
    autoinstall: user-data
    variables: { root_password_hash: { secret: root_password_hash } }
`,
  );
};

const USER_DATA = `#cloud-config
# Ubuntu autoinstall for {{ profile.name }} on {{ server.name }}
autoinstall:
  version: 1
  identity: { hostname: {{ profile.name }}, username: ops, password: "{{ profile.variables.root_password_hash }}" }
`;

describe("installer validators in provision validate", () => {
  it("the demo's kickstarts pass ksvalidator -v RHEL9 and its preseeds debconf-set-selections", async () => {
    const r = await runProvision(["validate", EXAMPLE_CATALOG]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("validators: ksvalidator (RHEL9) ran on 4 files; debconf-set-selections ran on 2 files\n");
    expect(fs.existsSync(DEFAULT_KSVALIDATOR) || r.stdout.includes("ksvalidator (RHEL9) ran")).toBe(true);
  });

  const broken: { name: string; file: string; edit: (dir: string) => void; at: string; message: RegExp }[] = [
    { name: "an unknown command", file: KS, edit: replaceIn(KS, "selinux --enforcing\n", "selinux --enforcing\nfrobnicate --now\n"), at: "frobnicate --now", message: /Unknown command: frobnicate/ },
    { name: "an unknown option", file: KS, edit: replaceIn(KS, "firstboot --disabled", "firstboot --disabled --sideways"), at: "firstboot --disabled --sideways", message: /unrecognized arguments: --sideways/ },
    { name: "an option without its value", file: KS, edit: replaceIn(KS, "firstboot --disabled", "firstboot --disabled\nsshpw --username=root"), at: "sshpw --username=root", message: /A single argument is expected for the sshpw command/ },
    { name: "a deprecated option", file: KS, edit: replaceIn(KS, "skipx", "skipx\nlogging --level=debug"), at: "logging --level=debug", message: /The --level option has been deprecated/ },
    { name: "a bad option in a snippet", file: "templates/snippets/network.j2", edit: replaceIn("templates/snippets/network.j2", "--bootproto=dhcp", "--bootproto=carrier-pigeon"), at: "carrier-pigeon", message: /carrier-pigeon|bootproto|invalid choice/i },
  ];
  for (const c of broken) {
    it(`a kickstart with ${c.name} fails at the template line that wrote it`, async () => {
      const dir = catalogWith(c.edit);
      const r = await runProvision(["validate", dir]);
      expect(r.code, r.stderr).toBe(1);
      const at = `${path.join(dir, c.file)}:${lineOf(path.join(dir, c.file), c.at)} `;
      const lines = r.stderr.split("\n").filter((l) => l.startsWith(at));
      // One per kickstart profile, each naming the rendered file and line it checked.
      expect(lines.map((l) => /profile ([\w-]+):/.exec(l)?.[1]).sort()).toEqual(KICKSTART_PROFILES);
      for (const l of lines) {
        expect(l).toMatch(/: ksvalidator -v RHEL9 rejects http\/autoinstall\/[\w-]+\.cfg:\d+: /);
        expect(l).toMatch(c.message);
      }
      expect(r.stdout).toContain("validators: ksvalidator (RHEL9) ran on 4 files");
    });
  }

  it("what a validator quotes of the catalog is shown with its control characters visible, and cut short", async () => {
    const word = `frob\u001b]0;owned\u0007\u001b[2J${"x".repeat(3000)}`;
    const dir = catalogWith(replaceIn(KS, "selinux --enforcing\n", `selinux --enforcing\n${word} --now\n`));
    const r = await runProvision(["validate", dir]);
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => l.includes("Unknown command: frob"));
    expect(lines.length).toBe(KICKSTART_PROFILES.length);
    for (const l of lines) {
      expect(l).toContain("frob\\x1b]0;owned\\x07\\x1b[2J");
      expect(l).not.toMatch(/[\u0000-\u001f]/);
      expect(l.length).toBeLessThan(path.join(dir, KS).length + 600);
    }
  });

  it("a kickstart version the validator does not know is an error at the distribution's osVersion", async () => {
    const dir = catalogWith(replaceIn("distributions.yaml", "osVersion: RHEL9", "osVersion: RHEL99"));
    const r = await runProvision(["validate", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, "distributions.yaml")}:${lineOf(path.join(dir, "distributions.yaml"), "osVersion: RHEL99")} distribution rocky9-x86_64.osVersion: ksvalidator knows no kickstart version RHEL99 (known: `);
  });

  it("a kickstart of a distribution without osVersion is reported as not checked", async () => {
    const dir = catalogWith(replaceIn("distributions.yaml", "osVersion: RHEL9", ""));
    const r = await runProvision(["validate", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("4 files not checked: distribution rocky9-x86_64 has no osVersion for ksvalidator");
    expect(r.stdout).not.toContain("ksvalidator (");
  });

  const preseeds: { name: string; line: string; message: RegExp; exit: number }[] = [
    { name: "a line without a value type", line: "d-i mirror/suite", message: /: debconf-set-selections rejects http\/autoinstall\/[\w-]+\.cfg:\d+: parse error on line \d+: 'd-i mirror\/suite'$/, exit: 1 },
    { name: "a line of prose", line: "this is not a preseed line at all", message: /: warning: debconf-set-selections warns about http\/autoinstall\/[\w-]+\.cfg:\d+: Unknown type not, skipping line \d+$/, exit: 0 },
  ];
  for (const c of preseeds) {
    it(`a preseed with ${c.name} is reported by debconf-set-selections -c at its template line`, async () => {
      const dir = catalogWith(replaceIn(PRESEED, "d-i clock-setup/utc boolean true\n", `d-i clock-setup/utc boolean true\n${c.line}\n`));
      const r = await runProvision(["validate", dir]);
      expect(r.code, r.stderr).toBe(c.exit);
      const at = `${path.join(dir, PRESEED)}:${lineOf(path.join(dir, PRESEED), c.line)} `;
      const lines = r.stderr.split("\n").filter((l) => l.startsWith(at));
      expect(lines.map((l) => /profile ([\w-]+):/.exec(l)?.[1]).sort()).toEqual(["build-amd64", "edge-arm"]);
      for (const l of lines) expect(l).toMatch(c.message);
    });
  }

  it("Ubuntu autoinstall user-data passes cloud-init schema, and an invalid one fails at its line", async () => {
    const good = await runProvision(["validate", catalogWith(ubuntu(USER_DATA))]);
    expect(good.stderr).toBe("");
    expect(good.stdout).toContain("cloud-init schema ran on 1 file");
    for (const [bad, at, message] of [
      [`${USER_DATA}packages: 5\n`, "packages: 5", /cloud-init schema rejects .*packages: 5 is not of type 'array'/],
      [`${USER_DATA}runcmd: [\n`, "runcmd: [", /cloud-init schema rejects .*not valid yaml/],
    ] as const) {
      const dir = catalogWith(ubuntu(bad));
      const r = await runProvision(["validate", dir]);
      expect(r.code, r.stderr).toBe(1);
      const file = path.join(dir, "templates", "user-data.j2");
      const want = at === "runcmd: [" ? lineOf(file, at) + 1 : lineOf(file, at);
      expect(r.stderr).toMatch(new RegExp(`^(${file.replace(/[.]/g, "\\.")}:${want}|http/autoinstall/noble\\.cfg:${want}) profile noble: `, "m"));
      expect(r.stderr).toMatch(message);
    }
  });

  it("a validator that is not installed is reported as not available, never as a pass", async () => {
    // debconf-set-selections alone on PATH; ksvalidator pointed nowhere.
    const bin = tmp("validators-path-");
    fs.symlinkSync("/usr/bin/debconf-set-selections", path.join(bin, "debconf-set-selections"));
    const env = { ...process.env, PATH: bin, PROVISIONING_KSVALIDATOR: path.join(bin, "ksvalidator") };
    const dir = catalogWith((d) => {
      replaceIn(KS, "selinux --enforcing\n", "selinux --enforcing\nfrobnicate --now\n")(d);
      ubuntu(`${USER_DATA}packages: 5\n`)(d);
    });
    const r = await runProvision(["validate", dir], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("validators: debconf-set-selections ran on 2 files; ksvalidator not available (4 files unchecked); cloud-init schema not available (1 file unchecked)\n");
  });

  it("a validator runs on a file of its own in an empty folder, with no environment, no network and a time limit", async () => {
    // A stand-in ksvalidator that writes down what it was given, and hangs when asked to.
    const bin = tmp("validators-fake-");
    const report = path.join(bin, "report");
    const hang = path.join(bin, "hang");
    const fake = path.join(bin, "ksvalidator");
    fs.writeFileSync(
      fake,
      `#!/bin/sh
if [ "$1" = "-l" ]; then echo RHEL9; exit 0; fi
{ echo "args: $*"; echo "pwd: $(pwd)"; echo "files: $(ls -A)"; echo "env: $(/usr/bin/env | tr '\\n' ' ')"; echo "net: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')"; echo; } >> ${report}
if [ -e ${hang} ]; then exec sleep 30; fi
exit 0
`,
      { mode: 0o755 },
    );
    const env = { ...process.env, PROVISIONING_KSVALIDATOR: fake, PULUMI_CONFIG_PASSPHRASE: "never-given-to-a-validator", PROVISIONING_VALIDATOR_TIMEOUT: "2" };
    const ok = await runProvision(["validate", EXAMPLE_CATALOG], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const runs = fs.readFileSync(report, "utf8").trim().split("\n\n");
    expect(runs).toHaveLength(KICKSTART_PROFILES.length);
    for (const run of runs) {
      const [args, pwd, files, seen, netDevices] = run.split("\n").map((l) => l.replace(/^\w+: ?/, ""));
      // -v and the version, then the file: no -i (no %include followed).
      expect(args).toMatch(new RegExp(`^-v RHEL9 ${pwd!.replace(/[.]/g, "\\.")}/ks\\.cfg$`));
      expect(pwd).toMatch(new RegExp(`^${os.tmpdir()}/provision-check-`));
      expect(files).toBe("ks.cfg");
      // Nothing but what the shell sets itself.
      expect(seen!.trim()).toBe(`PWD=${pwd}`);
      expect(netDevices!.trim()).toBe("lo");
      expect(fs.existsSync(pwd!)).toBe(false);
    }
    fs.writeFileSync(hang, "");
    const started = Date.now();
    const stuck = await runProvision(["validate", EXAMPLE_CATALOG], { env });
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toMatch(/ksvalidator -v RHEL9 rejects this file: did not finish within 2 s and was stopped/);
    expect(Date.now() - started).toBeLessThan(4 * 2000 + 15_000);
  });

  it("%include and %ksappend make the validator read no file and fetch no URL", async () => {
    const connections: string[] = [];
    const server = net.createServer((s) => {
      connections.push(`${s.remoteAddress}:${s.remotePort}`);
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const secretFile = path.join(tmp("validators-secret-"), "creds");
    fs.writeFileSync(secretFile, "rootpw --plaintext leaked-from-the-central-machine\nfrobnicate-from-included-file\n");
    try {
      const lines = [`%include http://127.0.0.1:${port}/x`, `%ksappend http://127.0.0.1:${port}/y`, "%include /etc/passwd", `%include ${secretFile}`, `%ksappend ${secretFile}`, `  %ksappend /etc/passwd`];
      const dir = catalogWith(replaceIn(KS, "skipx\n", `skipx\n${lines.join("\n")}\n`));
      const r = await runProvision(["validate", dir]);
      expect(connections).toEqual([]);
      for (const text of [r.stdout, r.stderr]) {
        expect(text).not.toMatch(/root:x:0:0|leaked-from-the-central-machine|frobnicate-from-included-file/);
      }
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("ksvalidator (RHEL9) ran on 4 files");
      // Each %ksappend is named: the installer will fetch it, the check did not.
      expect(r.stderr.split("\n").filter((l) => l.includes("%ksappend is not followed by the check")).length).toBe(3 * KICKSTART_PROFILES.length);
    } finally {
      server.close();
    }
  });
});
