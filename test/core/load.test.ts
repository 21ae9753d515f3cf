import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/catalog/errors";
import { loadCatalog } from "../../src/catalog/load";
import { issuesOf, tempDir } from "./helpers";

const T = (s: string) => s.replace(/^\n/, "");

describe("loadCatalog", () => {
  it("reports an unknown key with file, line, path and a suggestion", () => {
    const dir = tempDir({
      "catalog.yaml": T(`
profiles:
  - name: a
  - name: b
    parnet: a
`),
    });
    const issues = issuesOf(() => loadCatalog(dir));
    expect(issues.map(formatIssue)).toEqual([
      `${path.join(dir, "catalog.yaml")}:4 profiles[1].parnet: unknown key "parnet" (did you mean "parent"?); expected one of: autoinstall, configFiles, distribution, kernelOptions, name, parent, variables`,
    ]);
  });

  it("collects every issue of every file (schema errors, syntax errors)", () => {
    const dir = tempDir({
      "a.yaml": T(`
profiles:
  - name: "bad/name"
  - {}
`),
      "b.yml": "templates: [\n",
      "c.yaml": "distibutions: []\n",
      "ignored.txt": "nonsense: [",
    });
    const issues = issuesOf(() => loadCatalog(dir));
    const lines = issues.map(formatIssue).map((l) => l.replace(dir + path.sep, ""));
    expect(lines).toContain('a.yaml:2 profiles[0].name: invalid name "bad/name": expected 1-63 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit, without \'..\'');
    expect(lines.some((l) => /^a\.yaml:3 profiles\[1\]\.name: missing required key/.test(l))).toBe(true);
    // A syntax error is located at the key it breaks.
    expect(lines.some((l) => /^b\.yml:\d+ templates: YAML syntax error/.test(l))).toBe(true);
    expect(lines).toContain('c.yaml:1 distibutions: unknown key "distibutions" (did you mean "distributions"?); expected one of: bootLoaders, configFiles, distributionProfiles, distributions, hosts, profiles, templates');
  });

  it("reports duplicate names across files with the first definition", () => {
    const dir = tempDir({ "a.yaml": "profiles:\n  - name: web\n", "b.yaml": "\nprofiles:\n  - name: web\n" });
    const issues = issuesOf(() => loadCatalog(dir));
    expect(issues.map(formatIssue)).toEqual([`${path.join(dir, "b.yaml")}:3 profiles[0].name: duplicate profile name "web" (first defined at ${path.join(dir, "a.yaml")}:2)`]);
  });

  it("merges a folder in sorted file order and remembers origins", () => {
    const dir = tempDir({
      "b.yaml": "templates:\n  - name: t\n    kind: snippet\n    source: t/x.j2\n",
      "a.yaml": "profiles:\n  - name: p\n",
      "t/x.j2": "hello",
    });
    const c = loadCatalog(dir);
    expect(c.files.map((f) => path.basename(f))).toEqual(["a.yaml", "b.yaml"]);
    expect(c.templates[0]!.body).toBe("hello");
    expect(c.templates[0]!.bodyFile).toBe(path.join(dir, "t/x.j2"));
    expect(c.profiles[0]!.origin).toMatchObject({ file: path.join(dir, "a.yaml"), line: 2, path: "profiles[0]", baseDir: dir });
  });

  it("reports an unreadable template source at its key", () => {
    const dir = tempDir({ "c.yaml": "templates:\n  - name: t\n    kind: snippet\n    source: missing.j2\n" });
    expect(issuesOf(() => loadCatalog(dir)).map(formatIssue)).toEqual([`${path.join(dir, "c.yaml")}:4 templates[0].source: cannot read template source "missing.j2": ENOENT`]);
  });

  it("reports a missing catalog and an empty folder", () => {
    expect(issuesOf(() => loadCatalog("/nonexistent/x.yaml"))[0]!.message).toMatch(/^cannot read catalog/);
    expect(issuesOf(() => loadCatalog(tempDir({ "x.txt": "" })))[0]!.message).toBe("no *.yaml or *.yml file in folder");
  });

  it("accepts an empty file", () => {
    expect(loadCatalog(tempDir({ "e.yaml": "" })).profiles).toEqual([]);
  });
});
