/**
 * Engine benchmarks on the real Pulumi CLI, local children: no-op preview, preview of one
 * template change touching k of N servers (checked through planFromPreview: the plan must name
 * exactly those k servers, or the bench fails), `pulumi up` of that change, and two
 * re-copy-everything baselines: every file rewritten through the engine, and every file written
 * straight through the transport with no engine at all.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCatalog, planFromPreview, render, resolveCatalog, ServerSchema, type Server } from "../src";
import type { PreviewJson as PlanPreviewJson } from "../src/plan/previewJson";
import { LocalTransport } from "../components/transports/local";
import type { Transport } from "../components/transports/transport";
import { createProject, type PreviewJson, type PulumiProject } from "../test/support/pulumi";
import { GROUPS, editTemplate, engineServers, groupTemplate, nodeTemplate, writeEngineCatalog } from "./engineCatalog";
import { type StatePart, stateParts } from "./stateParts";
import { type Stat, stat, timeAsync } from "./stats";

export const PROGRAM = path.join(__dirname, "engine", "program.ts");
/** A template every server renders: editing it touches all N. */
export const EVERY_SERVER_TEMPLATE = "base-tpl-0-0";

export interface EngineFleet {
  readonly n: number;
  readonly work: string;
  readonly catalogDir: string;
  readonly servers: Server[];
  readonly project: PulumiProject;
  readonly timingFile: string;
  dispose(): Promise<void>;
}

/** A temp project over the bench program with `n` children (local unless `transports` says otherwise). */
export async function createEngineFleet(
  n: number,
  opts: { transports?: (i: number) => Record<string, unknown>; secrets?: Record<string, string> } = {},
): Promise<EngineFleet> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-bench-"));
  const catalogDir = path.join(work, "catalog");
  writeEngineCatalog(catalogDir, Math.max(n, 1));
  const inputs = engineServers(n).map((s, i) => ({ ...s, transport: opts.transports ? opts.transports(i) : { kind: "local", root: path.join(work, "children", s.name) } }));
  const servers = inputs.map((s) => ServerSchema.parse(s));
  const timingFile = path.join(work, "program-timing.txt");
  const project = await createProject({
    name: "provisioning-bench",
    stack: "bench",
    main: PROGRAM,
    config: { "provisioning:catalog": catalogDir, "provisioning:servers": inputs },
    env: { BENCH_PROGRAM_TIMING: timingFile },
  });
  for (const [k, v] of Object.entries(opts.secrets ?? {})) await project.setConfig(`provisioning:${k}`, v, true);
  return {
    n,
    work,
    catalogDir,
    servers,
    project,
    timingFile,
    async dispose() {
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(project.dir, { recursive: true, force: true });
    },
  };
}

/** Servers a preview touches, as the product's plan (planFromPreview) reads them; it reads both shapes. */
export function touchedServers(preview: PreviewJson): { servers: string[]; steps: number } {
  const steps = preview.steps.filter((s) => s.op !== "same");
  return { servers: [...planFromPreview(preview as unknown as PlanPreviewJson).impact.touched], steps: steps.length };
}

/** The no-engine baseline: render every server and write every file through the transport. */
export async function directRepush(catalogDir: string, servers: readonly Server[], transportOf: (s: Server) => Transport): Promise<number> {
  const catalog = resolveCatalog(loadCatalog(catalogDir));
  let files = 0;
  await Promise.all(
    servers.map(async (server) => {
      const t = transportOf(server);
      for (const f of render(catalog, server).files) {
        if (f.content !== undefined) await t.writeFile(f.path, Buffer.from(f.content, "utf8"), f.sha256, f.mode);
        else await t.copyFile(f.path, f.payload!.path!, f.sha256, f.mode);
        files++;
      }
    }),
  );
  return files;
}

export interface ChangeRow {
  readonly k: number;
  readonly template: string;
  readonly touched: readonly string[];
  readonly steps: number;
  readonly preview: Stat;
  readonly up: Stat;
}

