/**
 * `npm run bench`: core, engine (preview and apply up to 1,000 servers) and peers (an rsync
 * fan-out and Ansible over the same sshd children) benchmarks, printed as tables; a full run also writes bench/RESULTS.md, bench/results.svg and
 * bench/results.json. Every figure is the median of repeats with min and max; ratios are taken
 * within the same run, since the machine may be shared.
 *
 *   npm run bench                      full run (writes the results files)
 *   BENCH_QUICK=1 npm run bench        smaller N and fewer repeats (prints only)
 *   npm run bench -- --only=core,rsync a subset: core, empty, engine, sites, profile, rsync, peer, status
 *   npm run bench -- --sizes=1000      only the tasks of these server counts (with core, empty as asked)
 *   BENCH_MAX_MINUTES=25 npm run bench  no new task after 25 minutes (default: no limit; the rest is listed as not run)
 *   npm run bench -- --write           write the results files from a quick or partial run too
 *   BENCH_PEER_NS=2,10 npm run bench   other peer sizes (the peer is the slowest part on a loaded machine)
 *   npm run bench -- --render [--merge=other/results.json,…]
 *                                      re-render RESULTS.md and the chart from bench/results.json,
 *                                      adding the rows of other runs
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findPulumi } from "../components/cli/toolchain";
import { textTable } from "../src/report/table";
import { ANSIBLE_CORE_VERSION } from "./ansible";
import { type Panel, svgChart } from "./chart";
import { CORE_CATALOG, type CoreRow, benchCore, growthExponent } from "./core";
import { type EngineRow, benchEmpty, benchEngine } from "./engine";
import { type PeerRow, benchPeer } from "./peer";
import { type ProfileRow, envNote, profilePreview } from "./profile";
import { type RsyncRow, benchRsync, rsyncVersion } from "./rsync";
import { type SitesRow, benchSites } from "./sites";
import { type StatusRow, benchStatus } from "./status";
import { type Stat, stat } from "./stats";

const argv = process.argv.slice(2);
const quick = process.env.BENCH_QUICK === "1" || argv.includes("--quick");
const onlyArg = argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
const only = new Set(onlyArg ? onlyArg.split(",") : ["core", "empty", "engine", "sites", "profile", "rsync", "peer", "status"]);
const sizesArg = argv.find((a) => a.startsWith("--sizes="))?.slice("--sizes=".length);
const sizes = sizesArg ? new Set(sizesArg.split(",").map(Number)) : undefined;
const mergeFrom = argv.find((a) => a.startsWith("--merge="))?.slice("--merge=".length);
const write = argv.includes("--write") || argv.includes("--render") || (!quick && !onlyArg && !sizesArg);

// Tasks run in this order (most telling comparisons first); results are written after each one,
// so an interrupted run still leaves the sections it finished.
type Task =
  | { kind: "core"; ns: number[]; runs: number }
  | { kind: "empty"; repeats: number }
  | { kind: "engine"; n: number; repeats: number; fullRepeats: number; skipCheckpoints?: boolean }
  | { kind: "rsync"; n: number; repeats: number }
  | { kind: "sites"; n: number; stacks: number; parallel: number; repeats: number }
  | { kind: "peer"; n: number; repeats: number; ansibleNoop: boolean }
  | { kind: "profile"; n: number; env?: Record<string, string> }
  | { kind: "status"; n: number; transport: "local" | "ssh"; repeats: number };

const PLAN: Task[] = quick
  ? [
      { kind: "core", ns: [50, 200], runs: 3 },
      { kind: "empty", repeats: 2 },
      { kind: "engine", n: 10, repeats: 2, fullRepeats: 1 },
      { kind: "profile", n: 10 },
      { kind: "sites", n: 20, stacks: 4, parallel: 4, repeats: 1 },
      { kind: "rsync", n: 10, repeats: 2 },
      { kind: "peer", n: 10, repeats: 2, ansibleNoop: true },
      { kind: "status", n: 50, transport: "local", repeats: 2 },
      { kind: "status", n: 10, transport: "ssh", repeats: 2 },
    ]
  : [
      { kind: "core", ns: [50, 200, 500, 1000], runs: 5 },
      { kind: "empty", repeats: 3 },
      { kind: "engine", n: 10, repeats: 3, fullRepeats: 2, skipCheckpoints: true },
      // The 1,000-server size, once, early (its targets are the headline): first rollout, no-op
      // and one-change previews, and updates touching 1, 100 and all 1,000 servers.
      { kind: "engine", n: 1000, repeats: 1, fullRepeats: 0 },
      // The same 1,000 servers as ten site stacks, applied and planned four stacks at a time.
      { kind: "sites", n: 1000, stacks: 10, parallel: 4, repeats: 1 },
      { kind: "profile", n: 10 },
      { kind: "profile", n: 10, env: { PROVISIONING_SOURCE_MAPS: "1" } },
      { kind: "rsync", n: 10, repeats: 3 },
      { kind: "engine", n: 50, repeats: 2, fullRepeats: 2, skipCheckpoints: true },
      { kind: "rsync", n: 50, repeats: 2 },
      { kind: "engine", n: 200, repeats: 2, fullRepeats: 1, skipCheckpoints: true },
      { kind: "rsync", n: 200, repeats: 2 },
      { kind: "profile", n: 200 },
      // provision status: 1,000 local children (target ≤ 10 s), 200 SSH children (≤ 20 s).
      { kind: "status", n: 1000, transport: "local", repeats: 3 },
      { kind: "status", n: 200, transport: "ssh", repeats: 3 },
      // Ansible last: the slowest task, and the weaker peer.
      { kind: "peer", n: 10, repeats: 2, ansibleNoop: true },
    ];

const started = Date.now();
const log = (s: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${s}`);

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

interface Machine {
  readonly nproc: string;
  readonly cpuModel: string;
  readonly memoryGb: string;
  readonly kernel: string;
  readonly node: string;
  readonly pulumi: string;
  readonly ansibleCore: string;
  readonly rsync?: string;
  readonly loadStart: string;
  readonly loadEnd: string;
  readonly date: string;
  readonly minutes: string;
}
let savedMachine: Machine | undefined;
const mergedMachines: Machine[] = [];

function machine(loadStart: number[]): Machine {
  if (savedMachine) return savedMachine;
  const cpu = os.cpus();
  return {
    nproc: tryRun("nproc", []),
    cpuModel: cpu[0]?.model ?? "unknown",
    memoryGb: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    pulumi: tryRun(findPulumi().bin, ["version"]),
    ansibleCore: ANSIBLE_CORE_VERSION,
    rsync: (() => {
      try {
        return rsyncVersion();
      } catch {
        return "not installed";
      }
    })(),
    loadStart: loadStart.map((x) => x.toFixed(2)).join(" "),
    loadEnd: os.loadavg().map((x) => x.toFixed(2)).join(" "),
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    minutes: ((Date.now() - started) / 60000).toFixed(1),
  };
}

// Formatting: seconds or milliseconds with the min–max range.
const s1 = (x: number) => (x / 1000).toFixed(1);
const fs_ = (st: Stat) => `${s1(st.median)} (${s1(st.min)}–${s1(st.max)})`;
const fms = (st: Stat) => `${st.median.toFixed(0)} (${st.min.toFixed(0)}–${st.max.toFixed(0)})`;
const fr = (st: Stat) => `${st.median.toFixed(2)} (${st.min.toFixed(2)}–${st.max.toFixed(2)})`;
const toS = (st: Stat): Stat => ({ median: st.median / 1000, min: st.min / 1000, max: st.max / 1000, runs: st.runs });
const one = (x: number): Stat => ({ median: x, min: x, max: x, runs: 1 });

function mdTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  return [`| ${headers.map(cell).join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

interface Table {
  readonly title: string;
  readonly headers: string[];
  readonly rows: string[][];
  readonly notes?: string[];
}

function coreTable(rows: readonly CoreRow[]): Table {
  return {
    title: `Core: resolve + select + render (generated catalog: ${CORE_CATALOG.profiles} profiles, ${CORE_CATALOG.distributions} distributions, ${CORE_CATALOG.templates} templates)`,
    headers: ["servers", "files", "total ms", "of which resolve ms", "ms per server", "peak RSS MB", "heap used MB"],
    rows: rows.map((r) => [String(r.n), String(Math.round(r.filesPerServer * r.n)), fms(r.total), fms(r.resolve), ((r.total.median - r.resolve.median) / r.n).toFixed(2), r.peakRssMb.toFixed(0), r.heapUsedMb.toFixed(0)]),
    notes: rows.length > 1 ? [`Growth: time ∝ N^${growthExponent(rows).toFixed(2)} between N=${rows[0]!.n} and N=${rows[rows.length - 1]!.n} (1.00 is linear).`] : [],
  };
}

const change = (r: EngineRow, k: number) => r.changes.find((c) => c.k === k);
const tenth = (r: EngineRow) => r.changes.find((c) => c.k > 1 && c.k < r.n) ?? change(r, r.n)!;

function previewTable(rows: readonly EngineRow[]): Table {
  return {
    title: "Engine, preview (`pulumi preview`, local children): seconds, median (min–max)",
    headers: ["servers", "files/server", "resources", "state MB", "state KB/server", "first rollout (up)", "no-op preview", "program part", "k=1 preview", "k=N/10 preview", "k=N preview", "k (named by the plan)"],
    rows: rows.map((r) => [
      String(r.n),
      String(r.filesPerServer),
      String(r.resources),
      r.stateMb.toFixed(1),
      (r.stateBytesPerServer / 1024).toFixed(1),
      s1(r.initialUpMs),
      fs_(r.noopPreview),
      fs_(r.programMs),
      fs_(r.changes[0]!.preview),
      fs_(tenth(r).preview),
      fs_(change(r, r.n)!.preview),
      r.changes.map((c) => `${c.touched.length} (${c.steps} steps)`).join(", "),
    ]),
    notes: ["First rollout: the initial `pulumi up` that creates every server's resource and places every file on the (empty) children."],
  };
}

function applyTable(rows: readonly EngineRow[]): Table {
  const out: string[][] = [];
  for (const r of rows) {
    for (const c of r.changes) {
      const full = r.engineFull;
      const ratio = full ? c.up.median / full.median : undefined;
      const target = c.k / r.n + 0.1;
      out.push([
        String(r.n),
        String(c.k),
        (c.k / r.n).toFixed(2),
        fs_(c.up),
        full ? fs_(full) : "not run",
        ratio !== undefined ? ratio.toFixed(2) : "-",
        ratio !== undefined ? (ratio <= target ? `yes (≤ ${target.toFixed(2)})` : `no (> ${target.toFixed(2)})`) : "-",
        fs_(r.directFull),
        (c.up.median / r.directFull.median).toFixed(1),
      ]);
    }
  }
  return {
    title: "Engine, apply (`pulumi up` of the change touching k of N) against the full re-push: seconds, median (min–max)",
    headers: ["N", "k", "k/N", "up (ours)", "full re-push (engine)", "ours / full", "≤ k/N + 0.10", "re-copy, no engine", "ours / re-copy"],
    rows: out,
    notes: [
      "Full re-push (engine): the same program with every file's mode flipped, so every file is rewritten through its provider in one `pulumi up`.",
      "Re-copy, no engine: every file of every server written straight through the local transport (what a push-everything script does).",
    ],
  };
}

function sitesTable(rows: readonly SitesRow[], engine: readonly EngineRow[]): Table {
  const out: string[][] = [];
  for (const r of rows) {
    const single = engine.find((e) => e.n === r.n);
    const vs = (sites: number, one: number | undefined) => (one ? `${s1(sites)} (${(sites / one).toFixed(2)} of one stack's ${s1(one)})` : s1(sites));
    out.push([
      String(r.n),
      `${r.stacks} × ${r.n / r.stacks}`,
      String(r.parallel),
      vs(r.firstUpMs, single?.initialUpMs),
      fs_(r.noopPlan),
      fs_(r.oneChangePlan),
      fs_(r.oneChangeUp),
      s1(r.allChangePlanMs),
      vs(r.allChangeUpMs, single ? change(single, single.n)?.up.median : undefined),
    ]);
  }
  return {
    title: "Site stacks: the same servers split into stacks over one catalog, `provision plan|up --stacks 'site-*' --parallel P` (local children): seconds, median (min–max)",
    headers: ["servers", "stacks × servers", "stacks at once", "first rollout (up)", "no-op plan", "1 change: plan", "1 change: up", "change touching all: plan", "change touching all: up"],
    rows: out,
    notes: [
      "Each stack is its own Pulumi CLI run over its own state; a plan here is `provision plan --json`, which also renders the review of every change (the engine tables time `pulumi preview` alone).",
      "In parentheses: the share of the same step in one stack holding all the servers (the engine table's row of the same N), same run.",
    ],
  };
}

/** Rows of `provision status` tasks (kept aside: the other tables' signatures stay as they are). */
const statusRows: StatusRow[] = [];

