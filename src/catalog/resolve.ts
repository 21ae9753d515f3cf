/**
 * Resolution: inheritance, references, distribution mappings and template compilation, done once
 * per catalog (payloads were checked by the loader). Everything per-server (select, render) reads from the
 * ResolvedCatalog, so its maps double as the cache that keeps 500 servers under a second.
 */
import { BUILTIN_TEMPLATES, HOST_TEMPLATES, MENU_TEMPLATES } from "../render/builtinTemplates";
import { TemplateEngine, type TemplateEntry, TemplateFailure, transitiveIncludes } from "../render/templateEngine";
import { compareStrings, sortedUnique } from "../util/canonical";
import { resolveBootLoaders, type ResolvedBootLoader } from "./bootLoaders";
import { type PayloadFile, payloadKey } from "./checksums";
import { type ResolvedHost, resolveHosts } from "./hosts";
import { directMappings, mappingName } from "./distributionMapping";
import { type CatalogIssue, CatalogError, knownList } from "./errors";
import { type MergedKernelOptions, type MergedVariables, inheritanceChains, lastDefined, mergeMaps } from "./inheritance";
import type { Catalog, Located } from "./load";
import type { ConfigFile, Distribution, Origin, Profile, TemplateKind } from "./schema";

export type ResolvedDistribution = Located<Distribution> & { readonly kernelFile: PayloadFile; readonly initrdFile: PayloadFile };

export interface ResolvedProfile {
  readonly name: string;
  readonly parent?: string;
  /** Nearest first: `[web, base]` for `web-frontend`. */
  readonly ancestors: readonly string[];
  readonly distribution?: string;
  readonly autoinstall?: string;
  /** Distribution options, then the chain root-first; nulls applied; keys sorted. */
  readonly kernelOptions: MergedKernelOptions;
  readonly variables: MergedVariables;
  /** Union along the chain, sorted. */
  readonly configFiles: readonly string[];
  readonly origin: Origin;
}

export type ResolvedTemplate = TemplateEntry & {
  /** Direct and transitive dependencies through include/import/extends, sorted. */
  readonly includes: readonly string[];
  readonly closure: readonly string[];
};

export interface ResolvedMapping {
  /** `web->el9-x86_64` */
  readonly name: string;
  readonly profile: string;
  readonly distribution: string;
  /** Profile that declares the mapping (an ancestor when inherited). */
  readonly declaredBy: string;
  readonly origin: Origin;
}

export interface ResolvedCatalog {
  readonly catalog: Catalog;
  readonly distributions: ReadonlyMap<string, ResolvedDistribution>;
  readonly profiles: ReadonlyMap<string, ResolvedProfile>;
  readonly templates: ReadonlyMap<string, ResolvedTemplate>;
  readonly configFiles: ReadonlyMap<string, Located<ConfigFile>>;
  /** By profile name; only profiles that resolve to a distribution. */
  readonly mappings: ReadonlyMap<string, ResolvedMapping>;
  /** By name; files checksummed, file names checked against each other and the layout. */
  readonly bootLoaders: ReadonlyMap<string, ResolvedBootLoader>;
  /** By name; each with its profile's variables under its own. */
  readonly hosts: ReadonlyMap<string, ResolvedHost>;
  readonly engine: TemplateEngine;
  readonly warnings: readonly CatalogIssue[];
  /** Per-catalog memo for select/render/impact (keyed by those modules). */
  readonly memo: Map<string, unknown>;
}

const byName = <T extends { name: string }>(xs: readonly T[]) => new Map([...xs].sort((a, b) => compareStrings(a.name, b.name)).map((x) => [x.name, x]));

