// `provision power` against real BMCs: sushy-emulator (Redfish over HTTPS, the certificate's key
// pinned) and virtualbmc (IPMI) in front of one qemu guest under libvirtd, driven from a local
// child and from a child over SSH. Power status, on, cycle, off as libvirt sees them; the boot
// target functions a reinstall uses; a wrong password, a wrong pin and a BMC for a host the
// catalog lacks or no child holds, each refused with a located message. The password never shows:
// not in the output, not in any process's arguments while the commands run, not in a file.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BmcLink, openBmcs, setBootTarget } from "../../components/bmc";
import { type BmcLab, startBmcLab } from "../support/bmcEmulators";
import { EXAMPLE_CATALOG, ROOT_PASSWORD_HASH, STACK_PROGRAM } from "../support/fleet";
import { type PulumiProject, createProject } from "../support/pulumi";
import { provision } from "../support/provisionCli";
import { type SshChildren, startSshChildren } from "../support/sshd";

/** Every command line on this machine, read from /proc while the test runs. */
function watchCommandLines(): { seen: Set<string>; stop: () => void } {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        seen.add(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
      } catch {
        /* gone */
      }
    }
  }, 20);
  return { seen, stop: () => clearInterval(timer) };
}

/** Files under `dir` (not below `skip`) whose bytes contain `needle`. */
function filesHolding(dir: string, needle: string, skip: readonly string[], since: number): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (skip.some((s) => p === s || p.startsWith(`${s}/`))) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          const st = fs.statSync(p);
          if (st.mtimeMs >= since && st.size < 4 * 1024 * 1024 && fs.readFileSync(p).includes(needle)) found.push(p);
        } catch {
          /* gone */
        }
      }
    }
  };
  walk(dir);
  return found;
}

