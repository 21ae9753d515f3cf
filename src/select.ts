/**
 * Selection: every object a child server must hold, each with the reason it is needed.
 * Served profiles (by name or glob, arch-filtered), their ancestors, distribution and mapping,
 * autoinstall template, config files and their templates, every snippet those include, and the
 * boot menus with the boot loaders that load them; and the hosts that name the server or its site,
 * each with its profile's closure. Nothing else. Ancestors ship as data; their own overridden references do not.
 */
import picomatch from "picomatch";
import type { ResolvedCatalog } from "./catalog/resolve";
import { holds } from "./catalog/hosts";
import type { Server } from "./catalog/schema";
import { HOST_TEMPLATES, MENU_TEMPLATES } from "./render/builtinTemplates";
import { compareStrings } from "./util/canonical";

export type ObjectKind = "bootLoader" | "configFile" | "distribution" | "distributionProfile" | "host" | "profile" | "template";

export interface SelectedObject {
  readonly kind: ObjectKind;
  readonly name: string;
  readonly reason: string;
}

export interface Selection {
  readonly server: string;
  /** Served profiles, sorted. */
  readonly profiles: readonly string[];
  /** Sorted by kind, then name. */
  readonly objects: readonly SelectedObject[];
  /** Patterns that matched nothing, listed profiles that cannot be served. */
  readonly warnings: readonly string[];
}

type Need = readonly [ObjectKind, string, string];

// When an object is needed for several reasons, the most direct one wins; ties break alphabetically.
const REASON_RANK: readonly [RegExp, number][] = [
  [/^served: listed/, 0],
  [/^served:/, 1],
  [/^host of /, 1],
  [/^profile of host /, 2],
  [/^parent of /, 2],
  [/^installed by /, 3],
  [/^maps profile /, 4],
  [/^autoinstall of /, 5],
  [/^config file of /, 6],
  [/^template of config file /, 7],
  [/^boot menu/, 8],
  [/^boot loader for /, 9],
  [/^boot entry of host /, 9],
  [/^included by /, 10],
];
const rankCache = new Map<string, number>();
const rank = (r: string): number => {
  let v = rankCache.get(r);
  if (v === undefined) {
    v = REASON_RANK.find(([re]) => re.test(r))?.[1] ?? 99;
    if (rankCache.size < 100_000) rankCache.set(r, v);
  }
  return v;
};
const betterReason = (a: string, b: string) => rank(a) - rank(b) || compareStrings(a, b);

const isGlob = (p: string) => /[*?{}\[\]!]/.test(p);

function templateNeeds(resolved: ResolvedCatalog, name: string, out: Need[], seen = new Set<string>()): void {
  if (seen.has(name)) return;
  seen.add(name);
  for (const inc of resolved.templates.get(name)?.includes ?? []) {
    out.push(["template", inc, `included by ${name}`]);
    templateNeeds(resolved, inc, out, seen);
  }
}

/** One need per object, with its best reason: select keeps only the best anyway, so this is the same result with fewer adds. */
function bestPerObject(needs: readonly Need[]): Need[] {
  const best = new Map<string, Need>();
  for (const n of needs) {
    const key = `${n[0]}\0${n[1]}`;
    const prev = best.get(key);
    if (!prev || betterReason(n[2], prev[2]) < 0) best.set(key, n);
  }
  return [...best.values()];
}

/** What a served profile needs besides itself; memoized per catalog, it does not depend on the server. */
export function profileNeeds(resolved: ResolvedCatalog, profile: string): readonly Need[] {
  const key = `select:needs:${profile}`;
  const hit = resolved.memo.get(key) as Need[] | undefined;
  if (hit) return hit;
  const p = resolved.profiles.get(profile)!;
  const out: Need[] = [];
  let child = p.name;
  for (const a of p.ancestors) {
    out.push(["profile", a, `parent of ${child}`]);
    child = a;
  }
  const m = resolved.mappings.get(p.name);
  if (m) {
    out.push(["distribution", m.distribution, `installed by profile ${p.name}`]);
    out.push(["distributionProfile", m.name, `maps profile ${p.name}`]);
  }
  if (p.autoinstall !== undefined) {
    out.push(["template", p.autoinstall, `autoinstall of profile ${p.name}`]);
    templateNeeds(resolved, p.autoinstall, out);
  }
  for (const cfName of p.configFiles) {
    const cf = resolved.configFiles.get(cfName)!;
    out.push(["configFile", cfName, `config file of profile ${p.name}`]);
    out.push(["template", cf.template, `template of config file ${cfName}`]);
    templateNeeds(resolved, cf.template, out);
  }
  const deduped = bestPerObject(out);
  resolved.memo.set(key, deduped);
  return deduped;
}

