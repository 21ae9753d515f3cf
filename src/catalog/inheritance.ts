/**
 * Profile inheritance, Cobbler's order: root ancestor first, each child overriding its parent.
 * Maps (`kernelOptions`, `variables`) merge key by key and `null` removes an inherited key.
 * `configFiles` lists are a union along the chain: a child adds files, it cannot drop one
 * (an explicit removal syntax can come later without breaking this).
 */
import { type CatalogIssue, knownList } from "./errors";
import type { Located } from "./load";
import type { KernelOptions, Profile, Variables } from "./schema";

/** Chains root-first per profile (`[base, web, web-frontend]`); profiles in or below a cycle are absent. */
export function inheritanceChains(profiles: ReadonlyMap<string, Located<Profile>>, issues: CatalogIssue[]): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  const reportedCycles = new Set<string>();
  for (const name of [...profiles.keys()].sort()) {
    const chain: string[] = [];
    const seen = new Set<string>();
    let cur: string | undefined = name;
    let ok = true;
    while (cur !== undefined) {
      if (seen.has(cur)) {
        const cycle = chain.slice(chain.indexOf(cur));
        const key = [...cycle].sort().join(",");
        if (!reportedCycles.has(key)) {
          reportedCycles.add(key);
          const start = [...cycle].sort()[0]!;
          const i = cycle.indexOf(start);
          const ordered = [...cycle.slice(i), ...cycle.slice(0, i), start];
          const p = profiles.get(start)!;
          issues.push({
            file: p.origin.file,
            line: p.origin.keyLines["parent"] ?? p.origin.line,
            path: `${p.origin.path}.parent`,
            message: `inheritance cycle: ${ordered.join(" -> ")}`,
            severity: "error",
          });
        }
        ok = false;
        break;
      }
      seen.add(cur);
      chain.push(cur);
      const p = profiles.get(cur);
      if (!p) {
        ok = false; // unknown parent, reported once by the child that names it
        break;
      }
      cur = p.parent;
    }
    if (ok) chains.set(name, chain.reverse());
  }
  for (const p of profiles.values()) {
    if (p.parent !== undefined && !profiles.has(p.parent)) {
      issues.push({
        file: p.origin.file,
        line: p.origin.keyLines["parent"] ?? p.origin.line,
        path: `${p.origin.path}.parent`,
        message: `unknown profile ${JSON.stringify(p.parent)} (${knownList(profiles.keys())})`,
        severity: "error",
      });
    }
  }
  return chains;
}

/** Merge maps root-first; `null` deletes; the result's keys are sorted for stable output. */
export function mergeMaps<V>(layers: readonly (Readonly<Record<string, V | null>> | undefined)[]): Record<string, V> {
  const acc = new Map<string, V>();
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === null) acc.delete(k);
      else acc.set(k, v);
    }
  }
  const out: Record<string, V> = {};
  for (const k of [...acc.keys()].sort()) out[k] = acc.get(k)!;
  return out;
}

/** The last value set along the chain (child wins). */
export function lastDefined<T>(values: readonly (T | undefined)[]): T | undefined {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== undefined) return values[i];
  return undefined;
}

export type MergedKernelOptions = Record<string, Exclude<KernelOptions[string], null>>;
export type MergedVariables = Record<string, Exclude<Variables[string], null>>;
