// A catalog arrives in pull requests from strangers, and a symbolic link is committed like any
// file: catalog files (YAML, template sources, local payloads) are read only when they are regular
// files inside the catalog folder (payloads: or an allowed payload root). A link out (the
// checkout's .git/config, a file holding a secret, /dev/zero), a FIFO, a directory or a dangling
// link is a located error that names the file and why, quotes nothing of it, and comes promptly.
// The real `provision validate`, and `provision plan --base` on a revision that commits such links.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { MAX_CATALOG_FILE_BYTES } from "../../src/catalog/load";
import { EXAMPLE_CATALOG } from "../support/fleet";
import { runProvision } from "../support/provisionCli";
import type { RunResult } from "../support/pulumi";

const SECRET = "SECRETVALUE";
const SECRET2 = "SECRETVALUE2";
/** Far beyond a load of a small catalog on a busy machine; a FIFO read or /dev/zero never ends. */
const TIME_BOUND_MS = 30_000;
const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8" }).trim();

/**
 * A git checkout as CI has it: `.git/config` holds the token header, a file beside the catalog
 * holds a secret in catalog shape, and `catalog/` is a copy of the example catalog.
 */
function checkout(): { repo: string; catalog: string; leak: string } {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-files-"));
  made.push(repo);
  git(repo, "init", "-q", "-b", "main");
  git(repo, "config", "http.https://github.com/.extraheader", `AUTHORIZATION: basic ${SECRET}`);
  const leak = path.join(repo, "leak.yaml");
  fs.writeFileSync(leak, `profiles: [{name: "${SECRET2}"}]\n`);
  const catalog = path.join(repo, "catalog");
  fs.cpSync(EXAMPLE_CATALOG, catalog, { recursive: true });
  return { repo, catalog, leak };
}

/** `provision validate catalog` run in the checkout, as the CI recipe does: messages name `catalog/…`. */
const validate = (catalog: string, ...more: string[]) => runProvision(["validate", path.basename(catalog), ...more], { cwd: path.dirname(catalog), timeoutMs: TIME_BOUND_MS });

/** Exit 1, every expected `file[:line] [path: ]message` line, no secret, no stack trace. */
function expectRefused(r: RunResult, lines: readonly string[]): void {
  const out = r.stdout + r.stderr;
  expect(r.code, out).toBe(1);
  expect(r.stdout).toBe("");
  for (const line of lines) expect(r.stderr.split("\n"), out).toContain(line);
  expect(r.stderr.trim().split("\n")).toHaveLength(lines.length);
  expect(out).not.toContain(SECRET);
  expect(out).not.toMatch(/\n\s+at /);
}

const lineOf = (file: string, needle: string) => fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(needle)) + 1;

interface Case {
  name: string;
  /** Makes the bad file(s) in the catalog folder; returns the stderr lines (paths relative to the catalog's parent). */
  setup: (c: ReturnType<typeof checkout>) => string[];
}

const OUT = "it is a symbolic link that leads outside the catalog folder";
const yamlRefused = (file: string, why: string) => `catalog/${file}: cannot read catalog file: ${why}`;

