// What a reviewer reads is what changed: the text and HTML reports write every control and
// hiding character of catalog-derived text (diff lines, paths, names, warnings, notes) as a
// visible escape, keep the report's own lines and the diff's tabs, and lose no line.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Impact } from "../../src/impact";
import { impactHtml } from "../../src/report/htmlReport";
import { impactText } from "../../src/report/impactReport";
import type { ReportContext } from "../../src/report/reportContext";
import { selectionText } from "../../src/report/selectionReport";
import type { ServerTree } from "../../src/render/render";
import { FAMILY, HOSTILE_LINE, HOSTILE_TAIL, hidingIn } from "../support/hidingCharacters";

/** A plan in which `x` appears in every place catalog or engine text reaches a report. */
function planWith(x: string): { impact: Impact; ctx: ReportContext } {
  const server = `pxe${x}1`;
  const path = `http/autoinstall/w${x}b.cfg`;
  const impact: Impact = {
    touched: [server],
    servers: { [server]: { status: "update", objects: [{ kind: "template", name: `ks${x}`, op: "update" }], files: [{ path, op: "update" }] } },
  };
  const ctx: ReportContext = {
    servers: { [server]: { site: `east${x}`, wave: 0 } },
    files: { [server]: [{ path, op: "update", changes: [`content a${x} → b`], origin: { kind: "profile", name: `web${x}` } }] },
    notes: { [server]: [`daemons restart${x}`] },
    warnings: [`a program warning${x}`],
    changes: [
      {
        op: "update",
        paths: [path],
        origins: [`profile/web${x}`],
        diff: { kind: "text", diff: `@@ -1,2 +1,3 @@\n context\n+${HOSTILE_LINE}${x}${HOSTILE_TAIL}\n+\tindented${x}\n-old` },
        shown: { server, path },
        servers: [server],
        sameContext: true,
      },
    ],
  };
  return { impact, ctx };
}

/** Any text: mostly the family, some printable characters. */
const payload = fc.string({ unit: fc.oneof(fc.constantFrom(...FAMILY), fc.constantFrom("a", " ", "\\", "|", "[", "\x1b[2K")), minLength: 1, maxLength: 12 });

describe("text and HTML reports show what changed", () => {
  const plainText = impactText(planWith("").impact, planWith("").ctx);
  const plainHtml = impactHtml(planWith("").impact, planWith("").ctx);

  it("text: no hiding character but the lines and the diff's tabs, the same lines as without it, the added line there", () => {
    fc.assert(
      fc.property(payload, (x) => {
        const { impact, ctx } = planWith(x);
        const text = impactText(impact, ctx);
        expect(hidingIn(text, "\n\t")).toEqual([]);
        expect(text.split("\n")).toHaveLength(plainText.split("\n").length);
        expect(text).toContain(`    +${HOSTILE_LINE}`);
        expect(text).toContain("\\x1b[1A\\x1b[2K\\x1b]0;all good\\x07\\r");
        expect(text).toContain("    +\tindented");
      }),
      { numRuns: 300 },
    );
  });

  it("text: each character of the family is written out where a person can read it", () => {
    for (const x of FAMILY) {
      const text = impactText(planWith(x).impact, planWith(x).ctx);
      expect(hidingIn(text, "\n\t"), JSON.stringify(x)).toEqual([]);
      expect(text.split("\n"), JSON.stringify(x)).toHaveLength(plainText.split("\n").length);
      expect(text).toMatch(/warning: a program warning\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[tnr])/);
    }
  });

  it("HTML: no hiding character outside the page's own lines and the diff's tabs, the added line visible", () => {
    fc.assert(
      fc.property(payload, (x) => {
        const { impact, ctx } = planWith(x);
        const html = impactHtml(impact, ctx);
        expect(hidingIn(html, "\n\t")).toEqual([]);
        expect(html.split("\n")).toHaveLength(plainHtml.split("\n").length);
        expect(html).toContain(`<span class="add">+${HOSTILE_LINE}`);
        expect(html).toContain("\\x1b[1A\\x1b[2K\\x1b]0;all good\\x07\\r");
      }),
      { numRuns: 200 },
    );
  });

  it("select: names, reasons and warnings visible, one line each", () => {
    const tree = (x: string) =>
      ({
        server: `s${x}`,
        selection: { profiles: ["web"], objects: [{ kind: "profile", name: "web", reason: `served: matches 'w${x}*'` }], warnings: [`pattern${x} matches nothing`] },
        files: [{ path: `p${x}`, size: 1, sha256: "a".repeat(64), secrets: [] }],
      }) as unknown as ServerTree;
    const plain = selectionText(tree(""));
    for (const x of FAMILY) {
      const text = selectionText(tree(x));
      expect(hidingIn(text, "\n"), JSON.stringify(x)).toEqual([]);
      expect(text.split("\n")).toHaveLength(plain.split("\n").length);
    }
  });
});
