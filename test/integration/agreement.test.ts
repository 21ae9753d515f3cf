// The pure `impact` and the engine's `plan` agree. A generated catalog is brought up on ten
// local children; then, one at a time, seeded random single edits (template text, snippet,
// kernel option, inheritance, served profiles, distribution payload, config file destination,
// added and removed profiles) are written to the stack's catalog or server list. For
// each, `provision plan --json` (the real `pulumi preview --json` against the state of the
// unedited catalog) must name the same servers, objects and files, with the same ops, as
// `impact(before, after, servers)` — and the same masked diffs of every changed file, grouped
// across servers the same way (the plan finds the text before in the content store the first
// up filled; impact renders both catalogs). Each edit is reverted before the next one.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prng } from "../../bench/generateCatalog";
import { changesJson, groupChanges, impactReview, loadCatalog, render, resolveCatalog, type Impact, type ResolvedCatalog, type ServerInput } from "../../src";
import { EDITS, EDIT_SEED, KINDS, baseCatalog, clone, fleetServers, parseServers, valid, writeCatalog, type Edit, type Input } from "../support/catalogEdits";
import { createFleet, type Fleet } from "../support/fleet";
import { planJson } from "../support/provisionCli";

type Reviewed = Impact & { changes: (Record<string, unknown> & { kind: string; diff?: string })[] };

/** Origins are a reader's aid: a plan knows a deleted file's only with --base, so they are not compared. */
const withoutOrigins = (r: Reviewed): Reviewed => ({ ...r, changes: r.changes.map(({ origins: _o, ...c }) => c) });

function reviewed(...args: Parameters<typeof impactReview>): Reviewed {
  const r = impactReview(...args);
  return withoutOrigins({ ...r.impact, changes: changesJson(groupChanges(r.files, r.contents)) } as Reviewed);
}

describe("impact and plan agree on random single edits", () => {
  let fleet: Fleet;
  let genDir: string;
  let base: Input;
  let before: ResolvedCatalog;
  let baseServers: ServerInput[];

  beforeAll(async () => {
    genDir = fs.mkdtempSync(path.join(os.tmpdir(), "agreement-catalog-"));
    base = baseCatalog(genDir);
    writeCatalog(genDir, base);
    fleet = await createFleet({ transport: "local", catalog: genDir, catalogSecrets: ["pw"], servers: fleetServers(resolveCatalog(loadCatalog(genDir))) });
    await fleet.project.setConfig("provisioning:pw", "generated-catalog-password", true);
    baseServers = clone(fleet.servers);
    before = resolveCatalog(loadCatalog(fleet.catalogDir));
    // Every server serves something: an empty child would make edits trivially agree.
    for (const s of parseServers(baseServers)) expect(render(before, s).selection.profiles.length, s.name).toBeGreaterThan(0);
    await fleet.project.up();
  });
  afterAll(async () => {
    await fleet?.dispose();
    if (genDir) fs.rmSync(genDir, { recursive: true, force: true });
  });

  it(`${EDITS} edits: the same servers, objects, files and diffs`, async () => {
    const rnd = prng(EDIT_SEED);
    const kinds = Object.keys(KINDS);
    const disagreements: { edit: string; impact: Reviewed; plan: Reviewed }[] = [];
    let diffs = 0;
    const touching = new Map<string, number>();
    const started = Date.now();
    for (let n = 0; n < EDITS; n++) {
      const kind = kinds[n % kinds.length]!;
      // An edit that makes the catalog invalid is drawn again (the stack would refuse it); so is
      // one that touches no server, a few times, so that most edits change files somewhere.
      let chosen: { edit: Edit; predicted: Reviewed } | undefined;
      for (let attempt = 0; attempt < 20 && !(chosen && (chosen.predicted.touched.length > 0 || kind === "destination" || attempt > 5)); attempt++) {
        const edit = KINDS[kind]!(rnd, n, base, baseServers, fleet.catalogDir);
        writeCatalog(fleet.catalogDir, edit.input);
        const after = valid(fleet.catalogDir, edit.servers);
        if (after) chosen = { edit, predicted: reviewed(before, after, parseServers(baseServers), parseServers(edit.servers)) };
      }
      expect(chosen, `a valid ${kind} edit`).toBeDefined();
      const { edit, predicted } = chosen!;
      writeCatalog(fleet.catalogDir, edit.input);
      if (edit.servers !== baseServers) fleet.writeServers(edit.servers);

      // The validators' report is the plan's own (impact runs none).
      const { validators: _v, ...engine } = (await planJson(fleet.project)) as Reviewed & { validators?: unknown };
      const planned = withoutOrigins(engine);
      diffs += planned.changes.filter((c) => c.kind === "text" && c.diff !== "").length;
      if (!isDeepStrictEqual(planned, predicted)) {
        disagreements.push({ edit: `#${n} ${edit.label}`, impact: predicted, plan: planned });
        console.log(`agreement: #${n} ${edit.label} disagrees\nimpact: ${JSON.stringify(predicted)}\nplan:   ${JSON.stringify(planned)}`);
      }
      if (predicted.touched.length > 0) touching.set(kind, (touching.get(kind) ?? 0) + 1);

      writeCatalog(fleet.catalogDir, base);
      if (edit.servers !== baseServers) fleet.writeServers(baseServers);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`agreement: ${EDITS} edits planned in ${seconds.toFixed(0)} s (${(seconds / EDITS).toFixed(1)} s per plan); edits touching servers by kind: ${JSON.stringify(Object.fromEntries(touching))}`);

    expect(disagreements).toEqual([]);
    // The diffs were compared, not absent on both sides.
    console.log(`agreement: ${diffs} text diffs compared`);
    expect(diffs).toBeGreaterThan(EDITS / 2);
    // The edits were not vacuous: every kind that changes rendered bytes touched servers.
    for (const kind of kinds.filter((k) => k !== "destination")) expect(touching.get(kind) ?? 0, kind).toBeGreaterThan(0);
  }, 45 * 60_000); // one real preview per edit: minutes on two busy cores
});