function statusTable(rows: readonly StatusRow[]): Table {
  const target = (r: StatusRow) => (r.transport === "local" && r.n === 1000 ? "≤ 10 s" : r.transport === "ssh" && r.n === 200 ? "≤ 20 s" : "");
  return {
    title: "provision status: every child read once (daemons, files against its manifest, host records), 16 at a time: seconds, median (min–max)",
    headers: ["children", "transport", "files/child", "hosts/child", "status", "target"],
    rows: rows.map((r) => [String(r.n), r.transport, String(r.filesPerChild), String(r.hostsPerChild), fs_(r.status), target(r)]),
  };
}

function rsyncTable(rows: readonly RsyncRow[]): Table {
  return {
    title: "Peer: the same trees to the same sshd children, ours (ssh transport) against an rsync fan-out (`rsync -a --delete` over ssh, 8 at a time): seconds, median (min–max)",
    headers: ["servers", "files", "no-op: ours", "no-op: rsync --dry-run", "ratio", "1 change: our preview", "render + rsync --dry-run", "ratio", "our up", "rsync", "ratio"],
    rows: rows.map((r) => [String(r.n), String(r.files), fs_(r.oursNoop), fs_(r.rsyncNoop), fr(r.noopRatio), fs_(r.oursPreview), fs_(r.rsyncPreview), fr(r.previewRatio), fs_(r.oursUp), fs_(r.rsyncApply), fr(r.applyRatio)]),
    notes: [
      "Ratios are ours / rsync, per repeat (measured back to back), then median (min–max); below 1 we are faster.",
      "One change: one template edit that changes one server's config file; both sides must name exactly that server and leave the same bytes.",
      "Our preview compares against the state and contacts no child; rsync's dry run lists every file (size and time) on every child over ssh.",
    ],
  };
}

