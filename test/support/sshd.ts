import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freeTcpPort, waitForTcpPort } from "./ports";
import { descendants } from "./processes";

/**
 * Test fixture: N real OpenSSH servers (Debian openssh-server, see .ci/install-debian-packages)
 * on 127.0.0.1, each on a free port with its own host key, all accepting one generated client
 * key for root, each child with its own fresh root directory.
 */
export interface SshChild {
  name: string;
  host: string;
  port: number;
  user: "root";
  /** OpenSSH private key text of the client key (shared by all children). */
  privateKey: string;
  /** Public host key line without host part: "ssh-ed25519 AAAA… comment". */
  hostKey: string;
  /** A fresh temp directory: the child's root. */
  root: string;
  /** Every port this sshd listens on (`port` first; more with `extraPorts`). */
  ports: number[];
}

export interface SshChildren {
  children: SshChild[];
  /** A second client key every child also accepts (for key rotation). */
  otherPrivateKey: string;
  /** Stops every sshd and removes the temp dirs (roots too unless keepRoots). */
  stop(): Promise<void>;
  /** Takes one child off the network: its sshd and every session it serves are killed. */
  stopChild(name: string): Promise<void>;
  /** Brings a stopped child back: the same sshd (port, host key, config) again. */
  startChild(name: string): Promise<void>;
}

export interface StartSshChildrenOptions {
  /** Child name prefix (default "child"): names are prefix-1, prefix-2, … */
  namePrefix?: string;
  /** Keep the roots on stop() (default false). */
  keepRoots?: boolean;
  /** Max wait for each sshd to accept connections. */
  startTimeoutMs?: number;
  /** More ports each sshd listens on: the same child reached another way. @default 0 */
  extraPorts?: number;
  /** Run each sshd in this network namespace (a child on a test segment). @default - the host's */
  netns?: string;
  /** The address each sshd listens on. @default "127.0.0.1" */
  address?: string;
}

const SSHD = "/usr/sbin/sshd";
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const p of live) {
      try {
        p.kill("SIGKILL");
      } catch {
        /* already gone */
      }
    }
  });
}

function keygen(file: string, comment: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], { stdio: "ignore" });
}

export async function startSshChildren(n: number, opts: StartSshChildrenOptions = {}): Promise<SshChildren> {
  installExitHook();
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
  const base = mkdtempSync(path.join(os.tmpdir(), "sshd-fixture-"));
  const address = opts.address ?? "127.0.0.1";
  const clientKey = path.join(base, "client_ed25519");
  keygen(clientKey, "provisioning-test-client");
  const privateKey = readFileSync(clientKey, "utf8");
  const otherKey = path.join(base, "client2_ed25519");
  keygen(otherKey, "provisioning-test-client-2");
  const authorizedKeys = path.join(base, "authorized_keys");
  writeFileSync(authorizedKeys, Buffer.concat([readFileSync(clientKey + ".pub"), readFileSync(otherKey + ".pub")]), { mode: 0o600 });

  const procs: ChildProcess[] = [];
  const children: SshChild[] = [];
  const roots: string[] = [];
  const configs = new Map<string, { config: string; port: number }>();
  const running = new Map<string, ChildProcess>();

  /** Starts the child's sshd from its config and waits until it accepts connections. */
  const launch = async (name: string): Promise<void> => {
    const { config, port } = configs.get(name)!;
    const command = opts.netns ? ["ip", ["netns", "exec", opts.netns, SSHD, "-D", "-e", "-f", config]] as const : ([SSHD, ["-D", "-e", "-f", config]] as const);
    const p = spawn(command[0], command[1], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
    });
    procs.push(p);
    live.add(p);
    running.set(name, p);
    p.once("exit", () => live.delete(p));
    try {
      await Promise.race([
        waitForTcpPort(port, address, opts.startTimeoutMs ?? 10_000),
        new Promise<never>((_, reject) =>
          p.once("exit", (code) => reject(new Error(`sshd for ${name} exited with ${code}: ${stderr.trim()}`))),
        ),
      ]);
    } catch (err) {
      throw new Error(`starting sshd for ${name} on port ${port} failed: ${(err as Error).message} ${stderr.trim()}`);
    }
  };
  const stop = async (): Promise<void> => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) {
              live.delete(p);
              resolve();
              return;
            }
            const t = setTimeout(() => p.kill("SIGKILL"), 3000);
            p.once("exit", () => {
              clearTimeout(t);
              live.delete(p);
              resolve();
            });
            p.kill("SIGTERM");
          }),
      ),
    );
    rmSync(base, { recursive: true, force: true });
    if (!opts.keepRoots) for (const r of roots) rmSync(r, { recursive: true, force: true });
  };

  try {
    for (let i = 1; i <= n; i++) {
      const name = `${opts.namePrefix ?? "child"}-${i}`;
      const dir = path.join(base, name);
      mkdirSync(dir);
      const hostKeyFile = path.join(dir, "ssh_host_ed25519_key");
      keygen(hostKeyFile, name);
      const hostKey = readFileSync(hostKeyFile + ".pub", "utf8").trim();
      const port = await freeTcpPort();
      const ports = [port];
      for (let k = 0; k < (opts.extraPorts ?? 0); k++) ports.push(await freeTcpPort());
      const config = path.join(dir, "sshd_config");
      const home = path.join(dir, "home");
      mkdirSync(home);
      writeFileSync(
        config,
        [
          ...ports.map((p) => `ListenAddress ${address}:${p}`),
          `HostKey ${hostKeyFile}`,
          `AuthorizedKeysFile ${authorizedKeys}`,
          "PermitRootLogin prohibit-password",
          "PubkeyAuthentication yes",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "StrictModes no",
          "UsePAM no",
          `PidFile ${path.join(dir, "sshd.pid")}`,
          "MaxSessions 32",
          "MaxStartups 64:30:128",
          "LogLevel ERROR",
          "Subsystem sftp internal-sftp",
          // A provisioning server's account has no developer shell setup, so the child's commands
          // must not run this machine's ~/.bashrc (bash sources it for every ssh command; on a
          // development machine it may start pyenv or similar, seconds per command under load).
          `SetEnv HOME=${home}`,
          "",
        ].join("\n"),
      );
      const root = mkdtempSync(path.join(os.tmpdir(), `child-root-${name}-`));
      roots.push(root);
      configs.set(name, { config, port });
      await launch(name);
      children.push({ name, host: address, port, user: "root", privateKey, hostKey, root, ports });
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const stopChild = async (name: string): Promise<void> => {
    const p = running.get(name);
    if (!p) throw new Error(`no running sshd for ${name}`);
    running.delete(name);
    // The listener and the sessions it forked: a machine that is gone drops its connections too.
    for (const pid of [p.pid!, ...descendants(p.pid!)]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    if (p.exitCode === null && p.signalCode === null) await new Promise((resolve) => p.once("exit", resolve));
  };
  const startChild = async (name: string): Promise<void> => {
    if (running.has(name)) throw new Error(`sshd for ${name} is already running`);
    await launch(name);
  };
  return { children, otherPrivateKey: readFileSync(otherKey, "utf8"), stop, stopChild, startChild };
}