/** The menu templates (builtin or overridden), their snippets and boot loaders: every server ships them. */
export function menuNeeds(resolved: ResolvedCatalog): readonly Need[] {
  const hit = resolved.memo.get("select:menus") as Need[] | undefined;
  if (hit) return hit;
  const out: Need[] = [];
  for (const name of Object.keys(MENU_TEMPLATES).sort(compareStrings)) {
    out.push(["template", name, "boot menu"]);
    templateNeeds(resolved, name, out);
    for (const b of resolved.bootLoaders.values()) if (b.menu === name) out.push(["bootLoader", b.name, `boot loader for ${name}`]);
  }
  resolved.memo.set("select:menus", out);
  return out;
}

/** The per-host boot entry templates (builtin or overridden) and their snippets. */
function hostEntryNeeds(resolved: ResolvedCatalog, host: string): Need[] {
  const out: Need[] = [];
  for (const name of Object.keys(HOST_TEMPLATES).sort(compareStrings)) {
    out.push(["template", name, `boot entry of host ${host}`]);
    templateNeeds(resolved, name, out);
  }
  return out;
}

/** Profiles (with a distribution) a glob matches; memoized per catalog, it does not depend on the server. */
function globMatches(resolved: ResolvedCatalog, pattern: string): readonly string[] {
  const key = `select:glob:${pattern}`;
  const hit = resolved.memo.get(key) as string[] | undefined;
  if (hit) return hit;
  const isMatch = picomatch(pattern, { dot: true });
  const matches = [...resolved.mappings.keys()].filter((n) => isMatch(n));
  resolved.memo.set(key, matches);
  return matches;
}

/** Served profile → its served reason, with arch filtering. */
function servedProfiles(resolved: ResolvedCatalog, server: Server, warnings: string[]): Map<string, string> {
  const served = new Map<string, string>();
  const offer = (name: string, reason: string) => {
    const prev = served.get(name);
    served.set(name, prev === undefined || betterReason(reason, prev) < 0 ? reason : prev);
  };
  const archOk = (name: string) => {
    const m = resolved.mappings.get(name);
    return m !== undefined && server.arch.includes(resolved.distributions.get(m.distribution)!.arch);
  };
  for (const pattern of server.profiles) {
    if (!isGlob(pattern)) {
      const m = resolved.mappings.get(pattern);
      if (!resolved.profiles.has(pattern)) warnings.push(`'${pattern}' matches no profile`);
      else if (!m) warnings.push(`profile '${pattern}' resolves to no distribution; not served`);
      else if (!archOk(pattern)) {
        const arch = resolved.distributions.get(m.distribution)!.arch;
        warnings.push(`profile '${pattern}' dropped: its distribution ${m.distribution} is ${arch}, server serves ${server.arch.join(", ")}`);
      } else offer(pattern, "served: listed");
      continue;
    }
    const matches = globMatches(resolved, pattern);
    if (matches.length === 0) warnings.push(`'${pattern}' matches no profile`);
    for (const n of matches) if (archOk(n)) offer(n, `served: matches '${pattern}'`);
  }
  return served;
}

export function select(resolved: ResolvedCatalog, server: Server): Selection {
  const warnings: string[] = [];
  const served = servedProfiles(resolved, server, warnings);
  const best = new Map<string, SelectedObject>();
  const add = (kind: ObjectKind, name: string, reason: string) => {
    const key = `${kind}\0${name}`;
    const prev = best.get(key);
    if (!prev || betterReason(reason, prev.reason) < 0) best.set(key, { kind, name, reason });
  };
  const profiles = [...served.keys()].sort(compareStrings);
  for (const p of profiles) {
    add("profile", p, served.get(p)!);
    for (const [k, n, r] of profileNeeds(resolved, p)) add(k, n, r);
  }
  // A host brings its profile's closure even where the profile is not in the menu.
  for (const h of resolved.hosts.values()) {
    if (!holds(server, h)) continue;
    add("host", h.name, h.server !== undefined ? `host of server ${server.name}` : `host of site ${server.site}`);
    add("profile", h.profile, `profile of host ${h.name}`);
    for (const [k, n, r] of profileNeeds(resolved, h.profile)) add(k, n, r);
    for (const [k, n, r] of hostEntryNeeds(resolved, h.name)) add(k, n, r);
  }
  for (const [k, n, r] of menuNeeds(resolved)) add(k, n, r);
  const objects = [...best.values()].sort((a, b) => compareStrings(a.kind, b.kind) || compareStrings(a.name, b.name));
  return { server: server.name, profiles, objects, warnings };
}