function peerTable(rows: readonly PeerRow[]): Table {
  return {
    title: `Peer: the same trees to the same sshd children, ours (ssh transport) against Ansible (ansible-core ${ANSIBLE_CORE_VERSION}, ansible.builtin.copy): seconds, median (min–max)`,
    headers: ["servers", "files", "no-op: ours", "no-op: Ansible --check", "ratio", "1 change: our preview", "Ansible --check --diff", "ratio", "our up", "Ansible apply", "ratio"],
    rows: rows.map((r) => [String(r.n), String(r.files), fs_(r.oursNoop), r.ansibleNoop ? fs_(r.ansibleNoop) : "not run", r.noopRatio ? fr(r.noopRatio) : "-", fs_(r.oursPreview), fs_(r.ansibleCheck), fr(r.previewRatio), fs_(r.oursUp), fs_(r.ansibleApply), fr(r.applyRatio)]),
    notes: [
      "Ratios are ours / Ansible, per repeat (measured back to back), then median (min–max).",
      "One change: one template edit that changes one server's config file; both sides must name exactly that server.",
      "Our preview compares against the state (no child contacted); Ansible's check reads every file's checksum on every child.",
      ...(rows.some((r) => !r.ansibleNoop) ? ["Ansible's no-op check runs only where one pass takes a few minutes (10 servers here); at 10 it took about as long as its check with the change."] : []),
      "Ansible's preview time includes rendering the trees into its staging folder.",
    ],
  };
}

