/**
 * `provision status` over many children: N local children, or N SSH children (the loopback sshd
 * fleet the rsync peer uses), each holding its rendered tree, its manifest and HOSTS hosts (arm
 * record and install record each), read as the command reads them (one script run per child, at
 * most DEFAULT_STATUS_PARALLEL at a time). Targets: 1,000 local children ≤ 10 s, 200 SSH ≤ 20 s.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Server, ServerSchema, loadCatalog, render, resolveCatalog } from "../src";
import { hostGeneration } from "../src/catalog/hosts";
import { hostArmPath, hostStatePath } from "../src/render/layout";
import { manifestText } from "../src/render/manifest";
import { sha256Hex } from "../src/state/contentKey";
import { readFleetStatus } from "../components/status";
import { startSshChildren } from "../test/support/sshd";
import { engineServers, writeEngineCatalog } from "./engineCatalog";
import { type Stat, stat, timeAsync } from "./stats";

export interface StatusRow {
  readonly n: number;
  readonly transport: "local" | "ssh";
  readonly hostsPerChild: number;
  readonly filesPerChild: number;
  readonly status: Stat;
}

const HOSTS = 5;

/** Writes each child's tree as an update leaves it (files, then manifest) and its hosts' records: half installed, half armed. */
function deploy(catalogDir: string, servers: readonly Server[], roots: readonly string[]): number {
  const catalog = resolveCatalog(loadCatalog(catalogDir));
  let files = 0;
  servers.forEach((server, i) => {
    const root = roots[i]!;
    const listed = render(catalog, server).files.map((f) => {
      const bytes = f.content !== undefined ? Buffer.from(f.content, "utf8") : fs.readFileSync(f.payload!.path!);
      fs.mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
      fs.writeFileSync(path.join(root, f.path), bytes);
      return { path: f.path, sha256: sha256Hex(bytes), size: bytes.length, mode: f.mode };
    });
    files = listed.length;
    for (let h = 0; h < HOSTS; h++) {
      const host = `${server.name}-h${h}`;
      const generation = hostGeneration(host, undefined);
      fs.mkdirSync(path.join(root, path.dirname(hostArmPath(host))), { recursive: true });
      fs.writeFileSync(path.join(root, hostArmPath(host)), `generation=${generation}\ntoken_sha256=${"0".repeat(64)}\n`);
      if (h % 2 === 0) continue;
      fs.mkdirSync(path.join(root, path.dirname(hostStatePath(host))), { recursive: true });
      fs.writeFileSync(path.join(root, hostStatePath(host)), `${JSON.stringify({ host, state: "installed", generation, fetchedAt: "2026-12-05T20:00:00Z", client: "10.0.0.9", reportedAt: "2026-12-05T20:09:00Z" })}\n`);
    }
    fs.writeFileSync(path.join(root, "manifest.json"), manifestText({ server: server.name, child: `bench-${i}`, files: listed }));
  });
  return files;
}

export async function benchStatus(n: number, transport: "local" | "ssh", repeats: number, log: (s: string) => void): Promise<StatusRow> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-status-"));
  const ssh = transport === "ssh" ? await startSshChildren(n, { namePrefix: "status" }) : undefined;
  try {
    const catalogDir = path.join(work, "catalog");
    writeEngineCatalog(catalogDir, n);
    const roots = Array.from({ length: n }, (_, i) => ssh?.children[i]!.root ?? path.join(work, "children", String(i)));
    const servers = engineServers(n).map((s, i) => {
      const c = ssh?.children[i];
      return ServerSchema.parse({ ...s, transport: c ? { kind: "ssh", host: c.host, port: c.port, user: c.user, privateKey: { secret: "ssh_key" }, hostKey: c.hostKey, root: c.root } : { kind: "local", root: roots[i] } });
    });
    const filesPerChild = deploy(catalogDir, servers, roots);
    const targets = servers.map((server) => ({ server, hosts: Array.from({ length: HOSTS }, (_, h) => ({ name: `${server.name}-h${h}`, netboot: true, generation: hostGeneration(`${server.name}-h${h}`, undefined) })) }));
    const secret = async () => ssh!.children[0]!.privateKey;
    const samples: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const { ms, value } = await timeAsync(() => readFleetStatus({ projectDir: work, targets, secret }));
      const bad = value.filter((c) => !c.reachable || c.files.state !== "match" || c.hosts.filter((h) => h.state === "installed").length !== 2);
      if (bad.length) throw new Error(`bench status ${transport} N=${n}: ${bad.length} children not as deployed, e.g. ${JSON.stringify(bad[0])}`);
      samples.push(ms);
      log(`status ${transport} N=${n} repeat ${r + 1}: ${(ms / 1000).toFixed(1)} s`);
    }
    return { n, transport, hostsPerChild: HOSTS, filesPerChild, status: stat(samples) };
  } finally {
    await ssh?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