export interface EngineRow {
  readonly n: number;
  readonly filesPerServer: number;
  readonly resources: number;
  readonly stateMb: number;
  /** State bytes per server (the state file after the first rollout, over N). */
  readonly stateBytesPerServer: number;
  /** What the middle server's entries in the state after the first rollout are made of. */
  readonly stateParts?: StatePart[];
  readonly initialUpMs: number;
  readonly noopPreview: Stat;
  readonly programMs: Stat;
  readonly changes: readonly ChangeRow[];
  /** `pulumi up` rewriting every file of every server (all modes flipped). */
  readonly engineFull?: Stat;
  readonly engineFullSteps: number;
  /** Every file written straight through the transport, no engine. */
  readonly directFull: Stat;
  /** The k = N/10 change applied with PULUMI_SKIP_CHECKPOINTS (no state write per step). */
  readonly upSkipCheckpoints?: Stat;
}

function stateFile(f: EngineFleet): string | undefined {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith("bench.json")) found.push(p);
    }
  };
  const dir = path.join(f.project.dir, ".state", ".pulumi", "stacks");
  if (fs.existsSync(dir)) walk(dir);
  return found[0];
}

function lastProgramTiming(f: EngineFleet): { ms: number; resources: number } {
  const lines = fs.readFileSync(f.timingFile, "utf8").trim().split("\n");
  const [ms, resources] = lines[lines.length - 1]!.split(" ").map(Number);
  return { ms: ms!, resources: resources! };
}

const sec = (x: number) => `${(x / 1000).toFixed(1)} s`;

export interface EngineOptions {
  readonly n: number;
  readonly repeats: number;
  /** Repeats of the two full re-push baselines (they are the slow part at large N). */
  readonly fullRepeats: number;
  /** Also measure the k = N/10 change without a state write per step, to price those writes. */
  readonly skipCheckpoints?: boolean;
}

/** Runs `run` with no state write per step when `skip` is set. */
async function checkpointing<T>(p: PulumiProject, skip: boolean, run: () => Promise<T>): Promise<T> {
  if (skip) p.env.PULUMI_SKIP_CHECKPOINTS = "true";
  try {
    return await run();
  } finally {
    delete p.env.PULUMI_SKIP_CHECKPOINTS;
  }
}