function profileTable(empty: { preview: Stat; up: Stat } | undefined, rows: readonly EngineRow[]): Table {
  const out: string[][] = [];
  if (empty) out.push(["fixed cost of one CLI run (program with 0 servers)", `preview ${fs_(empty.preview)}, up ${fs_(empty.up)}`]);
  for (const r of rows) {
    const fixed = empty?.preview.median ?? 0;
    const perRes = (r.noopPreview.median - fixed) / r.resources;
    // Per resource only where resources are many; with ten, the noise of the fixed cost swamps it.
    if (r.resources >= 100) out.push([`N=${r.n}: no-op preview beyond the fixed cost, per resource`, `${perRes.toFixed(1)} ms × ${r.resources} resources`]);
    out.push([`N=${r.n}: program (load, render, register) share of the no-op preview`, `${((100 * r.programMs.median) / r.noopPreview.median).toFixed(0)} %`]);
    out.push([`N=${r.n}: state per server`, `${(r.stateBytesPerServer / 1024).toFixed(1)} KB (${r.stateMb.toFixed(1)} MB in all)`]);
    if (r.upSkipCheckpoints) {
      const c = tenth(r);
      out.push([`N=${r.n}, k=${c.k}: up without, and with, a state write per step (${c.steps} steps, state ${r.stateMb.toFixed(1)} MB)`, `${fs_(r.upSkipCheckpoints)} vs ${fs_(c.up)}`]);
    }
  }
  return { title: "Profile: where the engine's time goes", headers: ["what", "figure"], rows: out };
}

