import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_SCRIPT, bootstrapEnv, STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { LocalTransport } from "../../components/transports/local";
import { SshTransport } from "../../components/transports/ssh";
import type { Transport } from "../../components/transports/transport";
import { httpGet, httpStatus } from "../support/http";
import { freePort, freeTcpPort } from "../support/ports";
import { startSshChildren, type SshChildren } from "../support/sshd";
import { tftpGet, tryTftpGet } from "../support/tftp";
import { sha } from "./contract";

interface Child {
  name: string;
  transport: Transport;
  root: string;
  tftpPort: number;
  httpPort: number;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidIn = (root: string, name: string): number => Number(readFileSync(path.join(root, "run", `${name}.pid`), "utf8").trim());

/** Runs the whole bootstrap lifecycle against one child. */
async function lifecycle(c: Child): Promise<void> {
  const env = bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort });
  const first = await c.transport.runScript(BOOTSTRAP_SCRIPT, env);
  expect(first.stderr + first.stdout).toMatch(/serving/);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toBe(`serving tftp://127.0.0.1:${c.tftpPort} and http://127.0.0.1:${c.httpPort} from ${c.root}\n`);
  for (const d of ["tftp", "http", "run", "log", "etc"]) expect(statSync(path.join(c.root, d)).isDirectory()).toBe(true);

  const x = Buffer.from(`default menu of ${c.name}\n`);
  const y = Buffer.from(`#kickstart for ${c.name}\n`);
  await c.transport.writeFile("tftp/pxelinux.cfg/x", x, sha(x), "0644");
  await c.transport.writeFile("http/autoinstall/y.cfg", y, sha(y), "0644");
  expect(await tftpGet(c.tftpPort, "pxelinux.cfg/x")).toEqual(x);
  expect(await httpGet(c.httpPort, "autoinstall/y.cfg")).toEqual(y);
  expect(await httpStatus(c.httpPort, "autoinstall/missing.cfg")).toBe(404);
  expect((await tryTftpGet(c.tftpPort, "../etc/passwd")).code).not.toBe(0); // --secure chroot

  // access log: one parseable line per request with request line, status and bytes
  const log = readFileSync(path.join(c.root, "log/http-access.log"), "utf8");
  expect(log).toContain(`"GET /autoinstall/y.cfg HTTP/1.1" 200 ${y.length} "curl/`);
  expect(log).toMatch(/"GET \/autoinstall\/missing\.cfg HTTP\/1\.1" 404 \d+/);

  // idempotent second run: same processes, config untouched
  const nginxPid = pidIn(c.root, "nginx");
  const tftpdPid = pidIn(c.root, "tftpd");
  // The build-mode handler (fcgiwrap) runs behind nginx: a host that is not armed here is not found.
  const handlerPid = pidIn(c.root, "handler");
  expect(alive(handlerPid)).toBe(true);
  expect(await httpStatus(c.httpPort, "hosts/web-07/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/autoinstall.cfg")).toBe(404);
  const confMtime = statSync(path.join(c.root, "etc/nginx.conf")).mtimeMs;
  const second = await c.transport.runScript(BOOTSTRAP_SCRIPT, env);
  expect(second.code, second.stderr).toBe(0);
  expect(second.stdout).toBe(first.stdout);
  expect(second.stderr).toMatch(/nginx: running .* unchanged/);
  expect(second.stderr).toMatch(/tftpd: running .* unchanged/);
  expect(second.stderr).toMatch(/handler: running .* unchanged/);
  expect(pidIn(c.root, "handler")).toBe(handlerPid);
  expect(pidIn(c.root, "nginx")).toBe(nginxPid);
  expect(pidIn(c.root, "tftpd")).toBe(tftpdPid);
  expect(statSync(path.join(c.root, "etc/nginx.conf")).mtimeMs).toBe(confMtime);
  expect(await httpGet(c.httpPort, "autoinstall/y.cfg")).toEqual(y);

  // stop
  const stop = await c.transport.runScript(STOP_SERVICES_SCRIPT, { ROOT: c.root });
  expect(stop.code, stop.stderr).toBe(0);
  expect(stop.stdout).toMatch(/stopped nginx\(\d+\) tftpd\(\d+\)/);
  expect(alive(nginxPid)).toBe(false);
  expect(alive(tftpdPid)).toBe(false);
  expect(alive(handlerPid)).toBe(false);
  expect(stop.stdout).toMatch(/ handler\(\d+\)/);
  expect(await httpStatus(c.httpPort, "autoinstall/y.cfg")).toBe(0);
  const again = await c.transport.runScript(STOP_SERVICES_SCRIPT, { ROOT: c.root });
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/stopped nothing/);
}