export async function benchEngine(o: EngineOptions, log: (s: string) => void): Promise<EngineRow> {
  const { n, repeats } = o;
  const fleet = await createEngineFleet(n);
  const tag = `engine N=${n}`;
  try {
    const p = fleet.project;
    const initial = await timeAsync(() => p.up());
    log(`${tag}: initial up ${sec(initial.ms)}`);
    const sf = stateFile(fleet);
    // Measured after the first rollout: the re-push baseline below leaves every file's mode changed.
    const stateBytes = sf ? fs.statSync(sf).size : NaN;
    const stateMb = stateBytes / 2 ** 20;
    const parts = sf ? stateParts(JSON.parse(fs.readFileSync(sf, "utf8")), fleet.servers[Math.floor(n / 2)]!.name) : undefined;
    const { resources } = lastProgramTiming(fleet);

    const noop: number[] = [];
    const program: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const { ms, value } = await timeAsync(() => p.preview());
      const t = touchedServers(value);
      if (t.steps !== 0) throw new Error(`${tag}: no-op preview has ${t.steps} changes`);
      noop.push(ms);
      program.push(lastProgramTiming(fleet).ms);
      log(`${tag}: no-op preview ${sec(ms)}`);
    }

    const changes: ChangeRow[] = [];
    const skip: number[] = [];
    // One server, a tenth (a group's template), all of them (a template every server renders).
    const ks = [...new Set([1, Math.max(1, Math.floor(n / GROUPS)), n])];
    for (const k of ks) {
      const template = k === 1 ? nodeTemplate(0) : k === n ? EVERY_SERVER_TEMPLATE : groupTemplate(0);
      const expected = fleet.servers.map((s) => s.name).filter((_, i) => (k === 1 ? i === 0 : k === n ? true : i % GROUPS === 0));
      if (expected.length !== k) throw new Error(`${tag}: template ${template} reaches ${expected.length} servers, not ${k}`);
      const previews: number[] = [];
      const ups: number[] = [];
      let touched: string[] = [];
      let steps = 0;
      // The change touching all N is measured once: at 1,000 servers it is the slow one.
      const reps = k === n && n > 1 ? 1 : repeats;
      const rounds = reps + (o.skipCheckpoints && k > 1 && k < n ? repeats : 0);
      for (let r = 0; r < rounds; r++) {
        const skipping = r >= reps;
        editTemplate(fleet.catalogDir, template, `# revision ${r}`);
        const pv = await timeAsync(() => p.preview());
        const t = touchedServers(pv.value);
        if (JSON.stringify(t.servers) !== JSON.stringify(expected)) {
          throw new Error(`${tag} k=${k}: the plan names ${t.servers.length} servers (${t.servers.join(", ")}), expected exactly ${expected.join(", ")}`);
        }
        touched = t.servers;
        steps = t.steps;
        const up = await checkpointing(p, skipping, () => timeAsync(() => p.up()));
        if (skipping) skip.push(up.ms);
        else {
          previews.push(pv.ms);
          ups.push(up.ms);
        }
        log(`${tag} k=${k}: preview ${sec(pv.ms)} (${steps} steps on ${touched.length} servers), up${skipping ? " with PULUMI_SKIP_CHECKPOINTS" : ""} ${sec(up.ms)}`);
      }
      changes.push({ k, template, touched, steps, preview: stat(previews), up: stat(ups) });
    }

    const engineFull: number[] = [];
    let engineFullSteps = 0;
    for (let r = 0; r < o.fullRepeats; r++) {
      // Alternate between an overriding mode and the rendered modes: every file differs each time.
      if (r % 2 === 0) p.env.BENCH_MODE_OVERRIDE = "0640";
      else delete p.env.BENCH_MODE_OVERRIDE;
      if (r === 0) engineFullSteps = (await p.preview()).steps.filter((s) => s.op !== "same").length;
      const up = await timeAsync(() => p.up());
      engineFull.push(up.ms);
      log(`${tag}: full re-push through the engine ${sec(up.ms)} (${engineFullSteps} steps)`);
    }
    delete p.env.BENCH_MODE_OVERRIDE;

    const direct: number[] = [];
    for (let r = 0; r < Math.max(3, o.fullRepeats); r++) {
      const { ms } = await timeAsync(() => directRepush(fleet.catalogDir, fleet.servers, (s) => new LocalTransport((s.transport as { root: string }).root)));
      direct.push(ms);
    }
    log(`${tag}: direct re-copy of every file ${sec(stat(direct).median)}`);
    const files = render(resolveCatalog(loadCatalog(fleet.catalogDir)), fleet.servers[0]!).files.length;
    return {
      n,
      filesPerServer: files,
      resources,
      stateMb,
      stateBytesPerServer: stateBytes / Math.max(1, n),
      ...(parts ? { stateParts: parts } : {}),
      initialUpMs: initial.ms,
      noopPreview: stat(noop),
      programMs: stat(program),
      changes,
      ...(engineFull.length ? { engineFull: stat(engineFull) } : {}),
      engineFullSteps,
      directFull: stat(direct),
      ...(skip.length ? { upSkipCheckpoints: stat(skip) } : {}),
    };
  } finally {
    await fleet.dispose();
  }
}

/** Fixed cost of one CLI run: preview and up of the bench program with no servers. */
export async function benchEmpty(repeats: number, log: (s: string) => void): Promise<{ preview: Stat; up: Stat }> {
  const fleet = await createEngineFleet(0);
  try {
    const ups: number[] = [];
    const previews: number[] = [];
    for (let r = 0; r < repeats; r++) {
      ups.push((await timeAsync(() => fleet.project.up())).ms);
      previews.push((await timeAsync(() => fleet.project.preview())).ms);
    }
    const row = { preview: stat(previews), up: stat(ups) };
    log(`engine N=0: preview ${sec(row.preview.median)}, up ${sec(row.up.median)}`);
    return row;
  } finally {
    await fleet.dispose();
  }
}