/** The parts of one server's state, at the largest fleet measured. */
function statePartsTable(rows: readonly EngineRow[]): Table | undefined {
  const r = rows.filter((x) => x.stateParts).sort((a, b) => b.n - a.n)[0];
  if (!r) return undefined;
  const total = r.stateParts!.reduce((a, p) => a + p.bytes, 0);
  return {
    title: `State of one server (of ${r.n}) after the first rollout: bytes of the compact JSON the file backend writes, by part`,
    headers: ["part", "bytes", "share"],
    rows: [...r.stateParts!.map((p) => [p.part, String(p.bytes), `${((100 * p.bytes) / total).toFixed(0)} %`]), ["its component and resource in all", String(total), ""]],
    notes: ["The state per server in the tables above is the whole file over N: it also holds a share of the stack, its CentralServer, provider and stack key."],
  };
}

function cpuTable(rows: readonly ProfileRow[]): Table {
  const groups = [...new Set(rows.flatMap((r) => r.processes.flatMap((p) => Object.keys(p.groups))))].sort();
  const out: string[][] = [];
  for (const r of rows) {
    const program = r.processes.find((p) => p.role === "program");
    const host = r.processes.find((p) => p.role === "provider");
    const cpu = (p: typeof program) => (p ? (p.cpuMs / 1000).toFixed(1) : "-");
    out.push([`N=${r.n} (${r.resources} resources)${r.note ? `, ${r.note}` : ""}`, "total", s1(r.wallMs), cpu(program), cpu(host), (r.engineCpuMs / 1000).toFixed(1)]);
    for (const g of groups) {
      const v = (p: typeof program) => (p?.groups[g] !== undefined ? (p.groups[g]! / 1000).toFixed(2) : "-");
      if (v(program) === "-" && v(host) === "-") continue;
      out.push(["", g, "", v(program), v(host), ""]);
    }
  }
  return {
    title: "Profile: CPU seconds of one no-op `pulumi preview`, by process and by what the code is (V8 sampling profiler; engine from /proc)",
    headers: ["run", "part", "wall s", "program process (in-process language host)", "dynamic-provider host", "engine (Go CLI)"],
    rows: out,
    notes: ["Self time of sampled frames, grouped by where the code lives; idle time left out. The program process also runs the language host (scripts/pulumi.ts)."],
  };
}

