/**
 * Core benchmark: select + render for many servers. Exports `benchCore()` (rows) and `main()`
 * (prints a table); `bench/run.ts` wires it into `npm run bench`.
 */
import * as path from "node:path";
import { loadCatalog, loadCatalogSources } from "../src/catalog/load";
import { type ResolvedCatalog, resolveCatalog } from "../src/catalog/resolve";
import { type Server, ServerSchema } from "../src/catalog/schema";
import { render } from "../src/render/render";
import { textTable } from "../src/report/table";
import { generateServers, generateSources } from "./generateCatalog";

export interface BenchRow {
  readonly scenario: string;
  readonly n: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly peakRssMb: number;
}

function timeIt(scenario: string, n: number, runs: number, fn: () => void): BenchRow {
  const times: number[] = [];
  let peak = process.memoryUsage().rss;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  times.sort((a, b) => a - b);
  const r2 = (x: number) => Math.round(x * 10) / 10;
  return { scenario, n, medianMs: r2(times[Math.floor(times.length / 2)]!), minMs: r2(times[0]!), maxMs: r2(times[times.length - 1]!), peakRssMb: r2(peak / 2 ** 20) };
}

/** Fresh resolve per run: the timing includes the per-catalog work, like one CLI or Pulumi run. */
function renderAll(load: () => ResolvedCatalog, servers: readonly Server[]): void {
  const resolved = load();
  for (const s of servers) render(resolved, s);
}

export function benchCore(runs = 7): BenchRow[] {
  const example = path.join(__dirname, "..", "stacks", "catalogs", "example");
  const exampleProfiles = ["base", "web", "web-frontend", "db", "edge-arm", "build-amd64"];
  const exampleServers = Array.from({ length: 500 }, (_, i) =>
    ServerSchema.parse({
      name: `srv${i}`,
      transport: { kind: "local", root: `/srv/prov/srv${i}` },
      arch: i % 3 === 0 ? ["x86_64", "aarch64"] : ["x86_64"],
      site: `site${i % 9}`,
      profiles: i % 2 ? ["web*", "db"] : exampleProfiles,
      tftpPort: 10000 + i,
      httpPort: 20000 + i,
      address: `10.0.${i >> 8}.${i & 255}`,
    }),
  );
  const gen = { profiles: 200, distributions: 20, templates: 100, seed: 42 };
  const genSources = generateSources(gen);
  const genServers = generateServers(500, Array.from({ length: gen.profiles }, (_, i) => `prof${i}`)).map((s) => ServerSchema.parse(s));
  return [
    timeIt("example catalog: load+resolve+select+render", 500, runs, () => renderAll(() => resolveCatalog(loadCatalog(example)), exampleServers)),
    timeIt("generated 200 profiles/20 dists/100 templates: resolve+select+render", 500, runs, () => renderAll(() => resolveCatalog(loadCatalogSources(genSources)), genServers)),
  ];
}

export function formatBench(rows: readonly BenchRow[]): string {
  return textTable(
    ["scenario", "servers", "median ms", "min ms", "max ms", "peak RSS MB"],
    rows.map((r) => [r.scenario, String(r.n), String(r.medianMs), String(r.minMs), String(r.maxMs), String(r.peakRssMb)]),
  );
}

export function main(): void {
  console.log(formatBench(benchCore()));
}

if (require.main === module) main();
