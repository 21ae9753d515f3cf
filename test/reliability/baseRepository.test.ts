// `provision impact --base` (the review every pull request gets) runs git over the pull request's
// checkout. Files the pull request commits can make a folder of it look like a repository of its
// own (HEAD, refs/, objects/info/alternates back to the real objects, a config naming a smudge
// filter, info/attributes applying it): git must never use that one. The repository is the
// project's, git runs hardened, and a catalog or project lying in such a folder is refused with a
// located error before git runs anything there. A normal review still works.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { EXAMPLE_CATALOG } from "../support/fleet";
import { runProvision } from "../support/provisionCli";

const TIME_BOUND_MS = 60_000;
const SERVERS = [{ name: "s1", site: "a", transport: { kind: "local", root: "/nonexistent/s1" }, arch: ["x86_64"], profiles: ["web*", "db"], tftpPort: 6969, httpPort: 8080 }];

let work: string;
beforeAll(() => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "base-repository-")));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { encoding: "utf8" }).trim();

interface Layout {
  /** The project folder, relative to the checkout's top. */
  project: string;
  /** The catalog folder, relative to the project. */
  catalog: string;
}

/** A checkout whose base commit holds the example catalog and the stack file; returns its folders. */
function checkout(layout: Layout): { repo: string; project: string; catalog: string; base: string } {
  const repo = fs.mkdtempSync(path.join(work, "pr-"));
  git(repo, "init", "-q", "-b", "main");
  const project = path.join(repo, layout.project);
  const catalog = path.join(project, layout.catalog);
  fs.mkdirSync(path.dirname(catalog), { recursive: true });
  fs.cpSync(EXAMPLE_CATALOG, catalog, { recursive: true });
  fs.mkdirSync(path.join(project, "stacks"));
  fs.writeFileSync(path.join(project, "stacks", "Pulumi.prod.yaml"), stringify({ config: { "provisioning:catalog": layout.catalog, "provisioning:catalogSecrets": ["root_password_hash"], "provisioning:servers": SERVERS } }));
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "base");
  return { repo, project, catalog, base: git(repo, "rev-parse", "HEAD") };
}

/**
 * Commits, as plain files of `dir`, a repository git would use when started below it: its
 * objects borrowed from the checkout's through alternates, its work tree itself, and a smudge
 * filter on every file that creates `marker`. Unhardened git started in `dir` or below uses it:
 * the base commit resolves, and `git archive` runs the filter.
 */
function embedRepository(repo: string, dir: string, marker: string): void {
  fs.writeFileSync(path.join(dir, "HEAD"), "ref: refs/heads/main\n");
  fs.mkdirSync(path.join(dir, "refs", "heads"), { recursive: true });
  fs.writeFileSync(path.join(dir, "refs", "heads", ".keep"), "");
  fs.mkdirSync(path.join(dir, "objects", "info"), { recursive: true });
  fs.writeFileSync(path.join(dir, "objects", "info", "alternates"), `${path.relative(path.join(dir, "objects"), path.join(repo, ".git", "objects"))}\n`);
  fs.writeFileSync(path.join(dir, "config"), `[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n[filter "x"]\n\tsmudge = touch ${marker}; cat\n\tclean = cat\n`);
  fs.mkdirSync(path.join(dir, "info"), { recursive: true });
  fs.writeFileSync(path.join(dir, "info", "attributes"), "* filter=x\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "pull request");
}

/** The review as the CI recipe runs it: the base branch's provision over the checkout, no Pulumi variable, no secret. */
const impact = (project: string, base: string, env: NodeJS.ProcessEnv = {}) =>
  runProvision(["impact", "--base", base, "--stack", "prod", "--project", project, "--markdown"], { cwd: project, env: { PATH: process.env.PATH, HOME: work, ...env }, timeoutMs: TIME_BOUND_MS });

const EMBEDDED: { name: string; layout: Layout; embedIn: (c: { repo: string; project: string; catalog: string }) => string; refused: (c: { repo: string; project: string; catalog: string }, embedded: string) => string }[] = [
  {
    name: "the catalog folder itself",
    layout: { project: "", catalog: "catalog" },
    embedIn: (c) => c.catalog,
    refused: (c, e) => `provision: --base: the catalog ${c.catalog} lies in ${e}, a git repository of its own inside ${c.repo}: refused, --base reads only the repository of the project`,
  },
  {
    name: "a folder between the catalog and the checkout's top",
    layout: { project: "", catalog: "infra/catalog" },
    embedIn: (c) => path.dirname(c.catalog),
    refused: (c, e) => `provision: --base: the catalog ${c.catalog} lies in ${e}, a git repository of its own inside ${c.repo}: refused, --base reads only the repository of the project`,
  },
  {
    name: "the project folder, a subfolder of the checkout",
    layout: { project: "deploy", catalog: "catalog" },
    embedIn: (c) => c.project,
    refused: (c) => `provision: --base: the project ${c.project}: fatal: cannot use bare repository '${c.project}' (safe.bareRepository is 'explicit')`,
  },
];

describe("impact --base never uses a repository the pull request commits", () => {
  it.each(EMBEDDED.map((c) => [c.name, c] as const))("embedded in %s: refused, located, and its smudge command never runs", async (_name, c) => {
    const co = checkout(c.layout);
    const marker = path.join(work, `smudged-${path.basename(co.repo)}`);
    const embedded = c.embedIn(co);
    embedRepository(co.repo, embedded, marker);
    // The embedded repository is one git would use, with its filter, when started there without the hardening.
    expect(git(embedded, "rev-parse", "--absolute-git-dir")).toBe(embedded);
    for (const env of [{}, { GIT_DIR: embedded }]) {
      const r = await impact(co.project, co.base, env);
      expect(fs.existsSync(marker), `${r.stdout}\n${r.stderr}`).toBe(false);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toEqual([c.refused(co, embedded)]);
    }
  });

  it("a catalog that is a real repository of its own inside the project (a nested clone) is refused too: the review reads the project's", async () => {
    const co = checkout({ project: "", catalog: "catalog" });
    git(co.catalog, "init", "-q", "-b", "main");
    const r = await impact(co.project, co.base);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([`provision: --base: the catalog ${co.catalog} lies in ${co.catalog}, a git repository of its own inside ${co.repo}: refused, --base reads only the repository of the project`]);
  });

  it.each([
    ["at the checkout's top", { project: "", catalog: "catalog" }],
    ["in a subfolder", { project: "deploy", catalog: "catalog" }],
  ] as const)("a normal review of a project %s still works, also when the caller's GIT_DIR points elsewhere", async (_name, layout) => {
    const co = checkout(layout);
    const file = path.join(co.catalog, "templates", "ks-base.ks.j2");
    fs.appendFileSync(file, "# keep /var separate\n");
    git(co.repo, "commit", "-q", "-am", "pull request");
    const elsewhere = checkout(layout);
    for (const env of [{}, { GIT_DIR: path.join(elsewhere.repo, ".git"), GIT_WORK_TREE: elsewhere.repo }]) {
      const r = await impact(co.project, co.base, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("keep /var separate");
      expect(r.stdout).toContain("ks-base");
    }
  });
});