const YAML_CASES: Case[] = [
  { name: "a link to the checkout's .git/config (the CI token header)", setup: ({ catalog }) => (fs.symlinkSync("../.git/config", path.join(catalog, "zz.yaml")), [yamlRefused("zz.yaml", OUT)]) },
  { name: "a link to a file outside holding a value in catalog shape", setup: ({ catalog, leak }) => (fs.symlinkSync(leak, path.join(catalog, "zz.yaml")), [yamlRefused("zz.yaml", OUT)]) },
  { name: "a link to /dev/zero", setup: ({ catalog }) => (fs.symlinkSync("/dev/zero", path.join(catalog, "zero.yaml")), [yamlRefused("zero.yaml", OUT)]) },
  { name: "a link to /dev/urandom", setup: ({ catalog }) => (fs.symlinkSync("/dev/urandom", path.join(catalog, "random.yml")), [yamlRefused("random.yml", OUT)]) },
  { name: "a FIFO", setup: ({ catalog }) => (execFileSync("mkfifo", [path.join(catalog, "x.yaml")]), [yamlRefused("x.yaml", "it is a FIFO, not a regular file")]) },
  { name: "a directory", setup: ({ catalog }) => (fs.mkdirSync(path.join(catalog, "d.yaml")), [yamlRefused("d.yaml", "it is a directory, not a regular file")]) },
  { name: "a dangling link", setup: ({ catalog }) => (fs.symlinkSync("nowhere.yaml", path.join(catalog, "gone.yaml")), [yamlRefused("gone.yaml", "it is a symbolic link to nothing (dangling)")]) },
  { name: "a loop of links", setup: ({ catalog }) => (fs.symlinkSync("loop.yaml", path.join(catalog, "loop.yaml")), [yamlRefused("loop.yaml", "it is a loop of symbolic links")]) },
  {
    name: "an oversized regular file (holding a value in catalog shape)",
    setup: ({ catalog }) => {
      const text = `profiles: [{name: "${SECRET2}"}]\n#${"x".repeat(MAX_CATALOG_FILE_BYTES)}\n`;
      fs.writeFileSync(path.join(catalog, "big.yaml"), text);
      return [yamlRefused("big.yaml", `it is ${Buffer.byteLength(text)} bytes, above the limit of ${MAX_CATALOG_FILE_BYTES} bytes`)];
    },
  },
  {
    name: "all of them at once",
    setup: ({ catalog }) => {
      fs.symlinkSync("../.git/config", path.join(catalog, "a.yaml"));
      fs.symlinkSync("/dev/zero", path.join(catalog, "b.yaml"));
      execFileSync("mkfifo", [path.join(catalog, "c.yaml")]);
      fs.mkdirSync(path.join(catalog, "d.yaml"));
      fs.symlinkSync("nowhere", path.join(catalog, "e.yaml"));
      return [yamlRefused("a.yaml", OUT), yamlRefused("b.yaml", OUT), yamlRefused("c.yaml", "it is a FIFO, not a regular file"), yamlRefused("d.yaml", "it is a directory, not a regular file"), yamlRefused("e.yaml", "it is a symbolic link to nothing (dangling)")];
    },
  },
];

/** Template sources: each refused at its `source:` line, all at once. */
function badTemplateSources({ catalog, repo }: ReturnType<typeof checkout>): string[] {
  const t = path.join(catalog, "templates");
  execFileSync("mkfifo", [path.join(t, "fifo.j2")]);
  fs.mkdirSync(path.join(t, "dir.j2"));
  fs.symlinkSync("/dev/zero", path.join(t, "zero.j2"));
  fs.symlinkSync(path.join(repo, ".git", "config"), path.join(t, "config.j2"));
  fs.symlinkSync("nowhere.j2", path.join(t, "gone.j2"));
  const sources = { fifo: "fifo.j2", dir: "dir.j2", zero: "zero.j2", config: "config.j2", gone: "gone.j2" };
  const file = path.join(catalog, "zz.yaml");
  fs.writeFileSync(file, `templates:\n${Object.entries(sources).map(([name, src]) => `  - name: ${name}\n    kind: snippet\n    source: templates/${src}\n`).join("")}`);
  const why = { fifo: "it is a FIFO, not a regular file", dir: "it is a directory, not a regular file", zero: OUT, config: OUT, gone: "it is a symbolic link to nothing (dangling)" };
  return Object.entries(sources).map(([name, src], i) => `catalog/zz.yaml:${lineOf(file, `source: templates/${src}`)} templates[${i}].source: cannot read template source "templates/${src}": ${why[name as keyof typeof why]}`);
}