describe("bootstrap over the local transport", () => {
  let c: Child;
  beforeAll(async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "bootstrap-local-"));
    c = {
      name: "local-1",
      transport: new LocalTransport(root, { serverName: "local-1" }),
      root,
      tftpPort: await freePort({ tcp: true, udp: true }),
      httpPort: await freeTcpPort(),
    };
  });
  afterAll(async () => {
    await c.transport.runScript(STOP_SERVICES_SCRIPT, { ROOT: c.root });
    rmSync(c.root, { recursive: true, force: true });
  });

  it("serves tftp/ and http/, is idempotent, logs, stops", async () => {
    await lifecycle(c);
  });

  it("restarts a daemon whose configuration changed (new ports)", async () => {
    const env = bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort });
    expect((await c.transport.runScript(BOOTSTRAP_SCRIPT, env)).code).toBe(0);
    const nginxPid = pidIn(c.root, "nginx");
    const tftpdPid = pidIn(c.root, "tftpd");
    const newHttp = await freeTcpPort();
    const newTftp = await freePort({ tcp: true, udp: true });
    const r = await c.transport.runScript(BOOTSTRAP_SCRIPT, { ...env, HTTP_PORT: String(newHttp), TFTP_PORT: String(newTftp) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nginx: configuration changed, restarting/);
    expect(r.stderr).toMatch(/tftpd: configuration changed, restarting/);
    expect(alive(nginxPid)).toBe(false);
    expect(alive(tftpdPid)).toBe(false);
    expect(await httpGet(newHttp, "autoinstall/y.cfg")).toEqual(Buffer.from("#kickstart for local-1\n"));
    expect(await tftpGet(newTftp, "pxelinux.cfg/x")).toEqual(Buffer.from("default menu of local-1\n"));
    expect(await httpStatus(c.httpPort, "autoinstall/y.cfg")).toBe(0);
    expect((await c.transport.runScript(STOP_SERVICES_SCRIPT, { ROOT: c.root })).code).toBe(0);
  });

  it("refuses bad parameters with a clear message and starts nothing", async () => {
    const base = bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...base, ROOT: "" }, /ROOT is required/],
      [{ ...base, ROOT: "relative/dir" }, /ROOT must be an absolute path/],
      [{ ...base, ROOT: "/tmp/x; touch /tmp/pwned" }, /ROOT contains characters/],
      [{ ...base, ROOT: "/tmp/../etc" }, /'\.\.' segments/],
      [{ ...base, HTTP_PORT: "80; id" }, /HTTP_PORT must be a number/],
      [{ ...base, TFTP_PORT: "70000" }, /TFTP_PORT must be in 1\.\.65535/],
      [{ ...base, BIND_ADDRESS: "0.0.0.0; id" }, /BIND_ADDRESS must be/],
      [{ ...base, INSTALL: "yes" }, /INSTALL must be 0 or 1/],
      [{ ...base, BMC_TOOLS: "curl wget" }, /BMC_TOOLS may name curl and ipmitool, got 'wget'/],
      [{ ...base, BMC_TOOLS: "curl;id" }, /BMC_TOOLS may name curl and ipmitool, got 'curl;id'/],
    ];
    for (const [env, re] of cases) {
      const r = await c.transport.runScript(BOOTSTRAP_SCRIPT, env);
      expect(r.code, JSON.stringify(env)).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stdout).toBe("");
    }
  });

  it("without the daemons and INSTALL=0 it fails naming the missing program", async () => {
    // Hide the daemons by running with a PATH whose sbin dirs are shadowed: the script appends
    // the standard sbin dirs, so instead we point it at a copy of the script that looks up a
    // program name that does not exist (same code path as a bare child).
    const script = BOOTSTRAP_SCRIPT.replace("TFTPD=$(find_prog in.tftpd)", "TFTPD=$(find_prog in.tftpd-not-installed)");
    const r = await c.transport.runScript(script, { ...bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort }), INSTALL: "0" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing program\(s\): in\.tftpd \(Debian package\(s\): tftpd-hpa\); install them or run with INSTALL=1/);
  });

  it("a child acting for BMCs needs their programs: missing ones are named, and installed like the daemons", async () => {
    // As above: the lookup of the BMC tools finds nothing, as on a bare child.
    const script = BOOTSTRAP_SCRIPT.replace('find_prog "$tool")', 'find_prog "$tool-not-installed")');
    expect(script).not.toBe(BOOTSTRAP_SCRIPT);
    const env = { ...bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort, bmcTools: ["curl", "ipmitool"] }), INSTALL: "0" };
    expect((env as Record<string, string>).BMC_TOOLS).toBe("curl ipmitool");
    const r = await c.transport.runScript(script, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing program\(s\): curl ipmitool \(Debian package\(s\): curl ipmitool\); install them or run with INSTALL=1/);
    // Without BMCs nothing is asked of them.
    expect(bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort })).not.toHaveProperty("BMC_TOOLS");
  });
});

describe("bootstrap over ssh on two children with different ports", () => {
  let fleet: SshChildren;
  const children: Child[] = [];
  beforeAll(async () => {
    fleet = await startSshChildren(2, { namePrefix: "pxe" });
    for (const s of fleet.children) {
      children.push({
        name: s.name,
        root: s.root,
        tftpPort: await freePort({ tcp: true, udp: true }),
        httpPort: await freeTcpPort(),
        transport: new SshTransport({ serverName: s.name, host: s.host, port: s.port, user: s.user, privateKey: s.privateKey, hostKeys: [s.hostKey], root: s.root, connectTimeoutMs: 10_000 }),
      });
    }
  });
  afterAll(async () => {
    for (const c of children) {
      await c.transport.runScript(STOP_SERVICES_SCRIPT, { ROOT: c.root }).catch(() => undefined);
      await c.transport.close();
    }
    await fleet?.stop();
  });

  it("both children serve their own trees on their own ports, concurrently", async () => {
    expect(children[0].tftpPort).not.toBe(children[1].tftpPort);
    expect(children[0].httpPort).not.toBe(children[1].httpPort);
    await Promise.all(children.map((c) => lifecycle(c)));
  });
});
