// `npm run boot-demo`: a virtual machine PXE-boots the real Debian installer from a child
// provisioning server that the Pulumi program set up from stacks/catalogs/netboot.
//
//   npm run boot-demo                 up the child, then boot qemu on this terminal (Ctrl-A X quits)
//   npm run boot-demo -- --headless   up the child, boot until the installer fetches its preseed, stop
//   npm run boot-demo -- --preview    what an up would change (after an edit of the demo's catalog)
//   npm run boot-demo -- --destroy    remove the child, its stack and the demo's catalog copy
//
// The stack ("boot-demo") lives in .children/boot-demo/ (ignored by git) and uses the repo's
// stack program and state backend. Its catalog is a copy of stacks/catalogs/netboot made on the
// first run (.children/boot-demo/catalog): edit it to see an update reach the next boot. The
// child serves on 127.0.0.1 (TFTP 16911, HTTP 18091); the guest reaches it through qemu's
// user-net gateway 10.0.2.2, the address in its menus.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { NETBOOT_PAYLOAD_ROOTS } from "./netboot";

import { provisionPulumiCommand as pulumiCommand } from "../components/cli/engine";
import { packageRoot as repoRoot } from "../components/packageRoot";
import { visibleText } from "../src/util/visibleText";
const stack = "boot-demo";
const projectDir = path.join(repoRoot, ".children", "boot-demo");
const childRoot = path.join(projectDir, "child");
const catalogDir = path.join(projectDir, "catalog");
const profile = "debian12-serial";
const httpPort = Number(process.env.BOOT_DEMO_HTTP_PORT ?? 18091);
const tftpPort = Number(process.env.BOOT_DEMO_TFTP_PORT ?? 16911);
const headless = process.argv.includes("--headless");
const limitSeconds = Number(process.env.BOOT_DEMO_LIMIT_SECONDS ?? 900);

