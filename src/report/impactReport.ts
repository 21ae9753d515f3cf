/**
 * Human formats of the impact shape `{touched, servers}`; `impact` (pure) and `plan` (engine)
 * print the same shape, so both use these. With the changed files' details they add each file's
 * origin and changed inputs, and with change groups the masked diffs, each shown once.
 */
import type { Impact, Op } from "../impact";
import type { ChangeGroup } from "../review/changeGroups";
import { changesText, contextNote, diffLines, diffNote, fromLine, nameList, placeCounts, reach, shownGroups } from "./changesReport";
import { visibleText } from "../util/visibleText";
import { type ReportContext, rolloutLine } from "./reportContext";
import { fence, mdCode, mdText } from "./markdown";
import { markdownTable, textTable } from "./table";

const OPS: readonly Op[] = ["update", "create", "delete"];
const PAST: Record<Op, string> = { create: "created", update: "updated", delete: "deleted" };

/** GitHub's limit for a comment body; a markdown report stays below it. */
export const COMMENT_LIMIT = 65_536;

/** `2 of 12 servers touched: 3 files updated, 1 created` */
export function impactSummary(impact: Impact): string {
  const total = Object.keys(impact.servers).length;
  const counts: Record<Op, number> = { create: 0, update: 0, delete: 0 };
  for (const s of Object.values(impact.servers)) for (const f of s.files) counts[f.op]++;
  const parts = OPS.filter((op) => counts[op] > 0).map((op, i) => `${counts[op]}${i === 0 ? (counts[op] === 1 ? " file" : " files") : ""} ${PAST[op]}`);
  return `${impact.touched.length} of ${total} server${total === 1 ? "" : "s"} touched: ${parts.length ? parts.join(", ") : "no file changes"}`;
}

function headers(ctx: ReportContext): string[] {
  return ctx.files ? ["op", "kind", "name", "from", "change"] : ["op", "kind", "name"];
}

/**
 * A file's changes without its content keys (`content changed`): the keys tell servers apart
 * whose texts differ only in their own names, and the diffs show what changed.
 */
const withoutKeys = (change: string) => (/^content \S+ → \S+$/.test(change) ? "content changed" : /^content \S+$/.test(change) ? "new content" : change);

function rows(impact: Impact, name: string, ctx: ReportContext, keys = true): string[][] {
  const s = impact.servers[name]!;
  const detail = new Map((ctx.files?.[name] ?? []).map((f) => [f.path, f]));
  const objectRows = s.objects.map((o) => (ctx.files ? [o.op, o.kind, o.name, "", ""] : [o.op, o.kind, o.name]));
  const fileRows = s.files.map((f) => {
    if (!ctx.files) return [f.op, "file", f.path];
    const d = detail.get(f.path);
    return [f.op, "file", f.path, d?.origin ? `${d.origin.kind}/${d.origin.name}` : "", (keys ? d?.changes : d?.changes.map(withoutKeys))?.join("; ") ?? ""];
  });
  return [...objectRows, ...fileRows];
}

function place(name: string, ctx: ReportContext, site: (s: string) => string = (s) => s): string | undefined {
  const p = ctx.servers?.[name];
  return p ? `site ${site(p.site)}, wave ${p.wave}` : undefined;
}

/**
 * The plan for a terminal, one fact a line. Every line is built from visible text (controls and
 * hiding characters written out, changesReport.ts does the same for the diffs), so the lines
 * a reviewer sees are the lines there are.
 */
export function impactText(impact: Impact, ctx: ReportContext = {}): string {
  const v = (s: string) => visibleText(s);
  const out = [...(ctx.warnings ?? []).map((w) => `warning: ${v(w)}`), impactSummary(impact)];
  if (impact.touched.length) out.push(`rollout: ${v(rolloutLine(impact.touched, ctx))}`);
  out.push(...validatorLines(ctx, (p) => `${p.severity}: ${p.text}`, (s) => `validators: ${s}`));
  for (const name of Object.keys(impact.servers)) {
    const s = impact.servers[name]!;
    const notes = ctx.notes?.[name] ?? [];
    if (s.objects.length === 0 && s.files.length === 0 && notes.length === 0) continue;
    out.push("", v(`${name} (${[s.status, place(name, ctx)].filter(Boolean).join("; ")})`), ...notes.map((n) => `  ${v(n)}`));
    if (s.objects.length + s.files.length > 0) out.push(textTable(headers(ctx), rows(impact, name, ctx).map((r) => r.map(v))));
  }
  out.push(...changesText(ctx.changes ?? [], ctx));
  return `${out.join("\n")}\n`;
}

/** The validators' line and their problems, in a format's words; nothing when the plan ran none. */
function validatorLines(ctx: ReportContext, problem: (p: { severity: string; text: string }) => string, summary: (s: string) => string): string[] {
  if (!ctx.validators) return [];
  return [...ctx.validators.problems.map((p) => problem({ ...p, text: visibleText(p.text) })), summary(visibleText(ctx.validators.summary))];
}

/** A section of the markdown in full and in a shorter, folded form. */
interface Block {
  readonly full: string;
  readonly folded: string;
}

const FOLDED_DIFF_LINES = 40;
const FOLDED_NAMES = 10;
const FOLDED_ROWS = 20;

