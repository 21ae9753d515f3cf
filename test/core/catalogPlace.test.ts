// Where a catalog may be read from. A stack's catalog lies in the project: a relative path, or an
// absolute one naming a place in the project, must stay inside it after following links; in a
// review whose stack file is under review, every path must. A program's relative catalog path
// stays inside its baseDir after links; an absolute path a program names is read where it leads.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { formatIssue } from "../../src/catalog/errors";
import { loadCatalogInput } from "../../src/catalog/load";
import { confineCatalog, readStackConfig } from "../../src/stackConfig";
import { issuesOf, tempDir } from "./helpers";

const MARKER = "MARKERVALUE9Z";
const CATALOG = { "distributions.yaml": "distributions: []\n", "profiles.yaml": "profiles: []\n" };
const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
const dir = (files: Record<string, string>) => {
  const d = tempDir(files);
  made.push(d);
  return d;
};

/** A folder outside every project, holding a catalog-shaped file with the marker. */
const outside = dir({ "leak.yaml": `profiles:\n  - name: ${MARKER}\n` });

/** A project with the example-shaped catalog at `catalog/`, after `arrange` ran in it. */
function project(arrange: (p: string) => void = () => {}): string {
  const p = dir(Object.fromEntries(Object.entries(CATALOG).map(([f, t]) => [`catalog/${f}`, t])));
  arrange(p);
  return p;
}
const stackFile = (p: string) => path.join(p, "stacks", "Pulumi.s.yaml");
function withCatalog(p: string, catalog: string | string[]): void {
  fs.mkdirSync(path.dirname(stackFile(p)), { recursive: true });
  fs.writeFileSync(stackFile(p), stringify({ config: { "provisioning:servers": [], "provisioning:catalog": catalog } }));
}
const link = (p: string) => `cannot read catalog "catalog": it is (or lies in) a symbolic link that leads outside the project folder ${p}; a catalog must lie in the project`;

