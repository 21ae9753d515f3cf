/**
 * A self-contained HTML page of an impact or plan (no external assets): the impact matrix
 * (servers × catalog objects, cells coloured by create/update/delete), filters by site and
 * wave, and per-server details. The page works without scripts; the script only filters.
 */
import type { Impact, Op } from "../impact";
import { compareStrings } from "../util/canonical";
import { visibleText } from "../util/visibleText";
import { contextNote, diffLines, diffNote, fromLine, nameList, placeCounts, reach, shownGroups } from "./changesReport";
import { impactSummary } from "./impactReport";
import { type ReportContext, rolloutLine, waveOf } from "./reportContext";
import type { ChildStatus } from "../state/childStatus";
import { childLine } from "./statusReport";

/** Markup-safe and visible: a control or hiding character shows as its escape (`\\x1b`, `\\u202e`); `keep` as for visibleText. */
const esc = (s: string, keep = "") => visibleText(s, keep).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const SYMBOL: Record<Op, string> = { create: "+", update: "~", delete: "−" };

const STYLE = `
:root { --create: #1a7f37; --create-bg: #c7f0d2; --update: #8a5a00; --update-bg: #ffe08a; --delete: #b3261e; --delete-bg: #ffc9c4; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; } h3 { font-size: 14px; margin: 18px 0 6px; }
.summary { font-size: 16px; font-weight: 600; margin: 8px 0; } .rollout { color: #57606a; margin-bottom: 12px; }
.filters { display: flex; gap: 16px; align-items: center; margin: 12px 0; padding: 8px 12px; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border-radius: 4px; font-weight: 600; }
table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: 4px 8px; }
table.matrix th.object { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 500; padding: 8px 4px; vertical-align: bottom; }
table.matrix th.object .kind { color: #57606a; }
table.matrix td.cell { width: 28px; min-width: 28px; text-align: center; font-weight: 700; }
table.matrix th.server { text-align: left; white-space: nowrap; } table.matrix td.meta { color: #57606a; white-space: nowrap; }
tr.untouched th.server { color: #8c959f; font-weight: 400; }
.op-create { background: var(--create-bg); color: var(--create); }
.op-update { background: var(--update-bg); color: var(--update); }
.op-delete { background: var(--delete-bg); color: var(--delete); }
table.details td { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.none { color: #57606a; font-style: italic; }
section.change { margin: 14px 0; } section.change .facts { color: #57606a; margin: 2px 0 6px; }
pre.diff { margin: 0; padding: 8px 0; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; overflow-x: auto; }
pre.diff span { display: block; padding: 0 10px; white-space: pre; }
pre.diff .add { background: #dafbe1; } pre.diff .del { background: #ffebe9; } pre.diff .hunk { color: #0969da; }
`;

// Filters rows of the matrix and per-server sections by their data-site / data-wave.
const SCRIPT = `
(function () {
  var site = document.getElementById("filter-site"), wave = document.getElementById("filter-wave");
  function apply() {
    var nodes = document.querySelectorAll("[data-server-row]"), shown = 0;
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      var ok = (site.value === "" || n.getAttribute("data-site") === site.value) && (wave.value === "" || n.getAttribute("data-wave") === wave.value);
      n.hidden = !ok;
      if (ok && n.tagName === "TR") shown++;
    }
    document.getElementById("shown").textContent = String(shown);
  }
  site.addEventListener("change", apply); wave.addEventListener("change", apply); apply();
})();
`;

export interface HtmlReportOptions {
  /** @default "Provisioning plan" */
  readonly title?: string;
}

