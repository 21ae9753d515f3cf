// Templates are untrusted input: every known way from a nunjucks template to the JavaScript
// runtime, the file system or the environment must end as a located error, with no side effect.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CatalogError, formatIssue } from "../../src/catalog/errors";
import { render } from "../../src/render/render";
import { minimal, resolveData, server } from "./helpers";

const marker = path.join(os.tmpdir(), `confinement-marker-${process.pid}`);
const SECRET_ENV = "CONFINEMENT_TEST_SECRET";
const SECRET_VALUE = "s3cr3t-from-the-environment";
process.env[SECRET_ENV] = SECRET_VALUE;

const run = `return process.mainModule.require('child_process').execSync('touch ${marker}').toString()`;
const readEnv = `return process.env.${SECRET_ENV}`;

/** [what it tries, template text, the message the error must carry] */
const ESCAPES: readonly [string, string, RegExp][] = [
  ["the issue's example: range.constructor", `x {{ range.constructor("${run}")() }}`, /"constructor" is refused/],
  ["cycler's constructor", `{{ cycler.constructor("${run}")() }}`, /"constructor" is refused/],
  ["joiner's constructor", `{{ joiner.constructor("${readEnv}")() }}`, /"constructor" is refused/],
  ["a string literal's constructor chain", `{{ "".constructor.constructor("${run}")() }}`, /"constructor" is refused/],
  ["a computed literal key", `{{ profile["constructor"]["constructor"]("${run}")() }}`, /"constructor" is refused/],
  ["a key computed at run time", `{% set k = "constr" + "uctor" %}{{ profile[k][k]("${run}")() }}`, /the lookup of "constructor" is refused/],
  ["a key built by a filter", `{% set k = "CONSTRUCTOR" | lower %}{{ range[k][k]("${run}")() }}`, /the lookup of "constructor" is refused/],
  ["loop's constructor", `{% for i in [1] %}{{ loop.constructor.constructor("${run}")() }}{% endfor %}`, /"constructor" is refused/],
  ["a macro's constructor", `{% macro m() %}{% endmacro %}{{ m.constructor("${run}")() }}`, /"constructor" is refused/],
  ["__proto__", `{{ profile.__proto__ }}`, /"__proto__" is refused/],
  ["the context's inherited constructor", `{{ constructor.getOwnPropertyDescriptor }}`, /"constructor" is refused/],
  ["a bound method's constructor", `{{ "a,b".split.constructor("${run}")() }}`, /"constructor" is refused/],
  ["Function.prototype.call", `{{ range.call(null, 3) }}`, /"call" is refused/],
  ["Function.prototype.apply at run time", `{% set k = "app" + "ly" %}{{ range[k](null, [3]) }}`, /the lookup of "apply" is refused/],
  ["Function.prototype.bind", `{{ range.bind }}`, /"bind" is refused/],
  ["__lookupGetter__ through a computed key", `{% set k = "__lookup" + "Getter__" %}{{ profile[k]("variables") }}`, /the lookup of "__lookupGetter__" is refused/],
  ["an inherited method (not own data)", `{{ profile.hasOwnProperty("name") }}`, /undefined|Unable to call/],
  ["process and the environment", `{{ process.env.${SECRET_ENV} }}`, /undefined value/],
  ["include of a file outside the catalog", `{% include "/etc/passwd" %}`, /includes unknown template "\/etc\/passwd"/],
  ["include by a computed name", `{% set n = "/etc/hostname" %}{% include n %}`, /include of a template by a computed name/],
  ["import of a file outside the catalog", `{% import "../../etc/hostname" as h %}`, /includes unknown template/],
  ["from-import by a computed name", `{% from profile.name import x %}`, /fromimport of a template by a computed name/],
  ["extends of a file outside the catalog", `{% extends "/etc/hostname" %}`, /includes unknown template/],
  ["a nondeterministic filter", `{{ [1, 2] | random }}`, /the filter "random" is refused/],
];

function renderWith(text: string) {
  const d = minimal();
  d.templates[0] = { name: "ks", kind: "autoinstall", text };
  return render(resolveData(d), server());
}

describe("template confinement", () => {
  afterEach(() => fs.rmSync(marker, { force: true }));

  it.each(ESCAPES)("refuses %s: a located error, no side effect, no secret", (_what, text, message) => {
    let error: unknown;
    let output = "";
    try {
      output = renderWith(text).files.map((f) => f.content ?? "").join("\n");
    } catch (e) {
      error = e;
    }
    expect(error, `rendered instead of failing:\n${output}`).toBeInstanceOf(CatalogError);
    const line = formatIssue((error as CatalogError).issues[0]!);
    // Located: the catalog file and line of the template, and its name.
    expect(line).toMatch(/catalog\.yaml:\d+ template ks: /);
    expect(line).toMatch(message);
    expect(line).not.toContain(SECRET_VALUE);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("keeps what templates legitimately do: data, loops, macros, includes, string and list methods", () => {
    const text = [
      '{% macro hostline(h) %}host {{ h | upper }}{% endmacro %}',
      "{{ hostline(profile.name) }}",
      '{% for x in ["a", "b"] %}{{ loop.index }}{{ x }}{% endfor %}',
      '{{ "a,b,c".split(",") | join("+") }} {{ ["x", "y"].join("-") }} {{ profile.name.startsWith("w") }}',
      "{% set c = cycler(1, 2) %}{{ c.next() }}{{ c.next() }} {{ range(3) | join }}",
      '{% include "net" %}',
    ].join("\n");
    const ks = renderWith(text).files.find((f) => f.path === "http/autoinstall/web.cfg")!.content!;
    // (trimBlocks: a block tag at the end of a line takes its newline)
    expect(ks).toContain("host WEB\n1a2ba+b+c x-y true\n12 012\nnet for web");
  });
});
