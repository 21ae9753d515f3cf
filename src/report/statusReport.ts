/**
 * `provision status` as text, JSON and a self-contained HTML page. Every field that came from a
 * child (daemons, differing paths, record fields, an error message) is the child's word: shown
 * with its control characters as visible escapes, never acting on the terminal or the page.
 */
import type { ChildStatus } from "../state/childStatus";
import type { HostStatus } from "../state/hostLifeCycle";
import { visibleJson, visibleText } from "../util/visibleText";

const v = (s: string) => visibleText(s);

/** A host's line: state, then what the child saw (times, client address, reason), then a note. */
export function hostLine(h: HostStatus): string {
  const facts: string[] = [];
  if (h.state === "installing" && h.fetchedAt !== undefined) facts.push(`since ${v(h.fetchedAt)}`);
  if ((h.state === "installed" || h.state === "failed") && h.reportedAt !== undefined) facts.push(`at ${v(h.reportedAt)}`);
  if (h.fetchedAt !== undefined && h.state !== "installing") facts.push(`autoinstall fetched ${v(h.fetchedAt)}`);
  if (h.client !== undefined) facts.push(`client ${v(h.client)}`);
  if (h.reason !== undefined) facts.push(`reason: ${v(h.reason)}`);
  if (h.generation !== undefined) facts.push(`generation ${v(h.generation)}`);
  return `${h.host}: ${h.state}${facts.length ? ` (${facts.join(", ")})` : ""}${h.note !== undefined ? `; ${v(h.note)}` : ""}`;
}

/** The child's line: whether its daemons serve and its files match its manifest. */
export function childLine(c: ChildStatus): string {
  if (!c.reachable) return `${c.server}: unreachable: ${v(c.error)}`;
  const files =
    c.files.state === "match"
      ? `files match the manifest (${c.files.listed})`
      : c.files.state === "differ"
        ? `files differ: ${c.files.differ} of ${c.files.listed} (${c.files.examples.map(v).join(", ")}${c.files.differ > c.files.examples.length ? ", …" : ""})`
        : c.files.state;
  return `${c.server}: ${v(c.daemons)}; ${files}`;
}

export function statusText(children: readonly ChildStatus[]): string {
  const out: string[] = [];
  for (const c of children) {
    out.push(childLine(c));
    if (c.reachable) for (const h of c.hosts) out.push(`  ${hostLine(h)}`);
  }
  const unreachable = children.filter((c) => !c.reachable).length;
  out.push(`${children.length} children: ${children.length - unreachable} answered${unreachable ? `, ${unreachable} unreachable` : ""}`);
  return `${out.join("\n")}\n`;
}

export function statusJson(children: readonly ChildStatus[]): string {
  return `${visibleJson({ children })}\n`;
}

const esc = (s: string) => visibleText(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function statusHtml(children: readonly ChildStatus[], title = "Provisioning status"): string {
  const rows: string[] = [];
  for (const c of children) {
    const line = childLine(c).slice(c.server.length + 2);
    rows.push(`<tr class="child ${c.reachable ? "" : "unreachable"}"><th>${esc(c.server)}</th><td colspan="6">${esc(line)}</td></tr>`);
    if (!c.reachable) continue;
    for (const h of c.hosts) {
      rows.push(
        `<tr class="host state-${esc(h.state.replace(" ", "-"))}"><td></td><td>${esc(h.host)}</td><td>${esc(h.state)}</td><td>${esc(h.fetchedAt ?? "")}</td><td>${esc(h.reportedAt ?? "")}</td><td>${esc(h.client ?? "")}</td><td>${esc([h.reason, h.note].filter((x) => x !== undefined).join("; "))}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2328; }
table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; }
tr.unreachable th, tr.unreachable td { background: #ffc9c4; } tr.state-failed td { background: #ffebe9; } tr.state-installed td { background: #dafbe1; }
</style></head><body>
<h1>${esc(title)}</h1>
<table><thead><tr><th>child</th><th>host</th><th>state</th><th>autoinstall fetched</th><th>reported</th><th>client</th><th>reason / note</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
</body></html>
`;
}