function changeBlock(g: ChangeGroup, ctx: ReportContext): Block {
  const make = (maxLines: number, maxNames: number) => {
    const facts = [fromLine(g, mdCode), placeCounts(g.servers, ctx, mdText)].filter(Boolean).join(" · ");
    const names = g.servers.length <= 3 ? `: ${nameList(g.servers.map(mdText))}` : "";
    const out = ["", "", `#### ${reach(g, mdCode)}${names}`];
    if (g.paths.length > 1) out.push("", nameList(g.paths.map((p) => mdCode(p)), maxNames));
    if (facts) out.push("", facts);
    if (g.servers.length > 3) out.push("", `<details><summary>${g.servers.length} servers</summary>`, "", nameList(g.servers.map(mdText), maxNames), "", "</details>");
    const note = diffNote(g.diff);
    if (note === null && contextNote(g, mdCode)) out.push("", `_${contextNote(g, mdCode)}_`);
    out.push("", note ?? fence(diffLines(g.diff, maxLines), "diff"));
    return out.join("\n");
  };
  return { full: make(Infinity, Infinity), folded: make(FOLDED_DIFF_LINES, FOLDED_NAMES) };
}

/** Touched servers whose tables and notes are the same, as groups (largest first). */
function serverGroups(impact: Impact, ctx: ReportContext): string[][] {
  const groups = new Map<string, string[]>();
  for (const name of impact.touched) {
    const key = JSON.stringify([rows(impact, name, ctx, false), ctx.notes?.[name] ?? []]);
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length);
}

function serverBlock(names: readonly string[], impact: Impact, ctx: ReportContext): Block {
  const first = names[0]!;
  const make = (maxNames: number, maxRows: number) => {
    const where = place(first, ctx, mdText);
    const heading = names.length === 1 ? `### ${mdText(first)}${where ? ` (${where})` : ""}` : `### ${names.length} servers (${placeCounts(names, ctx, mdText) || "the same changes"})`;
    const out = ["", "", heading];
    if (names.length > 1) out.push("", `<details><summary>${names.length} servers with the same changes</summary>`, "", nameList(names.map(mdText), maxNames), "", "</details>");
    out.push(...(ctx.notes?.[first] ?? []).flatMap((n) => ["", `- ${mdText(n)}`]));
    const r = rows(impact, first, ctx, false);
    if (r.length > 0) out.push("", markdownTable(headers(ctx), r.slice(0, maxRows)), ...(r.length > maxRows ? ["", `… ${r.length - maxRows} more rows`] : []));
    return out.join("\n");
  };
  return { full: make(Infinity, Infinity), folded: make(FOLDED_NAMES, FOLDED_ROWS) };
}

/**
 * The plan as a pull-request comment: summary, rollout, each file change once with its diff and
 * the servers it reaches, then the servers grouped by identical changes. Never longer than
 * `limit`: long diffs and lists fold first, then whole sections, and the report says what.
 */
export function impactMarkdown(impact: Impact, ctx: ReportContext = {}, limit = COMMENT_LIMIT): string {
  const warnings = ctx.warnings ?? [];
  const problems = validatorLines(ctx, (p) => `> **${p.severity === "error" ? "Error" : "Warning"}:** ${mdCode(p.text)}\n`, (s) => `Validators: ${mdCode(s)}\n`);
  const head = [...warnings.slice(0, 20).flatMap((w) => [`> **Warning:** ${mdText(w)}`, ""]), ...(warnings.length > 20 ? [`> ${warnings.length - 20} more warnings`, ""] : []), `**${impactSummary(impact)}**`];
  if (impact.touched.length) head.push("", `Rollout order: ${rolloutLine(impact.touched, ctx, mdText)}`);
  if (problems.length) head.push("", ...problems.slice(0, 20), ...(problems.length > 20 ? [`> ${problems.length - 20} more problems found by the validators\n`] : []));
  const header = head.join("\n");

  const changes = shownGroups(ctx.changes).map((g) => changeBlock(g, ctx));
  const servers = serverGroups(impact, ctx).map((names) => serverBlock(names, impact, ctx));
  const untouched = Object.keys(impact.servers).filter((n) => !impact.touched.includes(n));
  // With nothing touched the summary line says it all.
  const tail: Block[] = [];
  if (untouched.length && impact.touched.length) {
    const make = (max: number) => ["", "", `<details><summary>${untouched.length} server${untouched.length === 1 ? "" : "s"} untouched</summary>`, "", nameList(untouched.map((n) => mdCode(n)), max), "", "</details>"].join("\n");
    tail.push({ full: make(Infinity), folded: make(50) });
  }
  const sections = [...(changes.length ? [{ full: "\n\n## What changes in the files", folded: "\n\n## What changes in the files" }] : []), ...changes, ...(changes.length && servers.length ? [{ full: "\n\n## Servers", folded: "\n\n## Servers" }] : []), ...servers, ...tail];

  const total = (parts: readonly string[]) => parts.reduce((n, p) => n + p.length, header.length + 1);
  const full = sections.map((s) => s.full);
  if (total(full) <= limit) return `${header}${full.join("")}\n`;

  // Folded: every section shortened; then as many sections as fit, and a note of what is left out.
  const reserve = 400;
  const kept: string[] = [];
  let shownChanges = 0;
  let shownServers = 0;
  for (const s of sections) {
    if (total([...kept, s.folded]) > limit - reserve) break;
    kept.push(s.folded);
    if (changes.includes(s)) shownChanges++;
    if (servers.includes(s)) shownServers++;
  }
  const left = [
    changes.length > shownChanges ? `${changes.length - shownChanges} of ${changes.length} file changes` : "",
    servers.length > shownServers ? `${servers.length - shownServers} of ${servers.length} server groups` : "",
  ].filter(Boolean);
  const note = `\n\n> **Folded** to fit a comment (${limit} characters): long diffs and server lists are shortened${left.length ? `, and ${left.join(" and ")} are not shown` : ""}. \`provision plan --html FILE\` shows everything.`;
  return `${header}${kept.join("")}${note}\n`;
}
