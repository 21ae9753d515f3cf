/** Plain-text and Markdown tables; shared by every command that prints rows. */
import { mdCode, mdText } from "./markdown";

export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${headers.map(mdText).join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    // Every cell is a name or value shown as it is: code, which no text inside can end or mark up.
    ...rows.map((r) => `| ${r.map((c) => mdCode(c, { table: true })).join(" | ")} |`),
  ].join("\n");
}
