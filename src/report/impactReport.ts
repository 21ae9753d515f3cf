/**
 * Human formats of the impact shape `{touched, servers}`; `impact` (pure) and `plan` (engine)
 * print the same shape, so both use these.
 */
import type { Impact, Op } from "../impact";
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

function rows(impact: Impact, name: string): string[][] {
  const s = impact.servers[name]!;
  return [...s.objects.map((o) => [o.op, o.kind, o.name]), ...s.files.map((f) => [f.op, "file", f.path])];
}

export function impactText(impact: Impact): string {
  const out = [impactSummary(impact)];
  for (const name of Object.keys(impact.servers)) {
    const s = impact.servers[name]!;
    if (s.objects.length === 0 && s.files.length === 0) continue;
    out.push("", `${name} (${s.status})`, textTable(["op", "kind", "name"], rows(impact, name)));
  }
  return `${out.join("\n")}\n`;
}

export function impactMarkdown(impact: Impact): string {
  const out = [`**${impactSummary(impact)}**`];
  for (const name of impact.touched) out.push("", `### ${name}`, "", markdownTable(["op", "kind", "name"], rows(impact, name)));
  return `${out.join("\n")}\n`;
}
