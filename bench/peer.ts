/**
 * Peer comparison over real sshd children on loopback: the same rendered trees pushed by our
 * engine (ssh transport) and by Ansible (`ansible.builtin.copy` of each tree), each into its own
 * directory on the same child. Per repeat: one template edit (one server's config file and its
 * manifest), our `pulumi preview` against `ansible-playbook --check --diff`, then our `pulumi up`
 * against the playbook run. Both sides must report exactly the one changed server. Before the
 * edit, our no-op preview, and (with `ansibleNoop`) Ansible's no-op check to compare it with.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCatalog, render, resolveCatalog, type Server } from "../src";
import { startSshChildren } from "../test/support/sshd";
import { ensureAnsible, runPlaybook, writeAnsibleWorkspace } from "./ansible";
import { createEngineFleet, touchedServers } from "./engine";
import { editTemplate, nodeTemplate } from "./engineCatalog";
import { stageTrees } from "./stage";
import { type Stat, stat, timeAsync } from "./stats";

export interface PeerRow {
  readonly n: number;
  readonly files: number;
  readonly oursInitialUpMs: number;
  readonly oursNoop: Stat;
  /** Left out where one Ansible pass takes many minutes (see the plan in run.ts). */
  readonly ansibleNoop?: Stat;
  readonly oursPreview: Stat;
  readonly ansibleCheck: Stat;
  readonly oursUp: Stat;
  readonly ansibleApply: Stat;
  /** Per-repeat ratios ours / Ansible, measured back to back. */
  readonly previewRatio: Stat;
  readonly applyRatio: Stat;
  readonly noopRatio?: Stat;
}

const sec = (x: number) => `${(x / 1000).toFixed(1)} s`;
const same = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

export async function benchPeer(n: number, repeats: number, withAnsibleNoop: boolean, log: (s: string) => void): Promise<PeerRow> {
  const ansible = ensureAnsible(log);
  const ssh = await startSshChildren(n, { namePrefix: "bench" });
  try {
    const children = ssh.children;
    const fleet = await createEngineFleet(n, {
      transports: (i) => ({
        kind: "ssh",
        host: children[i]!.host,
        port: children[i]!.port,
        user: children[i]!.user,
        privateKey: { secret: "ssh_key" },
        hostKey: children[i]!.hostKey,
        root: path.join(children[i]!.root, "ours"),
      }),
      secrets: { ssh_key: children[0]!.privateKey },
    });
    const tag = `peer N=${n}`;
    try {
      const p = fleet.project;
      const initial = await timeAsync(() => p.up());
      log(`${tag}: our initial up ${sec(initial.ms)}`);

      // Ansible's side starts equally in sync: its directories seeded with the same trees.
      const staged = path.join(fleet.work, "staged");
      stageTrees(fleet.catalogDir, fleet.servers, staged);
      for (const [i, s] of fleet.servers.entries()) fs.cpSync(path.join(staged, s.name), path.join(children[i]!.root, "ansible"), { recursive: true });
      const ws = writeAnsibleWorkspace(
        path.join(fleet.work, "ansible"),
        fleet.servers.map((s, i) => ({ name: s.name, port: children[i]!.port, root: path.join(children[i]!.root, "ansible"), staged: path.join(staged, s.name), knownHostsLine: children[i]!.hostKey })),
        children[0]!.privateKey,
      );
      const files = fleet.servers.length * render(resolveCatalog(loadCatalog(fleet.catalogDir)), fleet.servers[0]!).files.length;

      const oursNoop: number[] = [];
      const ansibleNoop: number[] = [];
      const oursPreview: number[] = [];
      const ansibleCheck: number[] = [];
      const oursUp: number[] = [];
      const ansibleApply: number[] = [];
      const pr: number[] = [];
      const ar: number[] = [];
      const nr: number[] = [];
      const expected = [fleet.servers[0]!.name];
      for (let r = 0; r < repeats; r++) {
        const a0 = withAnsibleNoop ? await runPlaybook(ansible, ws, true) : undefined;
        if (a0?.changedHosts.length) throw new Error(`${tag}: Ansible's no-op check changes ${a0.changedHosts.join(", ")}`);
        const o0 = await timeAsync(() => p.preview());
        if (touchedServers(o0.value).steps) throw new Error(`${tag}: our no-op preview has changes`);
        oursNoop.push(o0.ms);
        if (a0) {
          ansibleNoop.push(a0.ms);
          nr.push(o0.ms / a0.ms);
        }

        editTemplate(fleet.catalogDir, nodeTemplate(0), `# peer revision ${r}`);
        const o1 = await timeAsync(() => p.preview());
        const ours = touchedServers(o1.value).servers;
        if (!same(ours, expected)) throw new Error(`${tag}: our plan names ${ours.join(", ")}, expected ${expected.join(", ")}`);
        // Ansible's preview includes rendering and staging the trees it compares.
        const a1 = await timeAsync(async () => {
          stageTrees(fleet.catalogDir, fleet.servers, staged);
          return runPlaybook(ansible, ws, true);
        });
        if (!same(a1.value.changedHosts, expected)) throw new Error(`${tag}: Ansible's check names ${a1.value.changedHosts.join(", ")}, expected ${expected.join(", ")}`);
        const o2 = await timeAsync(() => p.up());
        const a2 = await runPlaybook(ansible, ws, false);
        if (!same(a2.changedHosts, expected)) throw new Error(`${tag}: Ansible's apply changed ${a2.changedHosts.join(", ")}, expected ${expected.join(", ")}`);
        for (const f of ["http/files/node0/node0.conf"]) {
          const a = (d: string) => fs.readFileSync(path.join(children[0]!.root, d, f), "utf8");
          if (a("ours") !== a("ansible")) throw new Error(`${tag}: ${f} differs between our push and Ansible's`);
        }
        oursPreview.push(o1.ms);
        ansibleCheck.push(a1.ms);
        oursUp.push(o2.ms);
        ansibleApply.push(a2.ms);
        pr.push(o1.ms / a1.ms);
        ar.push(o2.ms / a2.ms);
        log(`${tag}: no-op ${sec(o0.ms)}${a0 ? ` vs ${sec(a0.ms)}` : ""}; preview ${sec(o1.ms)} vs check ${sec(a1.ms)}; up ${sec(o2.ms)} vs apply ${sec(a2.ms)}`);
      }
      return {
        n,
        files,
        oursInitialUpMs: initial.ms,
        oursNoop: stat(oursNoop),
        ...(ansibleNoop.length ? { ansibleNoop: stat(ansibleNoop), noopRatio: stat(nr) } : {}),
        oursPreview: stat(oursPreview),
        ansibleCheck: stat(ansibleCheck),
        oursUp: stat(oursUp),
        ansibleApply: stat(ansibleApply),
        previewRatio: stat(pr),
        applyRatio: stat(ar),
      };
    } finally {
      await fleet.dispose();
    }
  } finally {
    await ssh.stop();
  }
}
