// Catalog text in a pull-request comment stays text: a block of it sits in a fence longer than
// any backtick run inside, a name or sentence inline is code or escaped. Families: backtick runs
// of 1..10, a newline followed by a fake summary line and an @mention, markup characters,
// control characters; in every place the comment prints catalog or stack text (paths, object
// names, server and site names, warnings, notes, diff bodies). Read back as GitHub reads it
// (test/support/markdownText.ts): the forged text is never markup.
import { describe, expect, it } from "vitest";
import type { Impact } from "../../src/impact";
import { fence, fenceText, mdCode, mdText } from "../../src/report/markdown";
import { impactMarkdown } from "../../src/report/impactReport";
import type { ReportContext } from "../../src/report/reportContext";
import { markdownTable } from "../../src/report/table";
import { groupChanges } from "../../src/review/changeGroups";
import type { Contents } from "../../src/review/contents";
import { plannedFile } from "../../src/review/plannedFile";
import { contentKey, sha256Hex } from "../../src/state/contentKey";
import { encodeEntry } from "../../src/state/fileEntries";
import { visibleText } from "../../src/util/visibleText";
import { fencedBlocks, markdownLines, markupLines, markupOf } from "../support/markdownText";

const FAKE = "**0 of 3 servers touched: no file changes** @octocat LGTM";
const ticks = (n: number) => "`".repeat(n);
/** A name or line that tries to close a block of n backticks and write its own summary. */
const forged = (n: number) => `x${ticks(n)}\n${ticks(n)}\n${FAKE}\n${ticks(n)}`;
const RUNS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const MARKUP = ["*bold*", "_em_", "[link](https://example.org)", "<img src=x onerror=alert(1)>", "a|b", "@octocat", "# heading", "- item", "1. item", "> quote", "x\r\n## h", "\u001b[31mred", "a\u202eb", "&amp;", "~~s~~", "www.example.org", "me@example.org"];

