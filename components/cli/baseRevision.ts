/**
 * The stack's catalog as it was at a git revision (`provision plan --base REF`, in CI the pull
 * request's merge base): the catalog folder (and the stack file) are exported from git into a
 * temporary folder with `git archive` — no checkout, no work tree touched — loaded with the same
 * confinement as any catalog, and rendered in the sandbox. Local payloads are not read: a review
 * needs their declared sha256 only. Nothing here reaches a child.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isInside, isRefusal, readCatalogFile, realOrSelf } from "../../src/catalog/catalogFile";
import { CatalogError } from "../../src/catalog/errors";
import { type Catalog, MAX_CATALOG_FILE_BYTES, loadCatalogInput } from "../../src/catalog/load";
import { type Server, shownSecretName } from "../../src/catalog/schema";
import type { ServerTree } from "../../src/render/render";
import type { TreesResult } from "../../src/renderJob";
import { CATALOG_SECRETS_KEY, PAYLOAD_ROOTS_KEY, type StackConfig, confineCatalog, parseStackConfig, stackFilePath } from "../../src/stackConfig";
import { putObjectList } from "../objectLists";
import { runSandboxed } from "../sandbox";
import { runGit } from "./git";
import { ContentStore } from "../store";

export class BaseRevisionError extends Error {
  override readonly name = "BaseRevisionError";
}

const missingGit = (message: string) => new BaseRevisionError(`--base needs git: ${message}`);

/** A repository git found, and the work tree it belongs to (real paths). */
interface Repository {
  readonly gitDir: string;
  readonly top: string;
}

/** The repository git finds from `dir` (hardened: a folder that merely looks like a repository is refused), or why not. */
function discover(dir: string): Repository | string {
  const r = runGit({ discoverFrom: dir }, ["rev-parse", "--absolute-git-dir", "--show-toplevel"], missingGit);
  const [gitDir, top] = r.out.split("\n");
  if (!r.ok || gitDir === undefined || top === undefined || top === "") return r.err || "not in a git work tree";
  return { gitDir: realOrSelf(gitDir), top: realOrSelf(top) };
}

/**
 * The first folder from `dir` up to (not including) the work tree's top that is a git repository
 * of its own: it holds a `.git`, or it is one (`HEAD`, `objects`, `refs`), as files a pull request
 * commits can make it. Nothing is run there.
 */
function nestedRepository(dir: string, top: string): string | undefined {
  for (let d = dir; d !== top && isInside(d, top); d = path.dirname(d)) {
    const has = (name: string) => fs.existsSync(path.join(d, name));
    if (has(".git") || (has("HEAD") && has("objects") && has("refs"))) return d;
  }
  return undefined;
}

const catalogFolder = (p: string) => realOrSelf(fs.existsSync(p) && fs.statSync(p).isDirectory() ? p : path.dirname(p));

/**
 * The repository the review reads: the one holding the project folder, found from there only (or,
 * for a project in no git work tree, the one holding its first catalog, the operator's own
 * folder). It must be its work tree's own `.git` (a `.git` file, a linked worktree's or a
 * submodule's, cannot be committed), and the project lies in no repository of its own below the top.
 */
function reviewedRepository(realProject: string, firstCatalog: string): Repository & { readonly holdsProject: boolean } {
  const fromProject = discover(realProject);
  // Only a project in no repository at all falls back; one git refused (a folder that looks like a repository) is refused here too.
  if (typeof fromProject === "string" && !/not a git repository/.test(fromProject)) throw new BaseRevisionError(`--base: the project ${realProject}: ${fromProject}`);
  const found = typeof fromProject !== "string" ? fromProject : discover(catalogFolder(firstCatalog));
  if (typeof found === "string") throw new BaseRevisionError(`--base: neither the project ${realProject} nor the catalog ${firstCatalog} is in a git work tree (${found})`);
  const dotGit = path.join(found.top, ".git");
  const ownGitDir = fs.existsSync(dotGit) && (fs.lstatSync(dotGit).isFile() || realOrSelf(dotGit) === found.gitDir);
  if (!ownGitDir) throw new BaseRevisionError(`--base: git found the repository ${found.gitDir}, which is not the .git of its work tree ${found.top}: refused`);
  const holdsProject = typeof fromProject !== "string";
  if (holdsProject) notNested("project", realProject, realProject, found);
  return { ...found, holdsProject };
}