function pulumi(args: string[], input?: string): void {
  const { command, args: argv } = pulumiCommand(args);
  const result = spawnSync(command, argv, {
    cwd: projectDir,
    stdio: [input === undefined ? "ignore" : "pipe", "inherit", "inherit"],
    input,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    console.error(`boot-demo: pulumi ${args.join(" ")} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

function writeProject(): void {
  fs.mkdirSync(path.join(projectDir, "stacks"), { recursive: true });
  fs.mkdirSync(childRoot, { recursive: true });
  // The child's nginx workers (www-data) must traverse the directories above its root.
  for (const dir of [path.join(repoRoot, ".children"), projectDir, childRoot]) fs.chmodSync(dir, 0o755);
  // Copied once: later runs keep the user's edits.
  if (!fs.existsSync(catalogDir)) fs.cpSync(path.join(repoRoot, "stacks", "catalogs", "netboot"), catalogDir, { recursive: true });
  const modules = path.join(projectDir, "node_modules");
  if (!fs.existsSync(modules)) fs.symlinkSync(path.join(repoRoot, "node_modules"), modules);
  fs.writeFileSync(
    path.join(projectDir, "Pulumi.yaml"),
    stringify({ name: "provisioning", runtime: "nodejs", main: path.join(repoRoot, "dist", "stacks", "index.js"), stackConfigDir: "stacks" }),
  );
  const stackFile = path.join(projectDir, "stacks", `Pulumi.${stack}.yaml`);
  // Keep what `pulumi config set --secret` added (the encrypted secret and the salt).
  const doc = (fs.existsSync(stackFile) ? parse(fs.readFileSync(stackFile, "utf8")) : null) ?? {};
  doc.config = {
    ...doc.config,
    "provisioning:devPassphrase": true,
    "provisioning:catalog": catalogDir,
    "provisioning:catalogSecrets": ["root_password_hash"],
    "provisioning:payloadRoots": NETBOOT_PAYLOAD_ROOTS,
    "provisioning:servers": [
      {
        name: "lab-pxe",
        site: "lab",
        arch: ["x86_64"],
        profiles: [profile],
        transport: { kind: "local", root: childRoot },
        address: "10.0.2.2",
        bindAddress: "127.0.0.1",
        tftpPort,
        httpPort,
      },
    ],
  };
  fs.writeFileSync(stackFile, stringify(doc));
}

async function boot(): Promise<void> {
  const tftp = path.join(childRoot, "tftp");
  const net = ["-netdev", `user,id=n0,tftp=${tftp},bootfile=pxelinux.0`, "-device", "e1000,netdev=n0", "-boot", "n"];
  const base = ["-nographic", "-accel", "tcg", "-m", "1024", "-no-reboot", ...net];
  if (!headless) {
    console.log("\nboot-demo: booting qemu on this terminal (serial console). Quit with Ctrl-A X.\n");
    const vm = spawn("qemu-system-x86_64", [...base, "-serial", "mon:stdio"], { stdio: "inherit" });
    await new Promise((r) => vm.once("exit", r));
    return;
  }
  const serialLog = path.join(projectDir, "serial.log");
  const accessLog = path.join(childRoot, "log", "http-access.log");
  const offset = fs.existsSync(accessLog) ? fs.statSync(accessLog).size : 0;
  const vm = spawn("qemu-system-x86_64", [...base, "-serial", `file:${serialLog}`, "-monitor", "none"], { stdio: "ignore" });
  const t0 = Date.now();
  console.log(`\nboot-demo: qemu booting headless, serial console in ${serialLog}`);
  try {
    for (;;) {
      const lines = fs.existsSync(accessLog) ? fs.readFileSync(accessLog, "utf8").slice(offset).split("\n") : [];
      const hit = lines.find((l) => l.includes(`"GET /autoinstall/${profile}.cfg `));
      if (hit) {
        console.log(`boot-demo: after ${Math.round((Date.now() - t0) / 1000)} s the installer fetched its preseed (nginx: address [time] "request" status bytes "agent"):\n  ${visibleText(hit)}`);
        const rel = `http/autoinstall/${profile}.cfg`;
        const entry = (JSON.parse(fs.readFileSync(path.join(childRoot, "manifest.json"), "utf8")) as { files: { path: string; sha256: string; size: number }[] }).files.find((f) => f.path === rel);
        const served = createHash("sha256").update(fs.readFileSync(path.join(childRoot, rel))).digest("hex");
        console.log(`boot-demo: manifest.json says ${rel} is ${entry?.size} bytes, sha256 ${entry?.sha256}`);
        console.log(`boot-demo: the child holds sha256 ${served}`);
        return;
      }
      if (Date.now() - t0 > limitSeconds * 1000) {
        console.error(`boot-demo: no fetch after ${limitSeconds} s; serial log tail:`);
        // The guest's console: its colour codes dropped, anything else it sends shown, not acted on.
        const tail = fs.readFileSync(serialLog, "latin1").replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").split("\n").filter((l) => l.trim()).slice(-20);
        console.error(tail.map((l) => visibleText(l.replace(/\r$/, ""))).join("\n"));
        process.exitCode = 1;
        return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    vm.kill("SIGKILL");
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--destroy")) {
    if (!fs.existsSync(projectDir)) return;
    pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack]);
    pulumi(["stack", "rm", "--yes", stack]);
    fs.rmSync(projectDir, { recursive: true, force: true });
    return;
  }
  writeProject();
  pulumi(["stack", "select", "--create", stack]);
  // "!" is a locked root password: the demo machine never gets a usable root login.
  pulumi(["config", "set", "--secret", "--stack", stack, "provisioning:root_password_hash"], process.env.BOOT_DEMO_ROOT_PASSWORD_HASH ?? "!");
  if (process.argv.includes("--preview")) {
    pulumi(["preview", "--diff", "--stack", stack]);
    return;
  }
  pulumi(["up", "--yes", "--skip-preview", "--refresh", "--suppress-outputs", "--stack", stack]);
  console.log(`\nboot-demo: child lab-pxe serves ${childRoot}/tftp (TFTP ${tftpPort}) and ${childRoot}/http (HTTP http://127.0.0.1:${httpPort}/)`);
  console.log(`boot-demo: nginx access log: ${childRoot}/log/http-access.log`);
  await boot();
}

void main();