/** Resolve a loaded catalog or throw one CatalogError with every issue found. */
export function resolveCatalog(catalog: Catalog): ResolvedCatalog {
  const issues: CatalogIssue[] = [];
  const warnings: CatalogIssue[] = [];
  const rawProfiles = byName(catalog.profiles);
  const rawDists = byName(catalog.distributions);
  const configFiles = byName(catalog.configFiles);

  const distributions = new Map<string, ResolvedDistribution>();
  for (const d of rawDists.values()) {
    const payload = (key: string) => catalog.payloads[payloadKey("distribution", d.name, key)]!;
    distributions.set(d.name, { ...d, kernelFile: payload("kernel"), initrdFile: payload("initrd") });
  }

  const bootLoaders = resolveBootLoaders(catalog.bootLoaders, catalog.payloads, issues);
  const { templates, engine } = resolveTemplates(catalog, issues);
  const lineOf = (o: Origin, key: string) => o.keyLines[key] ?? o.line;
  const templateRef = (o: Origin, key: string, name: string, kind: TemplateKind) => {
    const t = templates.get(name);
    if (!t) {
      const known = [...templates.values()].filter((x) => x.kind === kind).map((x) => x.name);
      issues.push({ file: o.file, line: lineOf(o, key), path: `${o.path}.${key}`, message: `unknown template ${JSON.stringify(name)} (${kind} templates ${knownList(known)})`, severity: "error" });
    } else if (t.kind !== kind) {
      issues.push({ file: o.file, line: lineOf(o, key), path: `${o.path}.${key}`, message: `template ${JSON.stringify(name)} is of kind ${t.kind}, expected ${kind}`, severity: "error" });
    }
  };
  for (const cf of configFiles.values()) templateRef(cf.origin, "template", cf.template, "config");

  const chains = inheritanceChains(rawProfiles, issues);
  const direct = directMappings(rawProfiles, rawDists, catalog.distributionProfiles, issues);
  const hasChildren = new Set([...rawProfiles.values()].map((p) => p.parent).filter((x): x is string => x !== undefined));

  const profiles = new Map<string, ResolvedProfile>();
  const mappings = new Map<string, ResolvedMapping>();
  for (const p of rawProfiles.values()) {
    if (p.autoinstall !== undefined) templateRef(p.origin, "autoinstall", p.autoinstall, "autoinstall");
    (p.configFiles ?? []).forEach((cf, i) => {
      if (!configFiles.has(cf)) {
        issues.push({
          file: p.origin.file,
          line: lineOf(p.origin, `configFiles[${i}]`),
          path: `${p.origin.path}.configFiles[${i}]`,
          message: `unknown config file ${JSON.stringify(cf)} (${knownList(configFiles.keys())})`,
          severity: "error",
        });
      }
    });
    const chainNames = chains.get(p.name);
    if (!chainNames) continue; // cycle or unknown parent, already reported
    const chain = chainNames.map((n) => rawProfiles.get(n)!) as Located<Profile>[];
    const declaring = [...chain].reverse().find((c) => direct.has(c.name));
    const distName = declaring ? direct.get(declaring.name)!.distribution : undefined;
    const dist = distName !== undefined ? rawDists.get(distName) : undefined;
    const resolved: ResolvedProfile = {
      name: p.name,
      ...(p.parent !== undefined ? { parent: p.parent } : {}),
      ancestors: chainNames.slice(0, -1).reverse(),
      ...(distName !== undefined ? { distribution: distName } : {}),
      ...(lastDefined(chain.map((c) => c.autoinstall)) !== undefined ? { autoinstall: lastDefined(chain.map((c) => c.autoinstall))! } : {}),
      kernelOptions: mergeMaps([dist?.kernelOptions, ...chain.map((c) => c.kernelOptions)]),
      variables: mergeMaps([...chain.map((c) => c.variables)]),
      configFiles: sortedUnique(chain.flatMap((c) => c.configFiles ?? [])),
      origin: p.origin,
    };
    profiles.set(p.name, resolved);
    if (declaring && distName !== undefined) {
      const m = direct.get(declaring.name)!;
      mappings.set(p.name, { name: mappingName(p.name, distName), profile: p.name, distribution: distName, declaredBy: declaring.name, origin: m.origin });
      if (resolved.autoinstall === undefined) {
        issues.push({ file: p.origin.file, line: p.origin.line, path: p.origin.path, message: `profile ${JSON.stringify(p.name)} has a distribution but no autoinstall template (set autoinstall here or on an ancestor)`, severity: "error" });
      }
    } else if (!hasChildren.has(p.name)) {
      // A leaf is meant to be served; only abstract parents may lack a distribution.
      issues.push({ file: p.origin.file, line: p.origin.line, path: p.origin.path, message: `profile ${JSON.stringify(p.name)} resolves to no distribution (set distribution, add a distributionProfiles entry, or inherit one)`, severity: "error" });
    }
  }

  const hosts = resolveHosts(catalog.hosts, profiles, new Set(mappings.keys()), issues);

  if (issues.length > 0) throw new CatalogError([...issues, ...warnings]);
  return { catalog, distributions, profiles, templates, configFiles, mappings, bootLoaders, hosts, engine, warnings, memo: new Map() };
}

