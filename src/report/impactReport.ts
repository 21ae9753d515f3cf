/**
 * Human formats of the impact shape `{touched, servers}`; `impact` (pure) and `plan` (engine)
 * print the same shape, so both use these. A plan adds each file's origin and changed inputs.
 */
import type { Impact, Op } from "../impact";
import { type ReportContext, rolloutLine } from "./reportContext";
import { markdownTable, textTable } from "./table";

const OPS: readonly Op[] = ["update", "create", "delete"];
const PAST: Record<Op, string> = { create: "created", update: "updated", delete: "deleted" };

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

function rows(impact: Impact, name: string, ctx: ReportContext): string[][] {
  const s = impact.servers[name]!;
  const detail = new Map((ctx.files?.[name] ?? []).map((f) => [f.path, f]));
  const objectRows = s.objects.map((o) => (ctx.files ? [o.op, o.kind, o.name, "", ""] : [o.op, o.kind, o.name]));
  const fileRows = s.files.map((f) => {
    if (!ctx.files) return [f.op, "file", f.path];
    const d = detail.get(f.path);
    return [f.op, "file", f.path, d?.origin ? `${d.origin.kind}/${d.origin.name}` : "", d?.changes.join("; ") ?? ""];
  });
  return [...objectRows, ...fileRows];
}

function place(name: string, ctx: ReportContext): string | undefined {
  const p = ctx.servers?.[name];
  return p ? `site ${p.site}, wave ${p.wave}` : undefined;
}

const title = (name: string, ctx: ReportContext) => (place(name, ctx) ? `${name} (${place(name, ctx)})` : name);

export function impactText(impact: Impact, ctx: ReportContext = {}): string {
  const out = [...(ctx.warnings ?? []).map((w) => `warning: ${w}`), impactSummary(impact)];
  if (impact.touched.length) out.push(`rollout: ${rolloutLine(impact.touched, ctx)}`);
  for (const name of Object.keys(impact.servers)) {
    const s = impact.servers[name]!;
    const notes = ctx.notes?.[name] ?? [];
    if (s.objects.length === 0 && s.files.length === 0 && notes.length === 0) continue;
    out.push("", `${name} (${[s.status, place(name, ctx)].filter(Boolean).join("; ")})`, ...notes.map((n) => `  ${n}`));
    if (s.objects.length + s.files.length > 0) out.push(textTable(headers(ctx), rows(impact, name, ctx)));
  }
  return `${out.join("\n")}\n`;
}

export function impactMarkdown(impact: Impact, ctx: ReportContext = {}): string {
  const out = [...(ctx.warnings ?? []).flatMap((w) => [`> **Warning:** ${w}`, ""]), `**${impactSummary(impact)}**`];
  if (impact.touched.length) out.push("", `Rollout order: ${rolloutLine(impact.touched, ctx)}`);
  for (const name of impact.touched) {
    out.push("", `### ${title(name, ctx)}`, ...(ctx.notes?.[name] ?? []).flatMap((n) => ["", `- ${n}`]));
    const s = impact.servers[name]!;
    if (s.objects.length + s.files.length > 0) out.push("", markdownTable(headers(ctx), rows(impact, name, ctx)));
  }
  const untouched = Object.keys(impact.servers).filter((n) => !impact.touched.includes(n));
  // With nothing touched the summary line says it all.
  if (untouched.length && impact.touched.length) {
    out.push("", `<details><summary>${untouched.length} server${untouched.length === 1 ? "" : "s"} untouched</summary>`, "", untouched.map((n) => `\`${n}\``).join(", "), "", "</details>");
  }
  return `${out.join("\n")}\n`;
}