function targets(rows: readonly EngineRow[]): string[] {
  const ok = (b: boolean) => (b ? "met" : "NOT met");
  const out: string[] = [];
  for (const r of rows.filter((x) => x.n >= 1000)) {
    const k1 = change(r, 1)!;
    const k100 = r.changes.find((c) => c.k === Math.floor(r.n / 10));
    const all = change(r, r.n)!;
    out.push(
      `${r.n} servers × ${r.filesPerServer} files: no-op preview ${s1(r.noopPreview.median)} s (target ≤ 20 s: ${ok(r.noopPreview.median <= 20_000)}); ` +
        `one-change preview ${s1(k1.preview.median)} s (≤ 20 s: ${ok(k1.preview.median <= 20_000)}); ` +
        `up touching 1: ${s1(k1.up.median)} s (≤ 25 s: ${ok(k1.up.median <= 25_000)}); ` +
        (k100 ? `up touching ${k100.k}: ${s1(k100.up.median)} s (≤ 60 s: ${ok(k100.up.median <= 60_000)}); ` : "") +
        `first rollout ${s1(r.initialUpMs)} s and a change touching all ${s1(all.up.median)} s (≤ 600 s: ${ok(r.initialUpMs <= 600_000 && all.up.median <= 600_000)}).`,
    );
  }
  for (const r of rows) {
    // Beside each server's own entries the file holds the stack's (stack, CentralServer, provider, stack key): a share that shrinks with N.
    const own = r.stateParts?.reduce((a, p) => a + p.bytes, 0);
    const split = own !== undefined ? `: a server's own entries ${(own / 1024).toFixed(1)} KB, the stack's shared ones ${((r.stateBytesPerServer - own) / 1024).toFixed(1)} KB per server` : "";
    out.push(`${r.n} servers: state ${(r.stateBytesPerServer / 1024).toFixed(1)} KB per server after the first rollout (target ≤ 4 KB: ${ok(r.stateBytesPerServer <= 4096)})${split}.`);
  }
  return out;
}

function chart(core: readonly CoreRow[], engine: readonly EngineRow[], rsync: readonly RsyncRow[], peer: readonly PeerRow[], m: Machine): string {
  const panels: Panel[] = [];
  if (core.length) panels.push({ title: "Core: resolve + select + render", unit: "s", bars: core.map((r) => ({ label: `N=${r.n}`, value: toS(r.total), series: "core" })) });
  if (engine.length)
    panels.push({
      title: "Engine: pulumi preview",
      unit: "s",
      bars: engine.flatMap((r) => [{ label: `N=${r.n} no-op`, value: toS(r.noopPreview), series: "preview" }, ...r.changes.map((c) => ({ label: `N=${r.n} k=${c.k}`, value: toS(c.preview), series: "preview" }))]),
      reference: { value: 20, label: "20 s" },
    });
  if (engine.length)
    panels.push({
      title: "Engine: pulumi up of the change touching k",
      unit: "s",
      bars: engine.flatMap((r) => [{ label: `N=${r.n} first rollout`, value: one(r.initialUpMs / 1000), series: "up" }, ...r.changes.map((c) => ({ label: `N=${r.n} k=${c.k}`, value: toS(c.up), series: "up" }))]),
    });
  const peers = [
    ...rsync.flatMap((r) => [
      { label: `rsync N=${r.n} no-op`, value: r.noopRatio, series: "ours / rsync" },
      { label: `rsync N=${r.n} 1-change preview`, value: r.previewRatio, series: "ours / rsync" },
      { label: `rsync N=${r.n} 1-change apply`, value: r.applyRatio, series: "ours / rsync" },
    ]),
    ...peer.flatMap((r) => [
      ...(r.noopRatio ? [{ label: `Ansible N=${r.n} no-op`, value: r.noopRatio, series: "ours / Ansible" }] : []),
      { label: `Ansible N=${r.n} 1-change preview`, value: r.previewRatio, series: "ours / Ansible" },
      { label: `Ansible N=${r.n} 1-change apply`, value: r.applyRatio, series: "ours / Ansible" },
    ]),
  ];
  if (peers.length) panels.push({ title: "Peers: ours / theirs (below 1: we are faster)", unit: "ratio", bars: peers, reference: { value: 1, label: "1" } });
  return svgChart("pulumi-provisioning benchmarks", `${m.date} · ${m.nproc} cores ${m.cpuModel} · ${m.memoryGb} GiB · load ${m.loadStart} → ${m.loadEnd} · medians with min–max whiskers`, panels);
}

