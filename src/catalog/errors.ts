/** The one error type for bad catalogs and stack configs: every issue of a load, together. */
import { visibleText } from "../util/visibleText";

export type Severity = "error" | "warning";

export interface CatalogIssue {
  readonly file: string;
  /** 1-based; 0 when unknown. */
  readonly line: number;
  /** Dotted/indexed key path, e.g. `profiles[3].parent`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly severity: Severity;
}

export class CatalogError extends Error {
  readonly issues: CatalogIssue[];
  constructor(issues: CatalogIssue[]) {
    const errors = issues.filter((i) => i.severity === "error");
    super(`${errors.length} catalog error(s):\n${issues.map(formatIssue).join("\n")}`);
    this.name = "CatalogError";
    this.issues = issues;
  }
}

/**
 * `catalog.yaml:42 profiles[3].parent: unknown profile "x" (known: a, b, c)`: one line, whatever
 * the file name, key or message quotes from the catalog (its controls written out visibly).
 */
export function formatIssue(i: CatalogIssue): string {
  const file = visibleText(i.file);
  const where = i.line > 0 ? `${file}:${i.line}` : file;
  const sev = i.severity === "warning" ? "warning: " : "";
  const message = visibleText(i.message);
  return i.path ? `${where} ${visibleText(i.path)}: ${sev}${message}` : `${where}: ${sev}${message}`;
}

/** `profiles[3].parent` from `["profiles", 3, "parent"]`. */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of p) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Known names in messages: sorted, and cut short so a 500-profile catalog stays readable. */
export function knownList(names: Iterable<string>, max = 12): string {
  const all = [...names].sort();
  if (all.length === 0) return "known: none";
  const shown = all.slice(0, max).join(", ");
  return `known: ${shown}${all.length > max ? `, … ${all.length - max} more` : ""}`;
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** Closest candidate within a distance that still reads as a typo (about a third of the word). */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of [...candidates].sort()) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(Math.max(word.length, best.length) / 3)) ? best : undefined;
}

/** Throw a CatalogError if any issue is an error; warnings alone pass. */
export function throwIfErrors(issues: CatalogIssue[]): void {
  if (issues.some((i) => i.severity === "error")) throw new CatalogError(issues);
}