/** Local payloads, in the catalog or in an allowed payload root: each refused at its `path:` line, all at once. */
function badPayloads({ catalog, repo }: ReturnType<typeof checkout>): string[] {
  const p = path.join(catalog, "payloads");
  fs.rmSync(path.join(p, "rocky9-x86_64", "vmlinuz"));
  execFileSync("mkfifo", [path.join(p, "rocky9-x86_64", "vmlinuz")]);
  fs.rmSync(path.join(p, "rocky9-x86_64", "initrd.img"));
  fs.mkdirSync(path.join(p, "rocky9-x86_64", "initrd.img"));
  fs.rmSync(path.join(p, "debian12-arm64", "vmlinuz"));
  fs.symlinkSync("/dev/zero", path.join(p, "debian12-arm64", "vmlinuz"));
  // An allowed payload root holding a FIFO and a device (by a link).
  const root = path.join(repo, "images");
  fs.mkdirSync(root);
  execFileSync("mkfifo", [path.join(root, "initrd.img")]);
  fs.symlinkSync("/dev/urandom", path.join(root, "vmlinuz"));
  const file = path.join(catalog, "distributions.yaml");
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, text.replace(/path: payloads\/debian12-amd64\/vmlinuz/, `path: ${root}/vmlinuz`).replace(/path: payloads\/debian12-amd64\/initrd.img/, `path: ${root}/initrd.img`));
  const at = (needle: string) => `catalog/distributions.yaml:${lineOf(file, needle)}`;
  return [
    `${at("rocky9-x86_64/vmlinuz")} distributions[0].kernel.path: cannot read kernel file catalog/payloads/rocky9-x86_64/vmlinuz: it is a FIFO, not a regular file`,
    `${at("rocky9-x86_64/initrd.img")} distributions[0].initrd.path: cannot read initrd file catalog/payloads/rocky9-x86_64/initrd.img: it is a directory, not a regular file`,
    // A link to a device out of every allowed folder is refused as outside them.
    `${at("debian12-arm64/vmlinuz")} distributions[1].kernel.path: kernel file catalog/payloads/debian12-arm64/vmlinuz is outside the catalog folder and the allowed payload roots (${root}): payloads are served to every child, so a path elsewhere needs its folder in the stack's provisioning:payloadRoots`,
    `${at(`${root}/vmlinuz`)} distributions[2].kernel.path: kernel file ${root}/vmlinuz is outside the catalog folder and the allowed payload roots (${root}): payloads are served to every child, so a path elsewhere needs its folder in the stack's provisioning:payloadRoots`,
    `${at(`${root}/initrd.img`)} distributions[2].initrd.path: cannot read initrd file ${root}/initrd.img: it is a FIFO, not a regular file`,
  ];
}

describe("catalog files are read only as what they claim to be: `provision validate`", () => {
  it.each(YAML_CASES.map((c) => [c.name, c] as const))("refuses a YAML file that is %s", async (_name, c) => {
    const co = checkout();
    const lines = c.setup(co);
    expectRefused(await validate(co.catalog), lines);
  });

  it("refuses template sources that are a FIFO, a directory, a device, a link out or a dangling link", async () => {
    const co = checkout();
    const lines = badTemplateSources(co);
    expectRefused(await validate(co.catalog), lines);
  });

  it("refuses payloads that are a FIFO, a directory or a device, in the catalog or in an allowed payload root", async () => {
    const co = checkout();
    const lines = badPayloads(co);
    expectRefused(await validate(co.catalog, "--payload-root", path.join(co.repo, "images")), lines);
  });

  it("a device is not read even where payloads may come from: /dev as a payload root", async () => {
    const co = checkout();
    const p = path.join(co.catalog, "payloads", "rocky9-x86_64", "vmlinuz");
    fs.rmSync(p);
    fs.symlinkSync("/dev/zero", p);
    const file = path.join(co.catalog, "distributions.yaml");
    expectRefused(await validate(co.catalog, "--payload-root", "/dev"), [
      `catalog/distributions.yaml:${lineOf(file, "rocky9-x86_64/vmlinuz")} distributions[0].kernel.path: cannot read kernel file catalog/payloads/rocky9-x86_64/vmlinuz: it is a character device, not a regular file`,
    ]);
  });

  it("keeps links inside the catalog folder: a YAML file and a template source that link to files beside them", async () => {
    const co = checkout();
    fs.mkdirSync(path.join(co.catalog, "parts"));
    fs.renameSync(path.join(co.catalog, "templates.yaml"), path.join(co.catalog, "parts", "templates.yaml"));
    fs.symlinkSync("parts/templates.yaml", path.join(co.catalog, "templates.yaml"));
    const chrony = path.join(co.catalog, "templates", "chrony.conf.j2");
    fs.renameSync(chrony, path.join(co.catalog, "templates", "chrony.real.j2"));
    fs.symlinkSync("chrony.real.j2", chrony);
    const r = await validate(co.catalog);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok: 3 distributions, 7 profiles, 8 templates/);
  });
});

