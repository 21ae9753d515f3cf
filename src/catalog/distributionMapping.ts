/**
 * Profile → distribution mappings, from `profiles[].distribution` and `distributionProfiles[]`.
 * Both forms are the same mapping; two direct mappings of one profile that disagree are an error.
 * A child without its own mapping inherits its nearest ancestor's.
 */
import { compareStrings } from "../util/canonical";
import { type CatalogIssue, knownList } from "./errors";
import type { Located } from "./load";
import type { Distribution, DistributionProfile, Origin, Profile } from "./schema";

export interface DirectMapping {
  readonly distribution: string;
  readonly origin: Origin;
  readonly where: string;
}

/** Mapping object name as selection and components show it. */
export const mappingName = (profile: string, distribution: string) => `${profile}->${distribution}`;

export function directMappings(
  profiles: ReadonlyMap<string, Located<Profile>>,
  distributions: ReadonlyMap<string, Located<Distribution>>,
  entries: readonly Located<DistributionProfile>[],
  issues: CatalogIssue[],
): Map<string, DirectMapping> {
  const out = new Map<string, DirectMapping>();
  const add = (profile: string, m: DirectMapping, linePath: string, line: number) => {
    if (!distributions.has(m.distribution)) {
      issues.push({
        file: m.origin.file,
        line,
        path: linePath,
        message: `unknown distribution ${JSON.stringify(m.distribution)} (${knownList(distributions.keys())})`,
        severity: "error",
      });
      return;
    }
    const prev = out.get(profile);
    if (prev && prev.distribution !== m.distribution) {
      issues.push({
        file: m.origin.file,
        line,
        path: linePath,
        message: `conflicting distribution for profile ${JSON.stringify(profile)}: ${JSON.stringify(m.distribution)} here, ${JSON.stringify(prev.distribution)} at ${prev.where}`,
        severity: "error",
      });
      return;
    }
    if (!prev) out.set(profile, m);
  };
  for (const p of [...profiles.values()].sort((a, b) => compareStrings(a.name, b.name))) {
    if (p.distribution === undefined) continue;
    const line = p.origin.keyLines["distribution"] ?? p.origin.line;
    add(p.name, { distribution: p.distribution, origin: p.origin, where: `${p.origin.file}:${line}` }, `${p.origin.path}.distribution`, line);
  }
  for (const e of entries) {
    if (!profiles.has(e.profile)) {
      issues.push({
        file: e.origin.file,
        line: e.origin.keyLines["profile"] ?? e.origin.line,
        path: `${e.origin.path}.profile`,
        message: `unknown profile ${JSON.stringify(e.profile)} (${knownList(profiles.keys())})`,
        severity: "error",
      });
      continue;
    }
    const line = e.origin.keyLines["distribution"] ?? e.origin.line;
    add(e.profile, { distribution: e.distribution, origin: e.origin, where: `${e.origin.file}:${line}` }, `${e.origin.path}.distribution`, line);
  }
  return out;
}
