import { describe, expect, it } from "vitest";
import { TemplateEngine, TemplateFailure, transitiveIncludes } from "../../src/render/templateEngine";
import { minimal, resolveData, server } from "./helpers";
import { render } from "../../src/render/render";
import { CatalogError, formatIssue } from "../../src/catalog/errors";

const entry = (name: string, body: string, kind = "snippet" as const, bodyLineOffset = 0) => [name, { name, kind, body, bodyFile: `${name}.j2`, bodyLineOffset, builtin: false }] as const;

describe("templateEngine", () => {
  it("includes by catalog name only, never from disk", () => {
    const e = new TemplateEngine(new Map([entry("a", 'A{% include "b" %}'), entry("b", "B{{ x }}")]));
    expect(e.render("a", { x: 1 })).toBe("AB1");
    const fs = new TemplateEngine(new Map([entry("a", '{% include "/etc/passwd" %}')]));
    expect(() => fs.render("a", {})).toThrow(/includes unknown template "\/etc\/passwd"/);
  });
  it("undefined values are errors with the template's file and line (of the innermost template)", () => {
    const e = new TemplateEngine(new Map([entry("a", 'x\n{% include "b" %}'), entry("b", "1\n2\n  {{ profile.variables.nope }}", "snippet", 10)]));
    try {
      e.render("a", { profile: { variables: {} } });
      expect.unreachable();
    } catch (err) {
      expect((err as TemplateFailure).issue).toEqual({ file: "b.j2", line: 13, path: "template b", message: "undefined value in {{ profile.variables.nope }}", severity: "error" });
    }
  });
  it("syntax errors name the template and line", () => {
    const e = new TemplateEngine(new Map([entry("a", "ok\n{% for %}")]));
    expect(() => e.compile("a")).toThrow(TemplateFailure);
    try {
      e.compile("a");
    } catch (err) {
      expect((err as TemplateFailure).issue).toMatchObject({ file: "a.j2", line: 2, path: "template a" });
    }
  });
  it("does not escape HTML", () => {
    expect(new TemplateEngine(new Map([entry("a", "{{ x }}")])).render("a", { x: "<&>" })).toBe("<&>");
  });
  it("lists includes directly and transitively", () => {
    const e = new TemplateEngine(new Map([entry("a", '{% include "b" %}{%- include \'c\' %}{% include "b" %}'), entry("b", ""), entry("c", "")]));
    expect(e.compile("a")).toEqual(["b", "c"]);
    const g: Record<string, string[]> = { a: ["b"], b: ["c"], c: ["a"] };
    expect(transitiveIncludes("a", (n) => g[n] ?? [])).toEqual(["b", "c"]);
  });
  it("an undefined variable during render becomes a CatalogError naming the server", () => {
    const d = minimal();
    d.templates[0] = { name: "ks", kind: "autoinstall", text: "line1\n{{ profile.variables.missing }}\n" };
    try {
      render(resolveData(d), server());
      expect.unreachable();
    } catch (e) {
      expect(formatIssue((e as CatalogError).issues[0]!)).toMatch(/catalog\.yaml:\d+ template ks: undefined value in \{\{ profile\.variables\.missing \}\} \(rendering autoinstall of profile web for server s1\)$/);
    }
  });
});