async function main(): Promise<void> {
  if (argv.includes("--render")) {
    // Re-renders RESULTS.md and the chart from bench/results.json (e.g. after editing ANALYSIS.md).
    // --merge=a.json,b.json adds the rows of other runs' results (same machine, same session).
    const saved = JSON.parse(fs.readFileSync(path.join(__dirname, "results.json"), "utf8"));
    savedMachine = saved.machine;
    statusRows.push(...(saved.status ?? []));
    const merged = { core: saved.core, empty: saved.empty, engine: saved.engine, sites: saved.sites ?? [], rsync: saved.rsync ?? [], peer: saved.peer, profiles: saved.profiles ?? [], skipped: saved.skipped ?? [] };
    for (const file of mergeFrom ? mergeFrom.split(",") : []) {
      const other = JSON.parse(fs.readFileSync(file, "utf8"));
      merged.core.push(...(other.core ?? []));
      merged.empty ??= other.empty;
      merged.engine.push(...(other.engine ?? []));
      merged.peer.push(...(other.peer ?? []));
      merged.rsync.push(...(other.rsync ?? []));
      merged.sites.push(...(other.sites ?? []));
      merged.profiles.push(...(other.profiles ?? []));
      statusRows.push(...(other.status ?? []));
      mergedMachines.push(other.machine);
    }
    // Tasks of the plan that no merged run finished are listed as not run.
    const done = (t: Task) =>
      t.kind === "core" ? merged.core.length > 0
      : t.kind === "empty" ? merged.empty !== undefined
      : t.kind === "engine" ? merged.engine.some((r: EngineRow) => r.n === t.n)
      : t.kind === "profile" ? merged.profiles.some((r: ProfileRow) => r.n === t.n && r.note === envNote(t.env))
      : t.kind === "rsync" ? merged.rsync.some((r: RsyncRow) => r.n === t.n)
      : t.kind === "sites" ? merged.sites.some((r: SitesRow) => r.n === t.n && r.stacks === t.stacks)
      : t.kind === "status" ? statusRows.some((r) => r.n === t.n && r.transport === t.transport)
      : merged.peer.some((r: PeerRow) => r.n === t.n);
    merged.skipped = (saved.plan as Task[]).filter((t) => !done(t)).map((t) => JSON.stringify(t));
    report([], merged.core, merged.empty, merged.engine, merged.sites, merged.rsync, merged.peer, merged.profiles, merged.skipped, true);
    return;
  }
  const loadStart = os.loadavg();
  const peerNs = process.env.BENCH_PEER_NS?.split(",").map(Number);
  const tasks = PLAN.filter((t) => only.has(t.kind) && (!sizes || !("n" in t) || sizes.has(t.n)))
    // BENCH_PEER_NS=2,10 replaces the peer sizes (the peer is the slowest part on a loaded machine).
    .flatMap((t): Task[] => (t.kind === "peer" && peerNs ? (t.n === 10 ? peerNs.map((n) => ({ ...t, n })) : []) : [t]));
  const maxMin = Number(process.env.BENCH_MAX_MINUTES ?? Infinity);
  log(`plan: ${quick ? "quick" : "full"}, ${tasks.length} tasks: ${tasks.map((t) => JSON.stringify(t)).join(" ")}`);
  const core: CoreRow[] = [];
  let empty: { preview: Stat; up: Stat } | undefined;
  const engine: EngineRow[] = [];
  const rsync: RsyncRow[] = [];
  const sites: SitesRow[] = [];
  const peer: PeerRow[] = [];
  const profiles: ProfileRow[] = [];
  const skipped: string[] = [];
  for (const t of tasks) {
    if ((Date.now() - started) / 60000 > maxMin) {
      skipped.push(JSON.stringify(t));
      log(`skipped (BENCH_MAX_MINUTES=${maxMin} reached): ${JSON.stringify(t)}`);
      continue;
    }
    if (t.kind === "core") core.push(...benchCore(t.ns, t.runs, log));
    else if (t.kind === "empty") empty = await benchEmpty(t.repeats, log);
    else if (t.kind === "engine") engine.push(await benchEngine(t, log));
    else if (t.kind === "profile") profiles.push(await profilePreview(t.n, log, t.env));
    else if (t.kind === "rsync") rsync.push(await benchRsync(t.n, t.repeats, log));
    else if (t.kind === "sites") sites.push(await benchSites(t.n, t.stacks, t.parallel, t.repeats, log));
    else if (t.kind === "status") statusRows.push(await benchStatus(t.n, t.transport, t.repeats, log));
    else peer.push(await benchPeer(t.n, t.repeats, t.ansibleNoop, log));
    report(loadStart, core, empty, engine, sites, rsync, peer, profiles, skipped, false);
  }
  report(loadStart, core, empty, engine, sites, rsync, peer, profiles, skipped, true);
}

