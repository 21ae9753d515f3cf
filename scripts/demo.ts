// `npm start`: brings up the dev stack (the embedded default: three local children) with the
// real engine, then prints what each child holds and proves it serves it over TFTP and HTTP.
import { spawnSync } from "node:child_process";

import { provisionPulumiCommand as pulumiCommand } from "../components/cli/engine";
import { packageRoot as repoRoot } from "../components/packageRoot";
const stack = process.env.PROVISIONING_STACK ?? "dev";

function pulumi(args: string[], capture = false): string {
  const { command, args: argv } = pulumiCommand(args);
  const result = spawnSync(command, argv, {
    cwd: repoRoot,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (result.status !== 0) {
    console.error(`demo: pulumi ${args.join(" ")} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
  return result.stdout ?? "";
}

function fetchOver(url: string): { ok: boolean; bytes: number } {
  const result = spawnSync("curl", ["-sf", "--max-time", "5", "-o", "-", url], { encoding: "buffer" });
  return { ok: result.status === 0, bytes: result.stdout?.length ?? 0 };
}

interface Summary {
  files: number;
  manifestSha256: string;
  tftpUrl: string;
  httpUrl: string;
  objects: { kind: string; name: string; reason: string }[];
}

pulumi(["stack", "select", "--create", stack]);
// --refresh: a child whose daemons stopped (reboot, new session) or whose files were edited by
// hand is put back as the catalog says.
pulumi(["up", "--yes", "--skip-preview", "--refresh", "--suppress-outputs", "--stack", stack]);
const servers = JSON.parse(pulumi(["stack", "output", "--json", "--stack", stack, "provisioningServers"], true)) as Record<string, Summary>;

console.log("\nWhat each child provisioning server holds, and where it serves it:\n");
for (const [name, s] of Object.entries(servers)) {
  const profiles = s.objects.filter((o) => o.kind === "profile" && o.reason.startsWith("served")).map((o) => o.name);
  const tftp = fetchOver(`${s.tftpUrl}pxelinux.cfg/default`);
  const http = profiles.length ? fetchOver(`${s.httpUrl}autoinstall/${profiles[0]}.cfg`) : { ok: false, bytes: 0 };
  console.log(`${name}`);
  console.log(`  profiles served : ${profiles.join(", ") || "(none)"}`);
  console.log(`  objects held    : ${s.objects.length} (${s.files} files, manifest sha256 ${s.manifestSha256.slice(0, 12)}…)`);
  console.log(`  TFTP            : ${s.tftpUrl}  pxelinux.cfg/default ${tftp.ok ? `served (${tftp.bytes} bytes)` : "NOT SERVED"}`);
  console.log(`  HTTP            : ${s.httpUrl}  autoinstall/${profiles[0] ?? "-"}.cfg ${http.ok ? `served (${http.bytes} bytes)` : "NOT SERVED"}`);
  if (!tftp.ok || !http.ok) process.exitCode = 1;
}
