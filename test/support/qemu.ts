// A PXE client under software emulation: qemu-system-x86_64 (TCG, no KVM needed) with an e1000
// NIC. Either on qemu's user-mode network, whose built-in TFTP server serves a child's `tftp/`
// directory (the guest reaches the host's loopback through the gateway 10.0.2.2), or on a real
// segment: a tap device on a bridge in a network namespace, where the child's own DHCP, TFTP and
// HTTP daemons answer. Firmware: SeaBIOS with the NIC's iPXE ROM (BIOS), OVMF (UEFI), or OVMF
// with Microsoft's keys enrolled (Secure Boot, which needs SMM and a q35 machine).
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
  /** Directory qemu's TFTP server serves (a child's `<root>/tftp`), for user-mode networking. */
  readonly tftpRoot?: string;
  /** A tap device in a network namespace (created and bridged already), instead of user-mode networking. */
  readonly tap?: { readonly netns: string; readonly device: string; readonly mac: string };
  /** @default "bios" */
  readonly firmware?: "bios" | "uefi" | "secureboot";
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
  if (/[,\s]/.test(`${opts.tftpRoot ?? ""}${bootFile}${opts.workDir}`)) throw new Error(`qemu cannot take paths with commas or spaces: ${opts.tftpRoot} ${opts.workDir}`);
  const firmware = opts.firmware ?? "bios";
  const netdev = opts.tap ? `tap,id=n0,ifname=${opts.tap.device},script=no,downscript=no` : `user,id=n0,tftp=${opts.tftpRoot},bootfile=${bootFile}`;
  const nic = `e1000,netdev=n0${opts.tap ? `,mac=${opts.tap.mac}` : ""}${firmware === "bios" ? "" : ",bootindex=1"}`;
  const firmwareArgs: string[] = [];
  if (firmware !== "bios") {
    // Each VM its own copy of the variable store (the firmware writes boot entries into it).
    const vars = path.join(opts.workDir, `${name}-OVMF_VARS.fd`);
    fs.copyFileSync(firmware === "secureboot" ? "/usr/share/OVMF/OVMF_VARS_4M.ms.fd" : "/usr/share/OVMF/OVMF_VARS_4M.fd", vars);
    const code = firmware === "secureboot" ? "/usr/share/OVMF/OVMF_CODE_4M.ms.fd" : "/usr/share/OVMF/OVMF_CODE_4M.fd";
    if (firmware === "secureboot") firmwareArgs.push("-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on");
    firmwareArgs.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${code}`, "-drive", `if=pflash,format=raw,unit=1,file=${vars}`);
  }
  const args = [
    "-nographic",
    "-accel", "tcg",
    "-m", String(opts.memoryMb ?? 1024),
    ...firmwareArgs,
    "-serial", `file:${serialLog}`,
    "-monitor", "none",
    "-no-reboot",
    "-netdev", netdev,
    "-device", nic,
    ...(firmware === "bios" ? ["-boot", "n"] : []),
  ];
  const command = opts.tap ? ["ip", ["netns", "exec", opts.tap.netns, "qemu-system-x86_64", ...args]] as const : (["qemu-system-x86_64", args] as const);
  const child = spawn(command[0], command[1], { stdio: ["ignore", out, out] });
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