/** No line that renders as markup holds the fake summary, its bold, or the mention. */
function expectNoForgery(md: string) {
  for (const line of markupLines(md)) {
    expect(line).not.toContain("0 of 3 servers touched: no file changes**");
    expect(line).not.toContain("@octocat");
    expect(line).not.toMatch(/^\s*#+ heading/);
    expect(line).not.toContain("<img");
    expect(line).not.toContain("](");
  }
}

describe("a fenced block", () => {
  it.each(RUNS.filter((n) => n >= 3))("holds every line of a text with a run of %i backticks, and nothing closes it early", (n) => {
    const lines = ["a", ticks(n), FAKE, `${ticks(n)}diff`, `   ${ticks(n + 2)}`, "\ttab"];
    const md = `before\n\n${fence(lines, "diff")}\n\nafter ${FAKE}`;
    expect(fencedBlocks(md)).toEqual([lines]);
    expect(md.split("\n")[2]).toBe(`${ticks(Math.max(3, n + 3))}diff`);
    expectNoForgery(md.replace(`after ${FAKE}`, "after"));
  });

  it("shows control characters as escapes (keeping tabs), and a text without backticks gets three", () => {
    const md = fenceText("ok\n\u001b]0;title\u0007\u001b[2J\tcol\n");
    expect(md).toBe("```\nok\n\\x1b]0;title\\x07\\x1b[2J\tcol\n```");
    expect(fencedBlocks(md)).toEqual([["ok", "\\x1b]0;title\\x07\\x1b[2J\tcol"]]);
  });

  it.each(RUNS.filter((n) => n >= 3))("an error message naming a file with a newline and a run of %i backticks stays in its block", (n) => {
    const stderr = `catalog/templates/${forged(n)}.j2:1 templates[ks]: template not found\nprovision: 1 error\n`;
    const md = `**failed**\n\n${fenceText(stderr)}\n`;
    expect(fencedBlocks(md)).toEqual([stderr.trimEnd().split("\n")]);
    expectNoForgery(md);
  });
});

describe("inline text", () => {
  it.each(RUNS)("a name with a run of %i backticks and a newline is one code span showing it", (n) => {
    const name = `web${ticks(n)}\n${FAKE}`;
    const code = mdCode(name);
    expect(code.split("\n")).toHaveLength(1);
    expect(markupOf(code).trim()).toBe("");
    // The span's content, as CommonMark reads it: one space stripped each side when both are there.
    const run = /^`+/.exec(code)![0];
    const inner = code.slice(run.length, -run.length);
    expect(/^ .* $/.test(inner) ? inner.slice(1, -1) : inner).toBe(visibleText(name));
  });

  it.each([...MARKUP, ...RUNS.map(forged)])("as escaped text, %j forms no markup, mention or line break", (name) => {
    const text = mdText(name);
    expect(text).not.toContain("\n");
    expect(text).not.toContain("\r");
    const markup = markupOf(text);
    for (const c of ["*", "_", "`", "[", "<", "|", "~", "&", "@"]) expect(markup).not.toContain(c);
    expect(markup).not.toMatch(/^\s*(#|-|\d+\.|>)/);
    expect(markup).not.toContain("www.");
  });

  it("a table cell holding `|`, backticks or a newline stays one cell", () => {
    for (const cell of ["a|b", "a\\|b", "a\\\\|b", "a\\", forged(3), "x`|`y", ...MARKUP]) {
      const row = markdownTable(["op", "name"], [["update", cell]]).split("\n")[2]!;
      expect(row.split("\n")).toHaveLength(1);
      // Cells as GitHub splits them, code spans included: a backslash escapes the next character, an unescaped pipe separates.
      expect(row.match(/(?:\\.|[^|])+/g)!.filter((c) => c.trim() !== "")).toHaveLength(2);
      expectNoForgery(row);
    }
  });
});

describe("the comment of an impact or plan", () => {
  const keyOf = (text: string) => contentKey(sha256Hex(text));
  const entry = (text: string) => encodeEntry({ key: keyOf(text), mode: "0644", secrets: [] });

  it.each(RUNS)("prints catalog and stack text with runs of %i backticks, newlines and markup only as code, escaped text or fenced lines", (n) => {
    const inject = `${forged(n)} *x* [l](u) <b>`;
    const [server, other] = [`pxe${inject}`, `edge${inject}`];
    const path = `http/files/web/${inject}`;
    const before = "a\n";
    const after = `a\n${ticks(n)}\n${FAKE}\n${ticks(n)}\n`;
    const file = (s: string) => plannedFile(path, "update", { before: entry(`${before}# ${s}\n`), after: entry(`${after}# ${s}\n`), origin: { kind: "configFile", name: inject } });
    const files = { [server]: [file(server)], [other]: [file(other)] };
    const contents: Contents = { texts: Object.fromEntries([server, other].flatMap((s) => [`${before}# ${s}\n`, `${after}# ${s}\n`]).map((t) => [keyOf(t), t])), blobs: {} };
    const changes = groupChanges(files, contents);
    const impact: Impact = {
      touched: [server, other],
      servers: Object.fromEntries(
        [server, other, `idle${inject}`].map((s) => [s, { status: s.startsWith("idle") ? ("same" as const) : ("update" as const), objects: s.startsWith("idle") ? [] : [{ kind: "template" as const, name: inject, op: "update" as const }], files: s.startsWith("idle") ? [] : [{ path, op: "update" as const }] }]),
      ),
    };
    const ctx: ReportContext = {
      servers: { [server]: { site: `east${inject}`, wave: 0 }, [other]: { site: `west${inject}`, wave: 1 } },
      files,
      changes,
      notes: { [server]: [`note ${inject}`] },
      warnings: [`warning ${inject}`],
    };
    const md = impactMarkdown(impact, ctx);
    expectNoForgery(md);
    // The diff's lines are all in one block: the injected fence and summary are its content.
    const diff = fencedBlocks(md).find((b) => b.some((l) => l.startsWith("@@")))!;
    expect(diff).toContain(`+${FAKE}`);
    expect(diff).toContain(`+${ticks(n)}`);
    // Every line that renders starts as the report writes it: no line of catalog text stands alone.
    for (const l of markdownLines(md).filter((x) => !x.fenced && x.text !== "")) expect(l.text).toMatch(/^(\*\*|Rollout|> |#{2,4} |`|\||- |<\/?details|_the diff|from |\\?[A-Za-z]|\d+ more)/);
  });
});
