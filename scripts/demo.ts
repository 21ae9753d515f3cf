// `npm start`: brings up the dev stack (the embedded default: three local children) with the real
// engine, then prints what each child holds and proves it serves it over TFTP and HTTP, and that
// every figure it prints is what the child holds. `npm stop` (`--stop`) takes it down again.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { parse } from "yaml";
import { provisionPulumiCommand } from "../components/cli/engine";
import { packageRoot as repoRoot } from "../components/packageRoot";
import { STOP_SERVICES_SCRIPT } from "../components/scripts";
import { runShScript } from "../components/transports/local";

const stack = process.env.PROVISIONING_STACK ?? "dev";
const stackFile = path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`);

function pulumi(args: string[], opts: { capture?: boolean; allowFailure?: boolean } = {}): { code: number; stdout: string } {
  const { command, args: argv } = provisionPulumiCommand(args);
  const result = spawnSync(command, argv, { cwd: repoRoot, stdio: opts.capture ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8" });
  if (result.status !== 0 && !opts.allowFailure) {
    console.error(`demo: pulumi ${args.join(" ")} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
  return { code: result.status ?? 1, stdout: result.stdout ?? "" };
}

interface DemoServer {
  name: string;
  tftpPort: number;
  httpPort: number;
  transport: { kind: string; root: string };
}

const servers = (): DemoServer[] => (parse(fs.readFileSync(stackFile, "utf8")) as { config: Record<string, DemoServer[]> }).config["provisioning:servers"]!;
const rootOf = (s: DemoServer) => path.resolve(repoRoot, s.transport.root);

function portFree(port: number, kind: "tcp" | "udp"): Promise<boolean> {
  return new Promise((resolve) => {
    if (kind === "tcp") {
      const srv = net.createServer().once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sock = (require("node:dgram") as typeof import("node:dgram")).createSocket("udp4").once("error", () => resolve(false));
      sock.bind(port, "127.0.0.1", () => sock.close(() => resolve(true)));
    }
  });
}

/** Whether this checkout's own daemons hold the port (a second `npm start` just converges). */
const ownDaemonsRun = (s: DemoServer) => ["nginx", "tftpd"].every((d) => fs.existsSync(path.join(rootOf(s), "run", `${d}.pid`)));

async function checkPorts(): Promise<void> {
  const busy: string[] = [];
  for (const s of servers()) {
    if (ownDaemonsRun(s)) continue;
    if (!(await portFree(s.httpPort, "tcp"))) busy.push(`HTTP ${s.httpPort} (${s.name})`);
    if (!(await portFree(s.tftpPort, "udp"))) busy.push(`TFTP ${s.tftpPort} (${s.name})`);
  }
  if (busy.length > 0) {
    console.error(`demo: ports of the demo are taken by another program: ${busy.join(", ")}.`);
    console.error("demo: is the demo of another checkout running? Stop it there with `npm stop`, then run `npm start` again.");
    process.exit(1);
  }
}

function fetchOver(url: string): Buffer | undefined {
  const result = spawnSync("curl", ["-sf", "--max-time", "5", "-o", "-", url], { encoding: "buffer" });
  return result.status === 0 ? result.stdout : undefined;
}

interface Summary {
  files: number;
  manifestSha256: string;
  profiles: string[];
  hosts: { name: string; macs: string[] }[];
  tftpUrl: string;
  httpUrl: string;
}

async function start(): Promise<void> {
  await checkPorts();
  pulumi(["stack", "select", "--create", stack]);
  // --refresh: a child whose daemons stopped (reboot, new session) or whose files were edited by
  // hand is put back as the catalog says.
  pulumi(["up", "--yes", "--skip-preview", "--refresh", "--suppress-outputs", "--stack", stack]);
  const out = JSON.parse(pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack, "provisioningServers"], { capture: true }).stdout) as Record<string, Summary>;

  console.log("\nWhat each child provisioning server holds, and where it serves it:\n");
  for (const s of servers()) {
    const summary = out[s.name]!;
    const menu = fetchOver(`${summary.tftpUrl}pxelinux.cfg/default`);
    const first = summary.profiles[0];
    const ks = first !== undefined ? fetchOver(`${summary.httpUrl}autoinstall/${first}.cfg`) : undefined;
    const onChild = createHash("sha256").update(fs.readFileSync(path.join(rootOf(s), "manifest.json"))).digest("hex");
    console.log(s.name);
    console.log(`  profiles served : ${summary.profiles.join(", ") || "(none)"}`);
    for (const h of summary.hosts) {
      const entry = `pxelinux.cfg/01-${h.macs[0]!.replace(/:/g, "-")}`;
      const served = fetchOver(`${summary.tftpUrl}${entry}`);
      console.log(`  host            : ${h.name} (${h.macs.join(", ")}): ${entry} ${served ? `served (${served.length} bytes)` : "NOT SERVED"}`);
      if (!served) process.exitCode = 1;
    }
    console.log(`  files held      : ${summary.files}, listed in manifest.json (sha256 ${summary.manifestSha256.slice(0, 12)}…${onChild === summary.manifestSha256 ? ", as on the child" : `, BUT THE CHILD HOLDS ${onChild.slice(0, 12)}…`})`);
    console.log(`  TFTP            : ${summary.tftpUrl}  pxelinux.cfg/default ${menu ? `served (${menu.length} bytes)` : "NOT SERVED"}`);
    console.log(`  HTTP            : ${summary.httpUrl}  autoinstall/${first ?? "-"}.cfg ${ks ? `served (${ks.length} bytes)` : "NOT SERVED"}`);
    if (!menu || !ks || onChild !== summary.manifestSha256) process.exitCode = 1;
  }
  console.log(`
Next:
  npm run plan                        what an edit of stacks/catalogs/example would change (try one)
                                      (or of stacks/hosts/dev.yaml: netboot: false for web-07)
  npm run plan -- --html plan.html    the same as a page: servers × catalog objects
  npm run pulumi -- up --stack ${stack}      apply it
  npm stop                            take the demo down (destroys the stack, stops its daemons)`);
}

async function stop(): Promise<void> {
  if (pulumi(["stack", "select", stack], { allowFailure: true }).code === 0) {
    pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack]);
  }
  // Daemons outlive a lost or broken state: stop whatever still runs from the demo's roots.
  for (const s of servers()) {
    if (fs.existsSync(path.join(rootOf(s), "run"))) await runShScript(STOP_SERVICES_SCRIPT, { ...process.env, ROOT: rootOf(s) });
  }
  const busy: string[] = [];
  for (const s of servers()) {
    if (!(await portFree(s.httpPort, "tcp"))) busy.push(`HTTP ${s.httpPort}`);
    if (!(await portFree(s.tftpPort, "udp"))) busy.push(`TFTP ${s.tftpPort}`);
  }
  if (busy.length > 0) {
    console.error(`demo: still in use: ${busy.join(", ")} (not by this checkout's demo)`);
    process.exitCode = 1;
  } else console.log("demo: stopped; nothing listens on the demo's ports");
}

void (process.argv.includes("--stop") ? stop() : start());