describe("a stack's catalog lies in the project", () => {
  const REFUSED: { name: string; arrange: (p: string) => void; catalog: (p: string) => string | string[]; expected: (p: string) => string[] }[] = [
    { name: "the catalog folder replaced by an absolute link out", arrange: (p) => replace(p, outside), catalog: () => "catalog", expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: ${link(p)}`] },
    { name: "a relative link out", arrange: (p) => replace(p, path.relative(p, outside)), catalog: () => "catalog", expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: ${link(p)}`] },
    { name: "a chain of links", arrange: (p) => (fs.symlinkSync(outside, path.join(p, "hop2")), fs.symlinkSync("hop2", path.join(p, "hop1")), replace(p, "hop1")), catalog: () => "catalog", expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: ${link(p)}`] },
    { name: "a link to /", arrange: (p) => replace(p, "/"), catalog: () => "catalog", expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: ${link(p)}`] },
    { name: "a parent folder of the path replaced by a link", arrange: (p) => (fs.mkdirSync(path.join(p, "deep")), fs.symlinkSync(outside, path.join(p, "deep", "er"))), catalog: () => "deep/er", expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: ${link(p).replace('"catalog"', '"deep/er"')}`] },
    { name: "a relative path up and out", arrange: () => {}, catalog: (p) => path.relative(p, outside), expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: cannot read catalog ${JSON.stringify(path.relative(p, outside))}: it is outside the project folder ${p}; a catalog must lie in the project`] },
    { name: "../.. up to /", arrange: () => {}, catalog: (p) => path.relative(p, "/"), expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: cannot read catalog ${JSON.stringify(path.relative(p, "/"))}: it is outside the project folder ${p}; a catalog must lie in the project`] },
    {
      name: "an absolute path into the project, through a link",
      arrange: (p) => replace(p, outside),
      catalog: (p) => path.join(p, "catalog"),
      expected: (p) => [`${stackFile(p)}:3 provisioning:catalog: ${link(p).replace('"catalog"', JSON.stringify(path.join(p, "catalog")))}`],
    },
    {
      name: "one bad entry of a list, at its line",
      arrange: (p) => fs.symlinkSync(outside, path.join(p, "hosts")),
      catalog: () => ["catalog", "hosts"],
      expected: (p) => [`${stackFile(p)}:5 provisioning:catalog[1]: ${link(p).replace('"catalog"', '"hosts"')}`],
    },
  ];
  function replace(p: string, target: string): void {
    fs.rmSync(path.join(p, "catalog"), { recursive: true });
    fs.symlinkSync(target, path.join(p, "catalog"));
  }

  it.each(REFUSED.map((c) => [c.name, c] as const))("%s: refused at the stack file's line", (_name, c) => {
    const p = project(c.arrange);
    withCatalog(p, c.catalog(p));
    const issues = issuesOf(() => readStackConfig(p, "s")).map(formatIssue);
    expect(issues).toEqual(c.expected(p));
    expect(issues.join("\n")).not.toContain(MARKER);
  });

  const KEPT: { name: string; arrange: (p: string) => void; catalog: (p: string) => string | string[] }[] = [
    { name: "a folder of the project", arrange: () => {}, catalog: () => "catalog" },
    { name: "a link that stays in the project", arrange: (p) => fs.symlinkSync("catalog", path.join(p, "current")), catalog: () => "current" },
    { name: "the project's own absolute path", arrange: () => {}, catalog: (p) => path.join(p, "catalog") },
    { name: "a path that does not exist (the loader says so)", arrange: () => {}, catalog: () => "missing" },
    { name: "an absolute path elsewhere: the operator's folder", arrange: () => {}, catalog: () => outside },
  ];
  it.each(KEPT.map((c) => [c.name, c] as const))("%s: kept", (_name, c) => {
    const p = project(c.arrange);
    withCatalog(p, c.catalog(p));
    expect(readStackConfig(p, "s").catalogPaths).toHaveLength(typeof c.catalog(p) === "string" ? 1 : 2);
  });

  it("in a review whose stack file is under review, an absolute path elsewhere is refused too", () => {
    const p = project();
    withCatalog(p, outside);
    const stack = readStackConfig(p, "s");
    expect(issuesOf(() => confineCatalog(stack, p, true)).map(formatIssue)).toEqual([`${stackFile(p)}:3 provisioning:catalog: cannot read catalog ${JSON.stringify(outside)}: it is outside the project folder ${p}; a catalog must lie in the project`]);
    const q = project((d) => withCatalog(d, "catalog"));
    expect(() => confineCatalog(readStackConfig(q, "s"), q, true)).not.toThrow();
  });
});

describe("a program's relative catalog path stays in its baseDir", () => {
  it.each([
    ["a link out", (p: string) => fs.symlinkSync(outside, path.join(p, "linked")), "linked", "it is (or lies in) a symbolic link that leads outside"],
    ["a chain of links out", (p: string) => (fs.symlinkSync(outside, path.join(p, "hop")), fs.symlinkSync("hop", path.join(p, "linked"))), "linked", "it is (or lies in) a symbolic link that leads outside"],
    ["a relative path up and out", () => {}, path.relative("/x/y", "/"), "it is outside"],
  ] as const)("%s is refused", (_name, arrange, part, why) => {
    const p = project(arrange);
    const rel = part.startsWith("..") ? path.relative(p, outside) : part;
    const issues = issuesOf(() => loadCatalogInput(rel, { baseDir: p })).map(formatIssue);
    expect(issues).toEqual([`${path.resolve(p, rel)}: cannot read catalog: ${why} the base folder ${p}`]);
    expect(issues.join("\n")).not.toContain(MARKER);
  });

  it("a relative path in baseDir, and an absolute path the program names, are read", () => {
    const p = project();
    expect(loadCatalogInput("catalog", { baseDir: p }).profiles).toEqual([]);
    // The program's own choice, reviewed with its code: read where it leads.
    expect(loadCatalogInput(dir(CATALOG), { baseDir: p }).profiles).toEqual([]);
  });
});