describe("`provision plan --base REF` reads the revision's files by the same rule", () => {
  const STACK =
    "config:\n  provisioning:catalog: catalog\n  provisioning:servers:\n" +
    "    - { name: s1, site: a, transport: { kind: local, root: /tmp/never-written }, arch: [x86_64], profiles: [web], tftpPort: 6969, httpPort: 8080 }\n";

  /** The checkout as a project: its stack names `catalog/`; the base commit holds `links` in it, HEAD does not. */
  function project(links: (c: ReturnType<typeof checkout>) => void): { repo: string; base: string } {
    const co = checkout();
    const stackFile = path.join(co.repo, "stacks", "Pulumi.test.yaml");
    fs.mkdirSync(path.dirname(stackFile));
    fs.writeFileSync(stackFile, STACK);
    links(co);
    git(co.repo, "add", "-A");
    git(co.repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base");
    const base = git(co.repo, "rev-parse", "HEAD");
    git(co.repo, "rm", "-q", "-r", "--cached", "catalog", "stacks");
    fs.rmSync(co.catalog, { recursive: true, force: true });
    fs.cpSync(EXAMPLE_CATALOG, co.catalog, { recursive: true });
    fs.rmSync(stackFile, { force: true });
    fs.writeFileSync(stackFile, STACK);
    git(co.repo, "add", "-A");
    git(co.repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "now");
    return { repo: co.repo, base };
  }
  const plan = (repo: string, base: string) => {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-files-store-"));
    made.push(store);
    return runProvision(["plan", "--stack", "test", "--project", repo, "--base", base], { cwd: repo, env: { ...process.env, PROVISIONING_STORE: store }, timeoutMs: TIME_BOUND_MS });
  };

  it("committed links out of the catalog (absolute to the checkout's .git/config and a secret, relative, to a device) are refused unread", async () => {
    const { repo, base } = project(({ catalog, repo: r, leak }) => {
      fs.symlinkSync(path.join(r, ".git", "config"), path.join(catalog, "za.yaml"));
      fs.symlinkSync(leak, path.join(catalog, "zb.yaml"));
      fs.symlinkSync("../.git/config", path.join(catalog, "zc.yaml"));
      fs.symlinkSync("/dev/zero", path.join(catalog, "zd.yaml"));
    });
    const at = (f: string, why: string) => `${base}:catalog/${f}: at ${base}: cannot read catalog file: ${why}`;
    // zc.yaml's target is not in the exported revision: a link to nothing there.
    expectRefused(await plan(repo, base), [at("za.yaml", OUT), at("zb.yaml", OUT), at("zc.yaml", "it is a symbolic link to nothing (dangling)"), at("zd.yaml", OUT)]);
  });

  it("a template source committed as a link out is refused at its line", async () => {
    const { repo, base } = project(({ catalog, repo: r }) => {
      const chrony = path.join(catalog, "templates", "chrony.conf.j2");
      fs.rmSync(chrony);
      fs.symlinkSync(path.join(r, ".git", "config"), chrony);
    });
    const templates = path.join(EXAMPLE_CATALOG, "templates.yaml");
    const line = lineOf(templates, "source: templates/chrony.conf.j2");
    const index = (parseYaml(fs.readFileSync(templates, "utf8")) as { templates: { source?: string }[] }).templates.findIndex((t) => t.source === "templates/chrony.conf.j2");
    expectRefused(await plan(repo, base), [`${base}:catalog/templates.yaml:${line} templates[${index}].source: at ${base}: cannot read template source "templates/chrony.conf.j2": ${OUT}`]);
  });

  it("a catalog folder committed as a link out of the revision is not read", async () => {
    const { repo, base } = project(({ catalog, repo: r }) => {
      const elsewhere = path.join(r, "elsewhere");
      fs.renameSync(catalog, elsewhere);
      fs.writeFileSync(path.join(elsewhere, "leak.yaml"), `profiles: [{name: "${SECRET2}"}]\n`);
      fs.symlinkSync(elsewhere, catalog);
      // Only the link is committed: the folder it names is on the machine, not in the revision.
      fs.writeFileSync(path.join(r, ".gitignore"), "elsewhere/\n");
    });
    expectRefused(await plan(repo, base), [`${base}:catalog: at ${base}: cannot read catalog: it is a symbolic link that leads outside the revision`]);
  });

  it("a stack file committed as a link to /dev/zero is not read: the base renders today's servers and the plan goes on", async () => {
    const { repo, base } = project(({ repo: r }) => {
      const stackFile = path.join(r, "stacks", "Pulumi.test.yaml");
      fs.rmSync(stackFile);
      fs.symlinkSync("/dev/zero", stackFile);
    });
    const r = await plan(repo, base);
    // The base is rendered before the engine runs; this project has no Pulumi program, so the engine is what stops.
    expect(r.stderr, r.stdout + r.stderr).toMatch(/^provision: pulumi preview failed \(exit \d+\)\nerror: no Pulumi\.yaml project file found/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