describe("provision power through real BMCs", () => {
  let lab: BmcLab;
  let project: PulumiProject;
  let ssh: SshChildren;
  let watch: ReturnType<typeof watchCommandLines>;
  const started = Date.now();
  const wrongPassword = `wrong-${Date.now().toString(36)}-pw`;
  const power = (...args: string[]) => provision(project, ["power", "--stack", "bmc", "--project", project.dir, ...args]);

  /** A BMC that redirects every request to another host (localhost instead of 127.0.0.1), and that other host, counting what reaches it. */
  let redirector: { port: number; pin: string; otherPort: number; reached: number; close: () => void };

  async function startRedirector(dir: string) {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`, "-days", "2", "-subj", "/CN=bmc"], { stdio: "ignore" });
    const tls = { key: fs.readFileSync(`${dir}/key.pem`), cert: fs.readFileSync(`${dir}/cert.pem`) };
    const pin = `sha256//${createHash("sha256").update(execFileSync("openssl", ["pkey", "-in", `${dir}/key.pem`, "-pubout", "-outform", "der"])).digest("base64")}`;
    const state = { reached: 0 };
    const other = https.createServer(tls, (_req, res) => {
      state.reached++;
      res.end("{}");
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const otherPort = (other.address() as AddressInfo).port;
    const bmc = https.createServer(tls, (req, res) => {
      res.writeHead(307, { Location: `https://localhost:${otherPort}${req.url}` });
      res.end();
    });
    await new Promise<void>((r) => bmc.listen(0, "127.0.0.1", r));
    return {
      port: (bmc.address() as AddressInfo).port,
      pin,
      otherPort,
      get reached() {
        return state.reached;
      },
      close: () => {
        bmc.close();
        other.close();
      },
    };
  }

  beforeAll(async () => {
    redirector = await startRedirector(fs.mkdtempSync(path.join(os.tmpdir(), "bmc-redirect-")));
    [lab, ssh] = await Promise.all([startBmcLab(), startSshChildren(1)]);
    // From here on (the fixture itself gives vbmc its password as an argument).
    watch = watchCommandLines();
    const sshChild = ssh.children[0]!;
    const redfish = { kind: "redfish", address: "127.0.0.1", port: lab.redfish.port, user: lab.redfish.user, pin: lab.redfish.pin };
    const ipmi = { kind: "ipmi", address: "127.0.0.1", port: lab.ipmi.port, user: lab.ipmi.user };
    const host = (name: string, where: Record<string, string>) => ({ name, profile: "web", ...where });
    const hosts = [
      host("rf-host", { server: "pxe-a" }),
      host("ipmi-host", { server: "pxe-a" }),
      host("rf-wrongpw", { server: "pxe-a" }),
      host("ipmi-wrongpw", { server: "pxe-a" }),
      host("rf-wrongpin", { server: "pxe-a" }),
      host("ssh-host", { server: "pxe-s" }),
      host("far-host", { site: "north" }),
      host("rf-byname", { server: "pxe-a" }),
      host("rf-lab", { server: "pxe-a" }),
      host("rf-redirect", { server: "pxe-a" }),
    ].map((h, i) => ({ ...h, interfaces: [{ mac: `52:54:00:00:01:${(16 + i).toString(16)}` }] }));
    const servers = [
      { name: "pxe-a", site: "lab", arch: ["x86_64"], profiles: [], transport: { kind: "local", root: ".children/pxe-a" }, tftpPort: 16969, httpPort: 18080 },
      {
        name: "pxe-s",
        site: "lab",
        arch: ["x86_64"],
        profiles: [],
        transport: { kind: "ssh", host: sshChild.host, port: sshChild.port, user: sshChild.user, privateKey: { secret: "child_key" }, hostKey: sshChild.hostKey, root: sshChild.root },
        tftpPort: 16970,
        httpPort: 18081,
      },
    ];
    const config = {
      // The example catalog's profiles, and these hosts.
      "provisioning:catalog": [EXAMPLE_CATALOG, "catalog"],
      "provisioning:catalogSecrets": ["root_password_hash"],
      "provisioning:servers": servers,
      "provisioning:bmcs": {
        "rf-host": { ...redfish, password: { secret: "rf_pw" } },
        "ipmi-host": { ...ipmi, password: { secret: "ipmi_pw" } },
        "rf-wrongpw": { ...redfish, password: { secret: "wrong_pw" } },
        "ipmi-wrongpw": { ...ipmi, password: { secret: "wrong_pw" } },
        // The pin of another key: the certificate the emulator shows does not match it.
        "rf-wrongpin": { ...redfish, pin: "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", password: { secret: "rf_pw" } },
        "ssh-host": { ...redfish, password: { secret: "rf_pw" } },
        // The system by name: the emulator redirects to its id, on the same BMC.
        "rf-byname": { ...redfish, system: lab.guest.name, password: { secret: "rf_pw" } },
        "rf-lab": { kind: "redfish", address: "127.0.0.1", port: lab.redfish.port, user: lab.redfish.user, insecureSkipTlsVerify: true, password: { secret: "rf_pw" } },
        "rf-redirect": { kind: "redfish", address: "127.0.0.1", port: redirector.port, user: "admin", pin: redirector.pin, password: { secret: "rf_pw" } },
      },
    };
    project = await createProject({ name: "bmc", stack: "bmc", main: STACK_PROGRAM, config, files: { "catalog/hosts.yaml": stringify({ hosts }), ".children/pxe-a/.keep": "" } });
    await project.setConfig("provisioning:rf_pw", lab.redfish.password, true);
    await project.setConfig("provisioning:ipmi_pw", lab.ipmi.password, true);
    await project.setConfig("provisioning:wrong_pw", wrongPassword, true);
    await project.setConfig("provisioning:child_key", sshChild.privateKey, true);
    // A second stack of the same project, with BMCs for a host the catalog lacks and a host no child holds.
    fs.writeFileSync(path.join(project.dir, "stacks", "Pulumi.bad.yaml"), stringify({ config: { ...config, "provisioning:servers": [servers[0]], "provisioning:bmcs": { ghost: { ...ipmi, password: { secret: "ipmi_pw" } }, "far-host": { ...ipmi, password: { secret: "ipmi_pw" } }, "rf-host": { ...redfish, password: { secret: "rf_pw" } } } } }));
  });

  afterAll(async () => {
    watch?.stop();
    redirector?.close();
    await Promise.all([lab?.stop(), ssh?.stop()]);
    if (project) fs.rmSync(project.dir, { recursive: true, force: true });
  });

  const secrets = () => [lab.redfish.password, lab.ipmi.password, wrongPassword];
  const expectNoSecret = (text: string) => {
    for (const s of secrets()) expect(text).not.toContain(s);
  };

  for (const kind of ["rf", "ipmi"] as const) {
    it(`${kind === "rf" ? "Redfish" : "IPMI"}: status off, on, status on, cycle, off, status off, as libvirt sees it`, async () => {
      lab.forceOff();
      const host = `${kind}-host`;
      const steps: [string, RegExp, string][] = [
        ["status", new RegExp(`^${host}: power off \\(BMC ${kind === "rf" ? "redfish" : "ipmi"} 127\\.0\\.0\\.1, from pxe-a\\)\\n$`), "shut off"],
        ["on", new RegExp(`^${host}: on: (ResetType On|chassis power on) `), "running"],
        ["status", new RegExp(`^${host}: power on `), "running"],
        ["cycle", new RegExp(`^${host}: cycle: (ResetType ForceRestart|chassis power reset \\(the BMC refused power cycle\\)) `), "running"],
        ["off", new RegExp(`^${host}: off: (ResetType ForceOff|chassis power off) `), "shut off"],
        ["status", new RegExp(`^${host}: power off `), "shut off"],
      ];
      for (const [action, line, state] of steps) {
        const r = await power(host, action);
        expect(r.code, `${action}\n${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(line);
        expect(r.stderr).toBe("");
        expectNoSecret(r.stdout + r.stderr);
        // libvirt settles within moments of the BMC's answer.
        for (let i = 0; i < 40 && lab.domState() !== state; i++) await new Promise((res) => setTimeout(res, 100));
        expect(lab.domState(), action).toBe(state);
      }
    });
  }

  it("the boot target: the network once, then the disk, through each kind of BMC", async () => {
    const passwords: Record<string, string> = { rf_pw: lab.redfish.password, ipmi_pw: lab.ipmi.password };
    const opened = await openBmcs({ projectDir: project.dir, stack: "bmc", hosts: ["rf-host", "ipmi-host"], secret: async (n) => passwords[n]! });
    try {
      for (const link of opened.links as BmcLink[]) {
        expect(await setBootTarget(link, "pxe")).toMatch(/^boot pxe: /);
        // First in the order (sushy keeps the disk behind the network as a fallback).
        expect(lab.bootDevices()[0], link.host).toBe("network");
        expect(await setBootTarget(link, "disk")).toMatch(/^boot disk: /);
        expect(lab.bootDevices()[0], link.host).toBe("hd");
      }
    } finally {
      await opened.close();
    }
  });

  it("from a child over SSH: the same BMC, reached through that child", async () => {
    lab.forceOff();
    const r = await power("ssh-host", "status");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("ssh-host: power off (BMC redfish 127.0.0.1, from pxe-s)\n");
  });

  it("a redirect is followed on the same BMC only; credentials never go to another host", async () => {
    lab.forceOff();
    const byName = await power("rf-byname", "status");
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toBe("rf-byname: power off (BMC redfish 127.0.0.1, from pxe-a)\n");
    const elsewhere = await power("rf-redirect", "status");
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toBe(
      `provision: host rf-redirect (BMC redfish https://127.0.0.1:${redirector.port}, from child pxe-a): GET /redfish/v1/Systems: HTTP 307: redirect to https://localhost:${redirector.otherPort}/redfish/v1/Systems refused: not this BMC\n`,
    );
    expect(redirector.reached).toBe(0);
    for (const r of [byName, elsewhere]) expectNoSecret(r.stdout + r.stderr);
  });

  it("the insecure-lab opt-out works, and says so on every use", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await power("rf-lab", "status");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^rf-lab: power (on|off) /);
      expect(r.stderr).toBe(`provision: warning: host rf-lab (BMC redfish https://127.0.0.1:${lab.redfish.port}, from child pxe-a): TLS not verified (insecureSkipTlsVerify): nothing proves who answers, and the password is sent to it\n`);
    }
  });

  it("a wrong password is refused, naming the host, the BMC and the answer, never the password", async () => {
    const rf = await power("rf-wrongpw", "status");
    expect(rf.code).toBe(1);
    expect(rf.stdout).toBe("");
    expect(rf.stderr).toBe(`provision: host rf-wrongpw (BMC redfish https://127.0.0.1:${lab.redfish.port}, from child pxe-a): GET /redfish/v1/Systems: HTTP 401: Incorrect username or password\n`);
    const ipmi = await power("ipmi-wrongpw", "on");
    expect(ipmi.code).toBe(1);
    expect(ipmi.stderr).toMatch(new RegExp(`^provision: host ipmi-wrongpw \\(BMC ipmi 127\\.0\\.0\\.1:${lab.ipmi.port}, from child pxe-a\\): ipmitool chassis power on failed \\(exit 1\\): .*Unable to establish IPMI v2 / RMCP\\+ session\\n$`));
    for (const r of [rf, ipmi]) expectNoSecret(r.stdout + r.stderr);
  });

  it("a certificate that does not match the pin is refused before anything is sent", async () => {
    const r = await power("rf-wrongpin", "off");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^provision: host rf-wrongpin \(BMC redfish https:\/\/127\.0\.0\.1:\d+, from child pxe-a\): GET \/redfish\/v1\/Systems: curl failed \(exit 90\): curl: \(90\) SSL: public key does not match pinned public key\n$/);
    expectNoSecret(r.stdout + r.stderr);
  });

  it("a BMC for a host the catalog lacks, or that no child holds, is a located stack-config error; a host without a BMC is named", async () => {
    const bad = await provision(project, ["power", "--stack", "bad", "--project", project.dir, "rf-host", "status"]);
    const file = path.join(project.dir, "stacks", "Pulumi.bad.yaml");
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    const lines = bad.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${file}:\\d+ provisioning:bmcs\\.ghost: host ghost is not in the catalog \\(known: `));
    expect(lines[1]).toMatch(new RegExp(`^${file}:\\d+ provisioning:bmcs\\.far-host: no server of the stack holds host far-host \\(it names site north\\): no child can reach its BMC$`));
    const none = await power("far-host", "status");
    expect(none.code).toBe(1);
    expect(none.stderr).toBe("provision: no BMC for host far-host in provisioning:bmcs of stack bmc (known: ipmi-host, ipmi-wrongpw, rf-byname, rf-host, rf-lab, rf-redirect, rf-wrongpin, rf-wrongpw, ssh-host)\n");
  });

  it("the stack program refuses the same BMC entries, each at its line, before any resource", async () => {
    // A catalog whose every host a child of the stack holds (the program refuses any other), and
    // BMCs for a host it lacks and through a child that does not hold the host.
    const file = path.join(project.dir, "stacks", "Pulumi.prog.yaml");
    const config = stringify({
      config: {
        "provisioning:catalog": [EXAMPLE_CATALOG, "catalog-prog"],
        "provisioning:catalogSecrets": ["root_password_hash"],
        "provisioning:servers": [{ name: "pxe-a", site: "lab", arch: ["x86_64"], profiles: [], transport: { kind: "local", root: ".children/pxe-a" }, tftpPort: 16969, httpPort: 18080 }],
        "provisioning:bmcs": {
          ghost: { kind: "ipmi", address: "127.0.0.1", user: "admin", password: { secret: "ipmi_pw" } },
          "rf-host": { kind: "ipmi", address: "127.0.0.1", user: "admin", via: "pxe-s", password: { secret: "ipmi_pw" } },
        },
      },
    });
    fs.mkdirSync(path.join(project.dir, "catalog-prog"));
    fs.writeFileSync(path.join(project.dir, "catalog-prog", "hosts.yaml"), stringify({ hosts: [{ name: "rf-host", interfaces: [{ mac: "52:54:00:00:02:01" }], profile: "web", server: "pxe-a" }] }));
    fs.writeFileSync(file, config);
    await project.ok(["stack", "init", "prog"]);
    const set = await project.run(["config", "set", "--stack", "prog", "--secret", "provisioning:root_password_hash"], { input: ROOT_PASSWORD_HASH });
    expect(set.code, set.stderr).toBe(0);
    const preview = await project.run(["preview", "--stack", "prog", "--non-interactive"]);
    expect(preview.code).not.toBe(0);
    const shown = (preview.stdout + preview.stderr).replace(/\s+/g, " ");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const lineOf = (key: string) => lines.findIndex((l) => l.trim().startsWith(`${key}:`)) + 1;
    expect(shown).toContain(`${file}:${lineOf("ghost")} provisioning:bmcs.ghost: host ghost is not in the catalog (known: `);
    expect(shown).toContain(`${file}:${lineOf("rf-host")} provisioning:bmcs.rf-host: via pxe-s: that server does not hold host rf-host (it names server pxe-a)`);
    expect(shown).not.toMatch(/create\s+provisioning:index:ProvisioningServer/);
    // Refused before the CentralServer is made: not even the component is registered.
    expect(shown).not.toMatch(/provisioning:index:CentralServer/);
  });

  it("no password was in any process's arguments, nor in a file of the child, the project or /tmp", () => {
    watch.stop();
    expect(watch.seen.size).toBeGreaterThan(50);
    // The commands did run while watched: curl and ipmitool on the child were seen.
    expect([...watch.seen].some((c) => c.startsWith("curl -q -K -"))).toBe(true);
    expect([...watch.seen].some((c) => c.startsWith("ipmitool -I lanplus"))).toBe(true);
    for (const s of secrets()) {
      expect([...watch.seen].filter((c) => c.includes(s))).toEqual([]);
      // The emulators' own configuration (vbmc keeps its password in plain text) is not the child's.
      expect(filesHolding(os.tmpdir(), s, [path.join(project.dir, "node_modules"), ...labDirs()], started)).toEqual([]);
    }
  });

  /** The fixture's own folder (its configs hold the emulators' passwords by design). */
  const labDirs = () => fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith("bmc-lab-")).map((d) => path.join(os.tmpdir(), d));
});
