// A PXE client under software emulation: qemu-system-x86_64 (TCG, no KVM needed) with an e1000
// NIC whose option ROM (ipxe-qemu) PXE-boots from qemu's user-mode network. That network's
// built-in TFTP server serves a child's `tftp/` directory, and the guest reaches the host's
// loopback through the gateway 10.0.2.2 — so a child bound to 127.0.0.1 and rendered with
// address 10.0.2.2 is what the guest sees as its provisioning server.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Where a user-mode guest reaches the host's 127.0.0.1. */
export const USER_NET_GATEWAY = "10.0.2.2";

export interface PxeVm {
  readonly serialLog: string;
  /** Last `lines` lines of the serial console, terminal escapes removed. */
  serialTail(lines?: number): string;
  /** The serial console so far, terminal escapes removed. */
  serialText(): string;
  /** Kills qemu and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

export interface PxeVmOptions {
  /** Directory qemu's TFTP server serves (a child's `<root>/tftp`). */
  readonly tftpRoot: string;
  /** Where the serial log (and qemu's own output) go. */
  readonly workDir: string;
  /** @default "pxelinux.0" */
  readonly bootFile?: string;
  /** The Debian 12 installer needs more than 512 MiB to stay out of its low-memory mode. @default 1024 */
  readonly memoryMb?: number;
  /** Distinguishes the logs of several boots in one workDir. @default "boot" */
  readonly name?: string;
}

const running = new Set<ChildProcess>();
// A test run that dies mid-boot must not leave an emulator spinning on the CI machine.
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

/** Strips ANSI/VT100 sequences and carriage returns: the installer draws a text UI on ttyS0. */
export function plainText(raw: string): string {
  return raw
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "")
    .replace(/\x1b[()][0-9A-Za-z]/g, "")
    .replace(/\x1b[=>78cDEHM]/g, "")
    .replace(/\r/g, "");
}

export function startPxeVm(opts: PxeVmOptions): PxeVm {
  const name = opts.name ?? "boot";
  const serialLog = path.join(opts.workDir, `${name}-serial.log`);
  const qemuLog = path.join(opts.workDir, `${name}-qemu.log`);
  fs.writeFileSync(serialLog, "");
  const out = fs.openSync(qemuLog, "w");
  const bootFile = opts.bootFile ?? "pxelinux.0";
  // Option values are comma-separated lists for qemu: a comma in a path would split it.
  if (/[,\s]/.test(opts.tftpRoot + bootFile)) throw new Error(`qemu cannot take a TFTP root or boot file with commas or spaces: ${opts.tftpRoot}`);
  const args = [
    "-nographic",
    "-accel", "tcg",
    "-m", String(opts.memoryMb ?? 1024),
    "-serial", `file:${serialLog}`,
    "-monitor", "none",
    "-no-reboot",
    "-netdev", `user,id=n0,tftp=${opts.tftpRoot},bootfile=${bootFile}`,
    "-device", "e1000,netdev=n0",
    "-boot", "n",
  ];
  const child = spawn("qemu-system-x86_64", args, { stdio: ["ignore", out, out] });
  fs.closeSync(out);
  running.add(child);
  let exited = false;
  const done = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      running.delete(child);
      resolve();
    });
    child.once("error", () => {
      exited = true;
      running.delete(child);
      resolve();
    });
  });

  const serialText = () => plainText(fs.readFileSync(serialLog, "latin1"));
  return {
    serialLog,
    serialText,
    serialTail(lines = 40) {
      const text = serialText()
        .split("\n")
        .map((l) => l.trimEnd())
        .filter((l) => l.length > 0)
        // The boot menu redraws itself on one line: keep a failure message readable.
        .map((l) => (l.length > 240 ? `${l.slice(0, 240)} …` : l));
      const qemu = fs.readFileSync(qemuLog, "utf8").trim();
      return [...text.slice(-lines), ...(qemu ? [`[qemu] ${qemu.split("\n").slice(-5).join("\n[qemu] ")}`] : [])].join("\n");
    },
    async stop() {
      if (!exited) child.kill("SIGKILL");
      await done;
    },
  };
}

/**
 * Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes; then fails with
 * `describe()` (e.g. the serial log tail), so a boot that stalls says where it stalled.
 */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, opts: { timeoutMs: number; intervalMs?: number; what: string; describe: () => string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${opts.what}\n--- last output ---\n${opts.describe()}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
}

/** The version string a bzImage carries in its setup header (`6.1.0-… (debian-kernel@…) #1 SMP …`). */
export function kernelVersionOf(bzImage: string): string {
  const b = fs.readFileSync(bzImage);
  if (b.toString("latin1", 0x202, 0x206) !== "HdrS") throw new Error(`${bzImage} is not a bzImage (no HdrS header)`);
  const at = b.readUInt16LE(0x20e) + 0x200;
  return b.toString("latin1", at, b.indexOf(0, at));
}