/** Refuses a folder that lies in a repository of its own below the reviewed repository's top: git would take that one's settings, the review reads this one. */
function notNested(what: string, shown: string, dir: string, repo: Repository): void {
  const nested = nestedRepository(dir, repo.top);
  if (nested !== undefined) throw new BaseRevisionError(`--base: the ${what} ${shown} lies in ${nested}, a git repository of its own inside ${repo.top}: refused, --base reads only the repository of the project`);
}

/** The stack's catalog as it was at a revision, and the servers of its stack file then. */
export interface BaseCatalog {
  /** Undefined when the catalog did not exist yet at that revision. */
  readonly catalog: Catalog | undefined;
  readonly servers: readonly Server[];
}

/**
 * Loads the stack's catalog at `ref` (exported with `git archive`, payloads not read) with the
 * servers of the stack file at that revision where it has one, else today's, and gives it to
 * `use` (which renders it): issues of either name their files `REF:path`. A stack file in the
 * project's git work tree is the pull request's: its catalog paths must lie in the project, and a
 * payload root counts only if the stack file at `ref` names it too.
 */
export function atBase<T>(ref: string, stack: StackConfig, projectDir: string, use: (base: BaseCatalog) => T): T {
  if (ref === "" || ref.startsWith("-")) throw new BaseRevisionError(`--base takes a git revision (a branch, tag or commit), not ${JSON.stringify(ref)}`);
  if (stack.catalogPaths.length === 0) throw new BaseRevisionError("--base needs the stack's provisioning:catalog: the path(s) of its catalog in a git repository");
  const realProject = fs.realpathSync(projectDir);
  const repo = reviewedRepository(realProject, stack.catalogPaths[0]!);
  const git = (args: readonly string[]) => runGit({ gitDir: repo.gitDir }, args, missingGit);
  const inRepo = (p: string) => (isInside(p, repo.top) ? path.relative(repo.top, p) : undefined);
  // A stack file in the project's work tree is under review with it: it may name no catalog outside the project, and no payload root the base does not.
  const underReview = repo.holdsProject && isInside(realOrSelf(stackFilePath(realProject, stack.stack)), repo.top);
  if (underReview) confineCatalog(stack, projectDir, true);
  const commit = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  if (!commit.ok) throw new BaseRevisionError(`--base: ${JSON.stringify(ref)} is not a commit of ${repo.top}`);

  const relCatalogs = stack.catalogPaths.map((p) => {
    const rel = inRepo(realOrSelf(p));
    if (rel === undefined) throw new BaseRevisionError(`--base: the catalog ${p} is outside the repository ${repo.top}`);
    notNested("catalog", p, catalogFolder(p), repo);
    return rel;
  });
  const relProject = inRepo(realProject);
  const relStack = relProject !== undefined ? inRepo(stackFilePath(realProject, stack.stack)) : undefined;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "provision-base-"));
  try {
    const tree = path.join(tmp, "tree");
    fs.mkdirSync(tree);
    const exported = (rel: string) => git(["cat-file", "-e", `${commit.out}:${rel}`]).ok;
    // A catalog (of a list) that did not exist yet at the base has nothing of its own.
    const catalogsThen = relCatalogs.filter(exported);
    const stackThen = relStack !== undefined && exported(relStack);
    const paths = [...catalogsThen, ...(stackThen ? [relStack] : [])];
    if (paths.length > 0) {
      const tar = path.join(tmp, "base.tar");
      const archived = git(["archive", "--format=tar", "-o", tar, commit.out, "--", ...paths.map((p) => (p === "" ? "." : p))]);
      if (!archived.ok) throw new BaseRevisionError(`--base: git archive failed: ${archived.err}`);
      const untar = spawnSync("tar", ["-xf", tar, "-C", tree, "--no-same-owner", "--no-same-permissions"], { encoding: "utf8" });
      if (untar.status !== 0) throw new BaseRevisionError(`--base: cannot unpack the catalog at ${ref}: ${untar.stderr.trim()}`);
    }
    const stackAtBase = stackThen ? baseStackConfig(path.join(tree, relStack), tree, `${ref}:${relStack}`, path.join(tree, relProject!), stack.stack) : undefined;
    if (underReview) unreviewedSettings(stack, stackAtBase, ref);
    if (catalogsThen.length === 0) return use({ catalog: undefined, servers: stack.servers });

    // The revision is untrusted like any catalog: a catalog folder committed as a link out of the tree is not read.
    const outOfTree = catalogsThen.filter((rel) => !isInside(realOrSelf(path.join(tree, rel)), realOrSelf(tree)));
    if (outOfTree.length > 0) {
      throw new CatalogError(outOfTree.map((rel) => ({ file: `${ref}:${rel}`, line: 0, path: "", message: `at ${ref}: cannot read catalog: it is a symbolic link that leads outside the revision`, severity: "error" })));
    }
    // A stack file the base cannot read or parse: render today's servers (texts are found by content key, whichever server rendered them).
    const servers = stackAtBase?.servers ?? stack.servers;
    try {
      return use({ catalog: loadCatalogInput(catalogsThen.map((rel) => path.join(tree, rel)), { payloadRoots: stack.payloadRoots, readPayloads: false }), servers });
    } catch (e) {
      if (!(e instanceof CatalogError)) throw e;
      // Issues of the base name its files as `REF:path` rather than the temporary folder; others (of `use`) are left as they are.
      throw new CatalogError(e.issues.map((i) => (i.file.startsWith(tree) ? { ...i, file: `${ref}:${path.relative(tree, i.file)}`, message: `at ${ref}: ${i.message}` } : i)));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The stack file at the base, or undefined when it cannot be read or parsed there. */
function baseStackConfig(file: string, tree: string, shown: string, projectDir: string, stack: string): StackConfig | undefined {
  const read = readCatalogFile(file, [tree], MAX_CATALOG_FILE_BYTES);
  if (isRefusal(read)) return undefined;
  try {
    return parseStackConfig(read.bytes.toString("utf8"), shown, projectDir, stack);
  } catch {
    return undefined;
  }
}

/**
 * Settings the pull request adds to its stack file are not honoured by the review of that pull
 * request; each takes effect once the stack file at the base names it too. A payload root lets
 * payloads be read from anywhere below it on this machine (the review would read and hash the
 * runner's files); a catalog secret lets the catalog print that secret of the stack's config.
 */
function unreviewedSettings(stack: StackConfig, base: StackConfig | undefined, ref: string): void {
  const notAtBase = (what: string) => `is not in this stack file at ${ref}: a ${what} takes effect once the change naming it is reviewed and merged`;
  const roots = base?.payloadRoots ?? [];
  const secrets = new Set(base?.catalogSecrets ?? []);
  const issues = [
    ...stack.payloadRoots.flatMap((root, i) =>
      roots.includes(root) ? [] : [{ file: stack.file, line: stack.payloadRootLines[i] ?? 0, path: `${PAYLOAD_ROOTS_KEY}[${i}]`, message: `payload root ${root} ${notAtBase("payload root")}`, severity: "error" as const }],
    ),
    ...stack.catalogSecrets.flatMap((name) =>
      secrets.has(name)
        ? []
        : [{ file: stack.file, line: stack.catalogSecretLines[name] ?? 0, path: `${CATALOG_SECRETS_KEY}[${stack.catalogSecrets.indexOf(name)}]`, message: `catalog secret ${shownSecretName(name)} ${notAtBase("catalog secret")}`, severity: "error" as const }],
    ),
  ];
  if (issues.length > 0) throw new CatalogError(issues);
}

/**
 * Renders the stack's servers from its catalog at `ref` (atBase). A catalog that did not
 * exist yet renders nothing.
 */
export function renderAtBase(ref: string, stack: StackConfig, projectDir: string): ServerTree[] {
  return atBase(ref, stack, projectDir, ({ catalog, servers }) => {
    if (catalog === undefined) return [];
    // The base is rendered as it was: a clash it held is not this change's.
    const { trees, fingerprints } = runSandboxed<TreesResult>({ kind: "trees", catalog, servers, asItWas: true });
    // What each server held at the base, where the plan looks for it (objectLists.ts).
    const store = new ContentStore();
    for (const t of trees) putObjectList(store, t, fingerprints);
    return trees;
  });
}