export function impactHtml(impact: Impact, ctx: ReportContext = {}, opts: HtmlReportOptions = {}): string {
  const servers = Object.keys(impact.servers);
  const siteOf = (s: string) => ctx.servers?.[s]?.site ?? "";
  const objectKeys = new Map<string, { kind: string; name: string }>();
  for (const s of servers) for (const o of impact.servers[s]!.objects) objectKeys.set(`${o.kind}/${o.name}`, o);
  const columns = [...objectKeys.entries()].sort((a, b) => compareStrings(`${a[1].kind}\0${a[1].name}`, `${b[1].kind}\0${b[1].name}`));
  const sites = [...new Set(servers.map(siteOf))].filter((s) => s !== "").sort(compareStrings);
  const waves = [...new Set(servers.map((s) => waveOf(ctx, s)))].sort((a, b) => a - b);
  const rowAttrs = (s: string) => `data-server-row data-server="${esc(s)}" data-site="${esc(siteOf(s))}" data-wave="${waveOf(ctx, s)}"`;
  // Touched servers first, in rollout order, then the rest.
  const order = [...servers].sort((a, b) => {
    const ta = impact.touched.includes(a) ? 0 : 1;
    const tb = impact.touched.includes(b) ? 0 : 1;
    return ta - tb || waveOf(ctx, a) - waveOf(ctx, b) || compareStrings(a, b);
  });

  const head = `<tr><th>server</th><th>site</th><th>wave</th><th>files</th>${columns
    .map(([key, o]) => `<th class="object" title="${esc(key)}"><span class="kind">${esc(o.kind)}</span> ${esc(o.name)}</th>`)
    .join("")}</tr>`;
  const body = order
    .map((s) => {
      const si = impact.servers[s]!;
      const ops = new Map(si.objects.map((o) => [`${o.kind}/${o.name}`, o.op]));
      const cells = columns
        .map(([key]) => {
          const op = ops.get(key);
          return op
            ? `<td class="cell op-${op}" data-object="${esc(key)}" data-op="${op}" title="${esc(`${s}: ${key} ${op}`)}">${SYMBOL[op]}</td>`
            : `<td class="cell" data-object="${esc(key)}"></td>`;
        })
        .join("");
      const cls = si.status === "update" ? "touched" : "untouched";
      return `<tr class="${cls}" ${rowAttrs(s)}><th class="server">${esc(s)}</th><td class="meta">${esc(siteOf(s))}</td><td class="meta">${waveOf(ctx, s)}</td><td class="meta">${si.files.length}</td>${cells}</tr>`;
    })
    .join("\n");

  const details = order
    .filter((s) => impact.servers[s]!.objects.length + impact.servers[s]!.files.length + (ctx.notes?.[s]?.length ?? 0) > 0)
    .map((s) => {
      const si = impact.servers[s]!;
      const planned = new Map((ctx.files?.[s] ?? []).map((f) => [f.path, f]));
      // Origins and changed inputs are known for an engine plan only.
      const extra = (cells: string) => (ctx.files ? cells : "");
      const objectRows = si.objects.map((o) => `<tr><td class="op-${o.op}">${o.op}</td><td>${esc(o.kind)}</td><td>${esc(o.name)}</td>${extra("<td></td><td></td>")}</tr>`);
      const fileRows = si.files.map((f) => {
        const d = planned.get(f.path);
        const from = d?.origin ? `${d.origin.kind}/${d.origin.name}` : "";
        return `<tr><td class="op-${f.op}">${f.op}</td><td>file</td><td>${esc(f.path)}</td>${extra(`<td>${esc(from)}</td><td>${esc(d?.changes.join("; ") ?? "")}</td>`)}</tr>`;
      });
      const notes = (ctx.notes?.[s] ?? []).map((n) => `<p class="note">${esc(n)}</p>`).join("");
      return `<section class="server-details" ${rowAttrs(s)}><h3>${esc(s)} <span class="rollout">(site ${esc(siteOf(s) || "-")}, wave ${waveOf(ctx, s)}; ${si.status})</span></h3>${notes}
<table class="details"><tr><th>op</th><th>kind</th><th>name</th>${extra("<th>from</th><th>change</th>")}</tr>${[...objectRows, ...fileRows].join("")}</table></section>`;
    })
    .join("\n");

  const lineClass = (l: string) => (l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : l.startsWith("@@") ? "hunk" : "ctx");
  const changes = shownGroups(ctx.changes)
    .map((g) => {
      const note = diffNote(g.diff);
      const facts = [fromLine(g), placeCounts(g.servers, ctx), nameList(g.servers), g.paths.length > 1 ? g.paths.join(", ") : "", note === null ? (contextNote(g) ?? "") : ""].filter(Boolean).join(" · ");
      const body = note !== null ? `<p class="note">${esc(note)}</p>` : `<pre class="diff">${diffLines(g.diff).map((l) => `<span class="${lineClass(l)}">${esc(l, "\t")}</span>`).join("")}</pre>`;
      return `<section class="change" data-paths="${esc(g.paths.join(" "))}" data-servers="${esc(g.servers.join(" "))}"><h3>${reach(g, (p) => `<code>${esc(p)}</code>`)}</h3><div class="facts">${esc(facts)}</div>${body}</section>`;
    })
    .join("\n");

  const option = (v: string, label: string) => `<option value="${esc(v)}">${esc(label)}</option>`;
  const title = opts.title ?? "Provisioning plan";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
<div class="summary" id="summary">${esc(impactSummary(impact))}</div>
${impact.touched.length ? `<div class="rollout">Rollout order: ${esc(rolloutLine(impact.touched, ctx))}</div>` : ""}
${ctx.validators ? `<div class="validators">${ctx.validators.problems.map((p) => `<p class="${p.severity}">${p.severity}: ${esc(visibleText(p.text))}</p>`).join("")}Validators: ${esc(visibleText(ctx.validators.summary))}</div>` : ""}
<div class="filters">
<label>Site <select id="filter-site">${option("", "all sites")}${sites.map((s) => option(s, s)).join("")}</select></label>
<label>Wave <select id="filter-wave">${option("", "all waves")}${waves.map((w) => option(String(w), `wave ${w}`)).join("")}</select></label>
<span><span id="shown">${servers.length}</span> of ${servers.length} servers shown</span>
<span class="legend"><span class="op-create">+ create</span><span class="op-update">~ update</span><span class="op-delete">− delete</span></span>
</div>
<h2>Impact matrix: servers × catalog objects</h2>
${columns.length ? `<table class="matrix" id="matrix"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>` : `<p class="none">No catalog object changes.</p><table class="matrix" id="matrix"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`}
${changes ? `<h2>What changes in the files</h2>\n${changes}` : ""}
<h2>Per-server details</h2>
${details || `<p class="none">Nothing changes.</p>`}
<script>${SCRIPT}</script>
</body></html>
`;
}

/** `provision status --html FILE`: the children and their hosts as one table. */
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
