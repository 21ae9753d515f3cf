/**
 * What each changed file says, for the reports: one entry per change group (changeGroups.ts) —
 * the path, its op, the catalog object it comes from, the servers it reaches (with a count per
 * site and wave) and the masked unified diff, or a payload's size and sha256 on both sides.
 */
import type { ChangeGroup } from "../review/changeGroups";
import type { FileDiff } from "../review/fileDiff";
import { compareStrings } from "../util/canonical";
import { visibleText } from "../util/visibleText";
import { type ReportContext, waveOf } from "./reportContext";

const PAST = { create: "created", update: "updated", delete: "deleted" } as const;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const shortSha = (sha: string) => `${sha.slice(0, 12)}…`;
const blob = (b?: { sha256: string; size: number | null }) => (b ? `${b.size === null ? "size unknown" : `${b.size} bytes`}, sha256 ${shortSha(b.sha256)}` : "absent");

/** `path updated on 3 servers`, `4 files updated on 2 servers` (`name` formats a path). */
export const reach = (g: ChangeGroup, name: (path: string) => string = (p) => p) =>
  `${g.paths.length === 1 ? name(g.paths[0]!) : `${g.paths.length} files`} ${PAST[g.op]} on ${plural(g.servers.length, "server")}`;

/** Said under a diff whose files differ around the change: whose diff it is. */
export const contextNote = (g: ChangeGroup, name: (s: string) => string = (s) => s) =>
  g.sameContext ? null : `the diff of ${g.paths.length > 1 ? `${name(g.shown.path)} on ` : ""}${name(g.shown.server)}; in the others the same lines change, the lines around them differ`;

/** `from profile/web, profile/db`, or "" when no origin is known. */
export const fromLine = (g: ChangeGroup, name: (origin: string) => string = (o) => o) => (g.origins.length ? `from ${g.origins.map(name).join(", ")}` : "");

/** `site east: 1, site west: 2; wave 0: 1, wave 1: 2`, or "" without places (`name` formats a site). */
export function placeCounts(servers: readonly string[], ctx: ReportContext, name: (site: string) => string = (s) => s): string {
  if (!ctx.servers) return "";
  const count = (key: (s: string) => string) => {
    const m = new Map<string, number>();
    for (const s of servers) m.set(key(s), (m.get(key(s)) ?? 0) + 1);
    return m;
  };
  const sites = [...count((s) => ctx.servers?.[s]?.site ?? "-")].sort((a, b) => compareStrings(a[0], b[0]));
  const waves = [...count((s) => String(waveOf(ctx, s)))].sort((a, b) => Number(a[0]) - Number(b[0]));
  return `${sites.map(([s, n]) => `site ${name(s)}: ${n}`).join(", ")}; ${waves.map(([w, n]) => `wave ${w}: ${n}`).join(", ")}`;
}

/** Server names, at most `max` of them then `and N more`. */
export function nameList(servers: readonly string[], max = Infinity): string {
  return servers.length <= max ? servers.join(", ") : `${servers.slice(0, max).join(", ")} and ${servers.length - max} more`;
}

/** A diff that is not text, in one line; null for a text diff. */
export function diffNote(diff: FileDiff): string | null {
  switch (diff.kind) {
    case "text":
      return diff.diff === "" ? (diff.mode ? `the same text; mode ${diff.mode}` : "the same text") : null;
    case "binary":
      return `${blob(diff.before)} → ${blob(diff.after)}`;
    case "drift":
      return `written again as the catalog has it: a refresh found it ${diff.found} on the child`;
    case "manifest":
      return "rewritten by the provider to list the files above";
    case "unavailable":
      return `the text ${diff.missing} the change is not on this machine (not rendered here, not in the content store): \`provision plan --base <git-ref>\` renders the catalog at that revision`;
  }
}

/** The diff's lines, at most `maxLines` (then a line saying how many were left out). */
export function diffLines(diff: FileDiff, maxLines = Infinity): string[] {
  if (diff.kind !== "text" || diff.diff === "") return [];
  const lines = diff.diff.split("\n");
  if (diff.mode) lines.unshift(`mode ${diff.mode}`);
  return lines.length <= maxLines ? lines : [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines`];
}

/** The groups worth a diff: the child's manifest changes with every update and says nothing new. */
export const shownGroups = (groups: readonly ChangeGroup[] = []) => groups.filter((g) => g.diff.kind !== "manifest");

/** The changes for a terminal: names and notes visible on one line each, diff lines visible but for their tabs. */
export function changesText(groups: readonly ChangeGroup[], ctx: ReportContext): string[] {
  const shown = shownGroups(groups);
  if (shown.length === 0) return [];
  const v = (s: string) => visibleText(s);
  const out = ["", "changes:"];
  for (const g of shown) {
    const from = fromLine(g);
    const places = placeCounts(g.servers, ctx);
    out.push("", v(`${reach(g)}${from ? ` (${from})` : ""}${places ? ` [${places}]` : ""}: ${nameList(g.servers, 20)}`));
    if (g.paths.length > 1) out.push(`  files: ${v(g.paths.join(", "))}`);
    const note = diffNote(g.diff);
    out.push(...(note ? [`  ${v(note)}`] : [...(contextNote(g) ? [`  (${v(contextNote(g)!)})`] : []), ...diffLines(g.diff).map((l) => `    ${visibleText(l, "\t")}`)]));
  }
  return out;
}
