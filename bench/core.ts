/**
 * Core benchmark: resolve + select + render of N servers on a generated catalog (200 profiles,
 * 20 distributions, 100 templates). Each N runs in its own Node process, so its peak RSS is that
 * N's alone. `benchCore()` drives the workers; run with `--worker N RUNS` to be one.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { loadCatalogSources } from "../src/catalog/load";
import { resolveCatalog } from "../src/catalog/resolve";
import { ServerSchema } from "../src/catalog/schema";
import { render } from "../src/render/render";
import { generateServers, generateSources } from "./generateCatalog";
import { type Stat, stat } from "./stats";

export const CORE_CATALOG = { profiles: 200, distributions: 20, templates: 100, seed: 42 };

export interface CoreRow {
  readonly n: number;
  readonly total: Stat;
  /** Of which resolving the catalog (once per run, like one CLI or Pulumi run). */
  readonly resolve: Stat;
  readonly filesPerServer: number;
  readonly peakRssMb: number;
  readonly heapUsedMb: number;
}

function worker(n: number, runs: number): CoreRow {
  const sources = generateSources(CORE_CATALOG);
  const servers = generateServers(n, Array.from({ length: CORE_CATALOG.profiles }, (_, i) => `prof${i}`)).map((s) => ServerSchema.parse(s));
  const totals: number[] = [];
  const resolves: number[] = [];
  let files = 0;
  let heap = 0;
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    const catalog = resolveCatalog(loadCatalogSources(sources));
    const t1 = performance.now();
    files = 0;
    for (const s of servers) files += render(catalog, s).files.length;
    const t2 = performance.now();
    heap = Math.max(heap, process.memoryUsage().heapUsed);
    if (r === 0) continue; // warm-up: module loading and JIT
    totals.push(t2 - t0);
    resolves.push(t1 - t0);
  }
  return {
    n,
    total: stat(totals),
    resolve: stat(resolves),
    filesPerServer: files / n,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: heap / 2 ** 20,
  };
}

export function benchCore(ns: readonly number[], runs: number, log: (s: string) => void): CoreRow[] {
  return ns.map((n) => {
    const out = execFileSync(path.join(__dirname, "..", "node_modules", ".bin", "tsx"), [__filename, "--worker", String(n), String(runs)], { encoding: "utf8" });
    const row = JSON.parse(out) as CoreRow;
    log(`core N=${n}: median ${row.total.median.toFixed(0)} ms, peak RSS ${row.peakRssMb.toFixed(0)} MB`);
    return row;
  });
}

/** Slope of log(time) over log(N) between the smallest and largest N: 1 is linear. */
export function growthExponent(rows: readonly CoreRow[]): number {
  const a = rows[0]!;
  const b = rows[rows.length - 1]!;
  return Math.log(b.total.median / a.total.median) / Math.log(b.n / a.n);
}

if (require.main === module && process.argv[2] === "--worker") {
  process.stdout.write(JSON.stringify(worker(Number(process.argv[3]), Number(process.argv[4]))));
}
