/**
 * The stronger peer: an rsync fan-out over SSH — what an experienced operator would script — of
 * the same rendered trees to the same sshd children (`rsync -a --delete`, at most 8 at a time,
 * host keys pinned). Its preview is `--dry-run --itemize-changes`, which reads every file's size
 * and time on every child; ours compares against the state and contacts no child. Per repeat:
 * no-op preview, one template edit's preview (render + stage + dry run for rsync), its apply.
 * Both sides must name exactly the one changed server, and leave the same bytes.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { eachLimited } from "../components/limit";
import { startSshChildren, type SshChild } from "../test/support/sshd";
import { createEngineFleet, touchedServers } from "./engine";
import { editTemplate, nodeTemplate } from "./engineCatalog";
import { stageTrees } from "./stage";
import { type Stat, stat, timeAsync } from "./stats";

export interface RsyncRow {
  readonly n: number;
  readonly files: number;
  readonly oursNoop: Stat;
  readonly rsyncNoop: Stat;
  readonly oursPreview: Stat;
  readonly rsyncPreview: Stat;
  readonly oursUp: Stat;
  readonly rsyncApply: Stat;
  /** Per-repeat ratios ours / rsync, measured back to back. */
  readonly noopRatio: Stat;
  readonly previewRatio: Stat;
  readonly applyRatio: Stat;
}

const FANOUT = 8;

export function rsyncVersion(): string {
  try {
    return execFileSync("rsync", ["--version"], { encoding: "utf8" }).split("\n")[0]!.replace(/\s+protocol.*/, "").trim();
  } catch {
    throw new Error("bench: the rsync peer needs rsync on this machine (Debian: apt-get install rsync)");
  }
}

function rsyncOnce(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("rsync", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`rsync exited ${code}: ${err.trim()}`))));
  });
}

/** Pushes every staged tree to its child (or, with `dryRun`, lists what it would change); returns the servers with changes. */
async function fanOut(children: readonly { name: string; child: SshChild; staged: string }[], keyFile: string, knownHosts: string, dryRun: boolean): Promise<string[]> {
  const changed: string[] = [];
  await eachLimited(children, FANOUT, async ({ name, child, staged }) => {
    const ssh = `ssh -i ${keyFile} -p ${child.port} -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes`;
    const out = await rsyncOnce(["-a", "--delete", ...(dryRun ? ["--dry-run"] : []), "--itemize-changes", "-e", ssh, `${staged}/`, `${child.user}@${child.host}:${path.join(child.root, "rsync")}/`]);
    if (out.trim()) changed.push(name);
  });
  return changed.sort();
}

const sec = (x: number) => `${(x / 1000).toFixed(1)} s`;

export async function benchRsync(n: number, repeats: number, log: (s: string) => void): Promise<RsyncRow> {
  rsyncVersion();
  const ssh = await startSshChildren(n, { namePrefix: "rsync" });
  try {
    const children = ssh.children;
    const fleet = await createEngineFleet(n, {
      transports: (i) => ({ kind: "ssh", host: children[i]!.host, port: children[i]!.port, user: children[i]!.user, privateKey: { secret: "ssh_key" }, hostKey: children[i]!.hostKey, root: path.join(children[i]!.root, "ours") }),
      secrets: { ssh_key: children[0]!.privateKey },
    });
    const tag = `rsync N=${n}`;
    try {
      const p = fleet.project;
      log(`${tag}: our initial up ${sec((await timeAsync(() => p.up())).ms)}`);
      const keyFile = path.join(fleet.work, "client_key");
      fs.writeFileSync(keyFile, children[0]!.privateKey, { mode: 0o600 });
      const knownHosts = path.join(fleet.work, "known_hosts");
      fs.writeFileSync(knownHosts, children.map((c) => `[${c.host}]:${c.port} ${c.hostKey}\n`).join(""));
      const staged = path.join(fleet.work, "staged");
      const files = stageTrees(fleet.catalogDir, fleet.servers, staged);
      const targets = fleet.servers.map((s, i) => ({ name: s.name, child: children[i]!, staged: path.join(staged, s.name) }));
      log(`${tag}: rsync initial push ${sec((await timeAsync(() => fanOut(targets, keyFile, knownHosts, false))).ms)}`);

      const rows = { oursNoop: [] as number[], rsyncNoop: [] as number[], oursPreview: [] as number[], rsyncPreview: [] as number[], oursUp: [] as number[], rsyncApply: [] as number[], nr: [] as number[], pr: [] as number[], ar: [] as number[] };
      const expected = [fleet.servers[0]!.name];
      for (let r = 0; r < repeats; r++) {
        const o0 = await timeAsync(() => p.preview());
        if (touchedServers(o0.value).steps) throw new Error(`${tag}: our no-op preview has changes`);
        const r0 = await timeAsync(() => fanOut(targets, keyFile, knownHosts, true));
        if (r0.value.length) throw new Error(`${tag}: rsync's no-op dry run changes ${r0.value.join(", ")}`);

        editTemplate(fleet.catalogDir, nodeTemplate(0), `# rsync revision ${r}`);
        const o1 = await timeAsync(() => p.preview());
        if (JSON.stringify(touchedServers(o1.value).servers) !== JSON.stringify(expected)) throw new Error(`${tag}: our plan names ${touchedServers(o1.value).servers.join(", ")}`);
        // rsync's preview includes rendering and staging the trees it compares.
        const r1 = await timeAsync(async () => {
          stageTrees(fleet.catalogDir, fleet.servers, staged);
          return fanOut(targets, keyFile, knownHosts, true);
        });
        if (JSON.stringify(r1.value) !== JSON.stringify(expected)) throw new Error(`${tag}: rsync's dry run names ${r1.value.join(", ")}, expected ${expected.join(", ")}`);
        const o2 = await timeAsync(() => p.up());
        const r2 = await timeAsync(() => fanOut(targets, keyFile, knownHosts, false));
        if (JSON.stringify(r2.value) !== JSON.stringify(expected)) throw new Error(`${tag}: rsync changed ${r2.value.join(", ")}, expected ${expected.join(", ")}`);
        const conf = (d: string) => fs.readFileSync(path.join(children[0]!.root, d, "http/files/node0/node0.conf"), "utf8");
        if (conf("ours") !== conf("rsync")) throw new Error(`${tag}: node0.conf differs between our push and rsync's`);
        rows.oursNoop.push(o0.ms);
        rows.rsyncNoop.push(r0.ms);
        rows.oursPreview.push(o1.ms);
        rows.rsyncPreview.push(r1.ms);
        rows.oursUp.push(o2.ms);
        rows.rsyncApply.push(r2.ms);
        rows.nr.push(o0.ms / r0.ms);
        rows.pr.push(o1.ms / r1.ms);
        rows.ar.push(o2.ms / r2.ms);
        log(`${tag}: no-op ${sec(o0.ms)} vs ${sec(r0.ms)}; preview ${sec(o1.ms)} vs ${sec(r1.ms)}; up ${sec(o2.ms)} vs ${sec(r2.ms)}`);
      }
      return {
        n,
        files,
        oursNoop: stat(rows.oursNoop),
        rsyncNoop: stat(rows.rsyncNoop),
        oursPreview: stat(rows.oursPreview),
        rsyncPreview: stat(rows.rsyncPreview),
        oursUp: stat(rows.oursUp),
        rsyncApply: stat(rows.rsyncApply),
        noopRatio: stat(rows.nr),
        previewRatio: stat(rows.pr),
        applyRatio: stat(rows.ar),
      };
    } finally {
      await fleet.dispose();
    }
  } finally {
    await ssh.stop();
  }
}
