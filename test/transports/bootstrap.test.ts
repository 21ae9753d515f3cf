import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
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

  // A URL of the handler's with a token: 404 from the handler (no such host here), 502 without one.
  const TOKEN = "Tk9UQVRPS0VOX2J1dF9zaGFwZWRfbGlrZV9vbmVfXzQz";
  const HOST_URL = `hosts/web-07/${TOKEN}/autoinstall.cfg`;
  /** The handler's answer, waited for a moment: fcgiwrap binds its socket just after it starts. */
  const handlerStatus = async (port: number): Promise<number> => {
    let status = 0;
    for (let i = 0; i < 30; i++) {
      status = await httpStatus(port, HOST_URL);
      if (status === 404) return status;
      await new Promise((r) => setTimeout(r, 100));
    }
    return status;
  };
  /** The handler's process and its workers (fcgiwrap forks them). */
  const handlerProcesses = (root: string): number[] => {
    const pid = pidIn(root, "handler");
    const ppidOf = (p: string) => {
      try {
        return Number(readFileSync(`/proc/${p}/stat`, "utf8").replace(/.*\) /s, "").split(" ")[1]);
      } catch {
        return 0;
      }
    };
    return [pid, ...readdirSync("/proc").filter((p) => /^\d+$/.test(p) && ppidOf(p) === pid).map(Number)];
  };
  /** A crash: the handler and its workers die at once, and its socket stays. */
  const killHandler = async (root: string) => {
    const all = handlerProcesses(root);
    expect(all.length).toBeGreaterThan(1);
    for (const p of all) process.kill(p, "SIGKILL");
    for (let i = 0; i < 50 && all.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    expect(all.filter(alive)).toEqual([]);
  };

  it("the handler serves again over the socket fcgiwrap left: after a kill, a new release of its script, and a start as systemd makes it", async () => {
    const env = bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort });
    expect((await c.transport.runScript(BOOTSTRAP_SCRIPT, env)).code).toBe(0);
    expect(await handlerStatus(c.httpPort)).toBe(404);
    const socket = path.join(c.root, "run/handler/fcgiwrap.sock");

    // Killed: the socket stays; the next bootstrap starts it again.
    await killHandler(c.root);
    expect(statSync(socket).isSocket()).toBe(true);
    const afterKill = await c.transport.runScript(BOOTSTRAP_SCRIPT, env);
    expect(afterKill.code, afterKill.stderr).toBe(0);
    expect(await handlerStatus(c.httpPort)).toBe(404);

    // A release that changes the handler's script restarts the running handler (SIGTERM leaves the socket).
    const running = handlerProcesses(c.root);
    const release = BOOTSTRAP_SCRIPT.replace("\nHOSTHANDLER\n", "\n# another release\nHOSTHANDLER\n");
    expect(release).not.toBe(BOOTSTRAP_SCRIPT);
    const upgraded = await c.transport.runScript(release, env);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stderr).toMatch(/handler: configuration changed, restarting/);
    // Its workers went with it.
    expect(running.filter(alive)).toEqual([]);
    expect(await handlerStatus(c.httpPort)).toBe(404);

    // systemd starts the unit's command again after a crash, with no bootstrap in between.
    await killHandler(c.root);
    expect(statSync(socket).isSocket()).toBe(true);
    const unitCommand = readFileSync(path.join(c.root, "etc/handler-start.sh"), "utf8");
    expect(unitCommand).toContain(`rm -f ${socket}`);
    const restarted = spawnSync("start-stop-daemon", ["--start", "--quiet", "--background", "--make-pidfile", "--pidfile", path.join(c.root, "run/handler.pid"), "--chuid", String(statSync(path.join(c.root, "run/handler")).uid), "--exec", unitCommand.match(/exec (\S+)/)![1]!, "--startas", path.join(c.root, "etc/handler-start.sh")]);
    expect(restarted.status, restarted.stderr.toString()).toBe(0);
    expect(await handlerStatus(c.httpPort)).toBe(404);

    // Stopped, its workers and its socket go with it.
    const last = handlerProcesses(c.root);
    expect((await c.transport.runScript(STOP_SERVICES_SCRIPT, { ROOT: c.root })).code).toBe(0);
    expect(last.filter(alive)).toEqual([]);
    expect(existsSync(socket)).toBe(false);
  });

  it("a host's token reaches no log of the child, even when the handler is down", async () => {
    const env = bootstrapEnv({ root: c.root, tftpPort: c.tftpPort, httpPort: c.httpPort });
    expect((await c.transport.runScript(BOOTSTRAP_SCRIPT, env)).code).toBe(0);
    expect(await handlerStatus(c.httpPort)).toBe(404);
    await killHandler(c.root);
    for (const url of [HOST_URL, `hosts/web-07/${TOKEN}/files/motd`, `hosts/web-07/${TOKEN}`]) expect(await httpStatus(c.httpPort, url)).toBe(502);
    // The socket gone too: nginx cannot connect at all.
    rmSync(path.join(c.root, "run/handler/fcgiwrap.sock"), { force: true });
    expect(await httpStatus(c.httpPort, HOST_URL)).toBe(502);
    const logs = readdirSync(path.join(c.root, "log")).map((f) => [f, readFileSync(path.join(c.root, "log", f), "utf8")] as const);
    expect(logs.map(([f]) => f)).toEqual(expect.arrayContaining(["http-access.log", "nginx-error.log"]));
    expect(logs.find(([f]) => f === "http-access.log")![1]).toContain("GET /hosts/web-07/[token]/autoinstall.cfg");
    for (const [f, text] of logs) expect(text.includes(TOKEN), `${f} holds the token`).toBe(false);
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
