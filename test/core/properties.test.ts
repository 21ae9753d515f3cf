import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shuffleCatalogInput, toSources } from "../../bench/generateCatalog";
import { loadCatalogSources } from "../../src/catalog/load";
import { type ResolvedCatalog, resolveCatalog } from "../../src/catalog/resolve";
import { impact } from "../../src/impact";
import { MENU_TEMPLATES } from "../../src/render/builtinTemplates";
import { render } from "../../src/render/render";
import { type Selection, select } from "../../src/select";
import { catalogCaseArb } from "./arbitraries";

const key = (k: string, n: string) => `${k}:${n}`;

/** What served profiles need, computed independently of select.ts. */
function needed(r: ResolvedCatalog, served: readonly string[]): Set<string> {
  const out = new Set<string>();
  const tmpl = (t: string) => {
    if (out.has(key("template", t))) return;
    out.add(key("template", t));
    r.templates.get(t)!.includes.forEach(tmpl);
  };
  for (const name of served) {
    const p = r.profiles.get(name)!;
    out.add(key("profile", name));
    for (const a of p.ancestors) out.add(key("profile", a));
    const m = r.mappings.get(name)!;
    out.add(key("distribution", m.distribution));
    out.add(key("distributionProfile", m.name));
    tmpl(p.autoinstall!);
    for (const cf of p.configFiles) {
      out.add(key("configFile", cf));
      tmpl(r.configFiles.get(cf)!.template);
    }
  }
  Object.keys(MENU_TEMPLATES).forEach(tmpl);
  return out;
}

function closureHolds(r: ResolvedCatalog, s: Selection): void {
  const has = new Set(s.objects.map((o) => key(o.kind, o.name)));
  for (const o of s.objects) {
    if (o.kind === "profile") {
      const p = r.profiles.get(o.name)!;
      if (p.parent) expect(has.has(key("profile", p.parent))).toBe(true);
    }
    if (o.kind === "template") for (const inc of r.templates.get(o.name)!.includes) expect(has.has(key("template", inc))).toBe(true);
    if (o.kind === "configFile") expect(has.has(key("template", r.configFiles.get(o.name)!.template))).toBe(true);
    if (o.kind === "distributionProfile") {
      const m = [...r.mappings.values()].find((x) => x.name === o.name)!;
      expect(has.has(key("distribution", m.distribution))).toBe(true);
      expect(has.has(key("profile", m.profile))).toBe(true);
    }
  }
  for (const p of s.profiles) {
    const rp = r.profiles.get(p)!;
    expect(has.has(key("template", rp.autoinstall!))).toBe(true);
    for (const cf of rp.configFiles) expect(has.has(key("configFile", cf))).toBe(true);
  }
}

describe("properties on generated catalogs", () => {
  it("closure, no stray objects, arch filtering", () => {
    fc.assert(
      fc.property(catalogCaseArb, ({ input, server }) => {
        const r = resolveCatalog(loadCatalogSources(toSources(input)));
        const s = select(r, server);
        closureHolds(r, s);
        expect(new Set(s.objects.map((o) => key(o.kind, o.name)))).toEqual(needed(r, s.profiles));
        for (const p of s.profiles) expect(server.arch).toContain(r.distributions.get(r.mappings.get(p)!.distribution)!.arch);
      }),
      { numRuns: 60 },
    );
  });

  it("render is deterministic and independent of YAML list order and file split", () => {
    fc.assert(
      fc.property(catalogCaseArb, ({ input, server, shuffleSeed }) => {
        const a = render(resolveCatalog(loadCatalogSources(toSources(input))), server);
        const again = render(resolveCatalog(loadCatalogSources(toSources(input))), server);
        const b = render(resolveCatalog(loadCatalogSources(toSources(shuffleCatalogInput(input, shuffleSeed), false))), server);
        const bytes = (t: typeof a) => t.files.map((f) => [f.path, f.sha256, f.content ?? f.payload?.url]);
        expect(bytes(again)).toEqual(bytes(a));
        expect(bytes(b)).toEqual(bytes(a));
        expect(b.selection).toEqual(a.selection);
      }),
      { numRuns: 60 },
    );
  });

  it("impact of a catalog against itself touches nothing", () => {
    fc.assert(
      fc.property(catalogCaseArb, ({ input, server, shuffleSeed }) => {
        const before = resolveCatalog(loadCatalogSources(toSources(input)));
        const after = resolveCatalog(loadCatalogSources(toSources(shuffleCatalogInput(input, shuffleSeed))));
        const i = impact(before, after, [server]);
        expect(i.touched).toEqual([]);
        expect(i.servers[server.name]).toEqual({ status: "same", objects: [], files: [] });
      }),
      { numRuns: 40 },
    );
  });
});
