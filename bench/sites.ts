/**
 * Site stacks on the real CLI: the engine bench's N servers split into S stacks (one per site,
 * one catalog, one file backend), driven by `provision up|plan --stacks 'site-*' --parallel P`
 * exactly as a user runs them. Measured: the first rollout, a no-op plan, a plan and an up of
 * one change touching one server, and of one touching all N. Every plan must name exactly the
 * servers its change reaches (`<stack>/<server>`), or the bench fails.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import type { Impact } from "../src/impact";
import { createProject, type PulumiProject } from "../test/support/pulumi";
import { provisionOk } from "../test/support/provisionCli";
import { EVERY_SERVER_TEMPLATE, PROGRAM } from "./engine";
import { editTemplate, engineServers, nodeTemplate, writeEngineCatalog } from "./engineCatalog";
import { type Stat, stat, timeAsync } from "./stats";

export interface SitesRow {
  readonly n: number;
  readonly stacks: number;
  readonly parallel: number;
  readonly firstUpMs: number;
  readonly noopPlan: Stat;
  readonly oneChangePlan: Stat;
  readonly oneChangeUp: Stat;
  readonly allChangePlanMs: number;
  readonly allChangeUpMs: number;
}

const stackName = (s: number) => `site-${String(s).padStart(2, "0")}`;

export async function benchSites(n: number, stacks: number, parallel: number, repeats: number, log: (s: string) => void): Promise<SitesRow> {
  const tag = `sites N=${n} in ${stacks} stacks, ${parallel} at a time`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-bench-sites-"));
  const catalogDir = path.join(work, "catalog");
  writeEngineCatalog(catalogDir, n);
  const all = engineServers(n).map((s) => ({ ...s, transport: { kind: "local", root: path.join(work, "children", s.name) } }));
  // Server i belongs to stack i mod S: every stack holds servers of every group.
  const stackOf = (i: number) => stackName(i % stacks);
  const configOf = (s: number) => ({ "provisioning:catalog": catalogDir, "provisioning:servers": all.filter((_, i) => i % stacks === s) });
  let project: PulumiProject | undefined;
  try {
    project = await createProject({ name: "provisioning-bench", stack: stackName(0), main: PROGRAM, config: configOf(0) });
    for (let s = 1; s < stacks; s++) {
      await project.ok(["stack", "init", stackName(s)]);
      fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${stackName(s)}.yaml`), stringify({ config: configOf(s) }));
    }
    const p = project;
    const cli = (verb: "plan" | "up") => provisionOk(p, [verb, "--stacks", "site-*", "--parallel", String(parallel), "--project", p.dir, ...(verb === "plan" ? ["--json"] : [])]);
    const plan = async (expected: readonly string[]) => {
      const { ms, value } = await timeAsync(() => cli("plan"));
      const touched = [...(JSON.parse(value.stdout) as Impact).touched].sort();
      if (JSON.stringify(touched) !== JSON.stringify([...expected].sort())) {
        throw new Error(`${tag}: the plan names ${touched.length} servers (${touched.slice(0, 5).join(", ")}…), expected ${expected.length}`);
      }
      return ms;
    };
    const named = (i: number) => `${stackOf(i)}/${all[i]!.name}`;

    const first = await timeAsync(() => cli("up"));
    log(`${tag}: first rollout ${(first.ms / 1000).toFixed(1)} s`);
    const noop: number[] = [];
    for (let r = 0; r < repeats; r++) noop.push(await plan([]));
    log(`${tag}: no-op plan ${(stat(noop).median / 1000).toFixed(1)} s`);
    const onePlan: number[] = [];
    const oneUp: number[] = [];
    for (let r = 0; r < repeats; r++) {
      editTemplate(catalogDir, nodeTemplate(0), `# revision ${r}`);
      onePlan.push(await plan([named(0)]));
      oneUp.push((await timeAsync(() => cli("up"))).ms);
      log(`${tag}: one change: plan ${(onePlan[r]! / 1000).toFixed(1)} s, up ${(oneUp[r]! / 1000).toFixed(1)} s`);
    }
    editTemplate(catalogDir, EVERY_SERVER_TEMPLATE, "# every server");
    const allPlanMs = await plan(all.map((_, i) => named(i)));
    const allUp = await timeAsync(() => cli("up"));
    log(`${tag}: change touching all: plan ${(allPlanMs / 1000).toFixed(1)} s, up ${(allUp.ms / 1000).toFixed(1)} s`);
    return { n, stacks, parallel, firstUpMs: first.ms, noopPlan: stat(noop), oneChangePlan: stat(onePlan), oneChangeUp: stat(oneUp), allChangePlanMs: allPlanMs, allChangeUpMs: allUp.ms };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (project) fs.rmSync(project.dir, { recursive: true, force: true });
  }
}
