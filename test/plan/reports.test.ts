// Markdown, text and HTML forms of an impact/plan: summary line, one table per touched server,
// untouched servers collapsed, rollout order, [secret] for secret changes, matrix cells by op.
import { describe, expect, it } from "vitest";
import type { Impact } from "../../src/impact";
import { planFromPreview } from "../../src/plan/fromPreview";
import { impactHtml } from "../../src/report/htmlReport";
import { impactMarkdown, impactSummary, impactText } from "../../src/report/impactReport";
import type { ReportContext } from "../../src/report/reportContext";
import { doc, key, knownLists, serverStep } from "./previewDoc";

const names = Array.from({ length: 12 }, (_, i) => `pxe-${String(i).padStart(2, "0")}`);
const OBJECTS = ["configFile/motd@c1", "profile/web@p1", "template/ks@t1"];
const ks = { path: "http/autoinstall/web.cfg", key: key("ks"), secrets: ["root_password_hash"] };
const ORIGINS: Record<string, { kind: string; name: string }> = { "http/autoinstall/web.cfg": { kind: "profile", name: "web" }, "http/files/web/nginx": { kind: "configFile", name: "nginx" } };

/** 12 servers; pxe-03 (wave 1): its kickstart's template changed; pxe-07 (wave 0): a config file created. */
function twelve() {
  const steps = [
    serverStep("update", "pxe-03", { files: [ks], objects: OBJECTS }, { files: [{ ...ks, key: key("ks2") }], objects: OBJECTS.map((o) => o.replace("@t1", "@t2")) }),
    serverStep("update", "pxe-07", { files: [], objects: OBJECTS }, { files: [{ path: "http/files/web/nginx", key: key("ng") }], objects: [...OBJECTS, "configFile/nginx@n1"].sort() }),
  ];
  const plan = planFromPreview(doc(steps), names, knownLists);
  const ctx: ReportContext = {
    servers: Object.fromEntries(names.map((n, i) => [n, { site: i % 2 ? "east" : "west", wave: n === "pxe-03" ? 1 : 0 }])),
    files: Object.fromEntries(Object.entries(plan.files).map(([n, fs]) => [n, fs.map((f) => ({ ...f, ...(ORIGINS[f.path] ? { origin: ORIGINS[f.path] } : {}) }))])),
  };
  return { plan, ctx };
}

describe("report formats", () => {
  it("the summary line counts touched servers and files by op", () => {
    const { plan } = twelve();
    expect(impactSummary(plan.impact)).toBe("2 of 12 servers touched: 3 files updated, 1 created");
    const none: Impact = { touched: [], servers: { a: { status: "same", objects: [], files: [] } } };
    expect(impactSummary(none)).toBe("0 of 1 server touched: no file changes");
  });

  it("markdown: summary, rollout order, a table per touched server, untouched ones collapsed", () => {
    const { plan, ctx } = twelve();
    const md = impactMarkdown(plan.impact, ctx);
    const lines = md.split("\n");
    expect(lines[0]).toBe("**2 of 12 servers touched: 3 files updated, 1 created**");
    // Wave 0 before wave 1.
    expect(md).toContain("Rollout order: wave 0: pxe-07 → wave 1: pxe-03");
    const headings = lines.filter((l) => l.startsWith("### "));
    expect(headings).toEqual(["### pxe-03 (site east, wave 1)", "### pxe-07 (site east, wave 0)"]);
    // Each touched server's table lists its objects and files with their origin.
    // A server's section: from its heading to the next heading or the collapsed block.
    const section = (n: string) => md.slice(md.indexOf(`### ${n}`)).split(/\n(?=### |<details>)/)[0]!;
    expect(section("pxe-07")).toMatch(/\| `create` \| `file` \| `http\/files\/web\/nginx` \| `configFile\/nginx` \|/);
    expect(section("pxe-07")).toMatch(/\| `create` \| `configFile` \| `nginx` \|/);
    expect(section("pxe-03")).toMatch(/\| `update` \| `template` \| `ks` \|/);
    // Untouched servers: one collapsed block naming all ten, no tables.
    const details = md.slice(md.indexOf("<details>"));
    expect(details).toContain("<summary>10 servers untouched</summary>");
    for (const n of names.filter((x) => x !== "pxe-03" && x !== "pxe-07")) {
      expect(details).toContain(`\`${n}\``);
      expect(md).not.toContain(`### ${n}`);
    }
    expect(md.trimEnd().endsWith("</details>")).toBe(true);
  });

  it("markdown shows a change of a file that prints a secret as a change of its content (the secret is not in it)", () => {
    const { plan, ctx } = twelve();
    const row = impactMarkdown(plan.impact, ctx).split("\n").find((l) => l.includes("http/autoinstall/web.cfg"))!;
    // The diff shows what changed; the table says that it did (content keys differ per server, so they stay out of it).
    expect(row).toContain("| `content changed` |");
  });

  it("text: summary first, then a table per server with changes; untouched servers are left out", () => {
    const { plan, ctx } = twelve();
    const text = impactText(plan.impact, ctx);
    const lines = text.split("\n");
    expect(lines[0]).toBe("2 of 12 servers touched: 3 files updated, 1 created");
    expect(lines[1]).toBe("rollout: wave 0: pxe-07 → wave 1: pxe-03");
    expect(lines).toContain("pxe-03 (update; site east, wave 1)");
    expect(lines.find((l) => l.startsWith("op "))).toMatch(/^op\s+kind\s+name\s+from\s+change$/);
    expect(text).not.toContain("pxe-00");
  });

  it("html: one matrix row per server, a column per changed object, cells classed by op", () => {
    const { plan, ctx } = twelve();
    const html = impactHtml(plan.impact, ctx);
    const rows = html.match(/<tr class="(touched|untouched)" data-server-row[^>]*>/g)!;
    expect(rows).toHaveLength(12);
    expect(rows.filter((r) => r.startsWith('<tr class="touched"'))).toHaveLength(2);
    const cells = [...html.matchAll(/<td class="cell op-(create|update|delete)" data-object="([^"]+)" data-op="(\w+)"/g)].map((m) => [m[1], m[2], m[3]]);
    expect(cells.sort()).toEqual([
      ["create", "configFile/nginx", "create"],
      ["update", "template/ks", "update"],
    ]);
    // Empty cells for every other server × object pair: 12 rows × 2 columns in all.
    expect(html.match(/<td class="cell/g)).toHaveLength(24);
    expect(html).toContain('data-server="pxe-03" data-site="east" data-wave="1"');
    expect(html).toContain('<option value="east">east</option>');
    expect(html).toContain('<option value="1">wave 1</option>');
    // Distinct colours per op.
    const colour = (op: string) => new RegExp(`\\.op-${op} \\{ background: var\\(--${op}-bg\\)`).test(html);
    expect(["create", "update", "delete"].every(colour)).toBe(true);
    expect(html).toContain(`content ${key("ks").slice(0, 10)}…`);
  });

  it("html escapes names", () => {
    const i: Impact = { touched: ["a"], servers: { a: { status: "update", objects: [{ kind: "template", name: "<b>x</b>", op: "update" }], files: [{ path: "p&q", op: "update" }] } } };
    const html = impactHtml(i);
    expect(html).not.toContain("<b>x</b>");
    expect(html).toContain("&#60;b&#62;x&#60;/b&#62;");
    expect(html).toContain("p&#38;q");
  });
});