function report(
  loadStart: number[],
  core: CoreRow[],
  empty: { preview: Stat; up: Stat } | undefined,
  engineRows: EngineRow[],
  sitesRows: SitesRow[],
  rsyncRows: RsyncRow[],
  peerRows: PeerRow[],
  profiles: ProfileRow[],
  skipped: string[],
  print: boolean,
): void {
  const m = machine(loadStart);
  const engine = [...engineRows].sort((a, b) => a.n - b.n);
  const rsync = [...rsyncRows].sort((a, b) => a.n - b.n);
  const peer = [...peerRows].sort((a, b) => a.n - b.n);
  const tables: Table[] = [];
  if (core.length) tables.push(coreTable(core));
  if (engine.length) tables.push(previewTable(engine), applyTable(engine));
  if (sitesRows.length) tables.push(sitesTable(sitesRows, engine));
  if (rsync.length) tables.push(rsyncTable(rsync));
  if (peer.length) tables.push(peerTable(peer));
  if (statusRows.length) tables.push(statusTable(statusRows));
  if (engine.length || empty) tables.push(profileTable(empty, engine));
  const parts = statePartsTable(engine);
  if (parts) tables.push(parts);
  if (profiles.length) tables.push(cpuTable(profiles));
  const goals = targets(engine);

  const machineLine = `${m.nproc} cores (${m.cpuModel}), ${m.memoryGb} GiB, ${m.kernel}, Node ${m.node}, Pulumi ${m.pulumi}, ansible-core ${m.ansibleCore}, ${m.rsync ?? "rsync"}; load average (1, 5, 15 min) ${m.loadStart} at start, ${m.loadEnd} at end; finished ${m.date} after ${m.minutes} min`;
  if (print) {
    console.log(`\nMachine: ${machineLine}\n`);
    for (const t of tables) console.log(`${t.title}\n\n${textTable(t.headers, t.rows)}\n${(t.notes ?? []).map((n) => `  ${n}`).join("\n")}\n`);
    if (goals.length) console.log(`Targets:\n${goals.map((g) => `  ${g}`).join("\n")}\n`);
    if (skipped.length) console.log(`Not run: ${skipped.join(" ")}\n`);
  }
  if (!write) return;
  const dir = __dirname;
  fs.writeFileSync(path.join(dir, "results.json"), JSON.stringify({ machine: m, plan: PLAN, skipped, core, empty, engine, sites: sitesRows, rsync, peer, profiles, status: statusRows }, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "results.svg"), chart(core, engine, rsync, peer, m));
  const md = [
    "# Benchmark results",
    "",
    mergedMachines.length
      ? "Written by `npm run bench` (bench/run.ts) from several bench processes of one session (listed below); each figure is the median of repeats with (min–max), and each ratio is taken within one process."
      : "Written by `npm run bench` (bench/run.ts); figures of one run, each the median of repeats with (min–max). Ratios are taken within this run.",
    "",
    `Machine: ${machineLine}. Quick mode: ${quick ? "yes" : "no"}. Absolute times depend on the machine and its load; compare ratios.`,
    "",
    ...mergedMachines.map((o) => `- Rows merged from another bench process of the same session, run concurrently on the same machine: load average ${o.loadStart} at its start, ${o.loadEnd} at its end, finished ${o.date} after ${o.minutes} min.`),
    ...(mergedMachines.length ? [""] : []),
    ...(skipped.length ? [`Tasks of the full plan not run here (BENCH_MAX_MINUTES, or the run was stopped; see the analysis): ${skipped.map((s) => `\`${s}\``).join(", ")}.`, ""] : []),
    "![benchmark chart](results.svg)",
    "",
    ...tables.flatMap((t) => [`## ${t.title}`, "", mdTable(t.headers, t.rows), "", ...(t.notes ?? []).map((n) => `- ${n}`), ""]),
    ...(goals.length ? ["## Targets", "", ...goals.map((g) => `- ${g}`), ""] : []),
    ...(fs.existsSync(path.join(dir, "ANALYSIS.md")) ? [fs.readFileSync(path.join(dir, "ANALYSIS.md"), "utf8")] : []),
  ].join("\n");
  fs.writeFileSync(path.join(dir, "RESULTS.md"), md);
  if (print) log(`wrote bench/RESULTS.md, bench/results.svg, bench/results.json`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