/**
 * Catalog templates plus builtin menus they do not override, each parsed, checked and compiled
 * (see templateEngine.ts); includes checked and closed.
 */
function resolveTemplates(catalog: Catalog, issues: CatalogIssue[]): { templates: Map<string, ResolvedTemplate>; engine: TemplateEngine } {
  const entries = new Map<string, TemplateEntry>();
  for (const b of BUILTIN_TEMPLATES) entries.set(b.name, { name: b.name, kind: b.kind, body: b.body, bodyFile: `(builtin ${b.name})`, bodyLineOffset: 0, builtin: true });
  for (const t of [...catalog.templates].sort((a, b) => compareStrings(a.name, b.name))) {
    const menuKind = MENU_TEMPLATES[t.name] ?? HOST_TEMPLATES[t.name];
    if (menuKind !== undefined && t.kind !== menuKind) {
      issues.push({ file: t.origin.file, line: t.origin.keyLines["kind"] ?? t.origin.line, path: `${t.origin.path}.kind`, message: `template ${JSON.stringify(t.name)} overrides a builtin ${MENU_TEMPLATES[t.name] ? "menu" : "host entry"} and must be of kind ${menuKind}, not ${t.kind}`, severity: "error" });
    }
    entries.set(t.name, { name: t.name, kind: t.kind, body: t.body, bodyFile: t.bodyFile, bodyLineOffset: t.bodyLineOffset, builtin: false, origin: t.origin });
  }
  const engine = new TemplateEngine(entries);
  const direct = new Map<string, string[]>();
  for (const t of entries.values()) {
    let incs: readonly string[];
    try {
      incs = engine.compile(t.name);
    } catch (e) {
      if (!(e instanceof TemplateFailure)) throw e;
      issues.push(e.issue);
      incs = [];
    }
    for (const inc of incs) {
      const target = entries.get(inc);
      const line = t.bodyLineOffset + 1 + (t.body.slice(0, Math.max(0, t.body.search(new RegExp(`["']${inc.replace(/[.]/g, "\\.")}["']`)))).split("\n").length - 1);
      if (!target) {
        const snippets = [...entries.values()].filter((x) => x.kind === "snippet").map((x) => x.name);
        issues.push({ file: t.bodyFile, line, path: `template ${t.name}`, message: `includes unknown template ${JSON.stringify(inc)} (snippet templates ${knownList(snippets)})`, severity: "error" });
      } else if (target.kind !== "snippet") {
        issues.push({ file: t.bodyFile, line, path: `template ${t.name}`, message: `includes ${JSON.stringify(inc)} which is of kind ${target.kind}, expected snippet`, severity: "error" });
      }
    }
    direct.set(t.name, incs.filter((i) => entries.has(i)));
  }
  // Include cycles would make nunjucks recurse forever: report them before anything renders.
  const reported = new Set<string>();
  for (const name of [...direct.keys()].sort(compareStrings)) {
    const path: string[] = [];
    const visit = (n: string): boolean => {
      const at = path.indexOf(n);
      if (at >= 0) {
        const cyc = path.slice(at);
        const key = [...cyc].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          const t = entries.get(n)!;
          issues.push({ file: t.bodyFile, line: t.origin?.line ?? 0, path: `template ${n}`, message: `include cycle: ${[...cyc, n].join(" -> ")}`, severity: "error" });
        }
        return true;
      }
      path.push(n);
      for (const d of direct.get(n) ?? []) if (visit(d)) return true;
      path.pop();
      return false;
    };
    visit(name);
  }
  const templates = new Map<string, ResolvedTemplate>();
  for (const name of [...entries.keys()].sort(compareStrings)) {
    const t = entries.get(name)!;
    templates.set(name, { ...t, includes: direct.get(name)!, closure: transitiveIncludes(name, (n) => direct.get(n) ?? []) });
  }
  return { templates, engine };
}
