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
import { CatalogError } from "../../src/catalog/errors";
import { loadCatalogInput } from "../../src/catalog/load";
import type { ServerTree } from "../../src/render/render";
import type { TreesResult } from "../../src/renderJob";
import { type StackConfig, parseStackConfig, stackFilePath } from "../../src/stackConfig";
import { putObjectList } from "../objectLists";
import { runSandboxed } from "../sandbox";
import { ContentStore } from "../store";

export class BaseRevisionError extends Error {
  override readonly name = "BaseRevisionError";
}

function git(cwd: string, args: readonly string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync("git", ["-C", cwd, ...args], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new BaseRevisionError(`--base needs git: ${r.error.message}`);
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

const within = (file: string, dir: string) => {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel)) ? rel : undefined;
};

/**
 * Renders the stack's servers from its catalog at `ref`: the servers of the stack file at that
 * revision where it has one, else today's. A catalog that did not exist yet renders nothing.
 */
export function renderAtBase(ref: string, stack: StackConfig, projectDir: string): ServerTree[] {
  if (ref === "" || ref.startsWith("-")) throw new BaseRevisionError(`--base takes a git revision (a branch, tag or commit), not ${JSON.stringify(ref)}`);
  if (stack.catalogPaths.length === 0) throw new BaseRevisionError("--base needs the stack's provisioning:catalog: the path(s) of its catalog in a git repository");
  const first = stack.catalogPaths[0]!;
  const catalogDir = fs.existsSync(first) && fs.statSync(first).isDirectory() ? first : path.dirname(first);
  const top = git(catalogDir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok) throw new BaseRevisionError(`--base: the catalog ${first} is not in a git repository (${top.err})`);
  const root = fs.realpathSync(top.out);
  const commit = git(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  if (!commit.ok) throw new BaseRevisionError(`--base: ${JSON.stringify(ref)} is not a commit of ${root}`);

  const relCatalogs = stack.catalogPaths.map((p) => {
    const rel = fs.existsSync(p) ? within(fs.realpathSync(p), root) : within(path.resolve(p), root);
    if (rel === undefined) throw new BaseRevisionError(`--base: the catalog ${p} is outside the repository ${root}`);
    return rel;
  });
  const realProject = fs.realpathSync(projectDir);
  const relProject = within(realProject, root);
  const relStack = relProject !== undefined ? within(stackFilePath(realProject, stack.stack), root) : undefined;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "provision-base-"));
  try {
    const tree = path.join(tmp, "tree");
    fs.mkdirSync(tree);
    const exported = (rel: string) => git(root, ["cat-file", "-e", `${commit.out}:${rel}`]).ok;
    // A catalog (of a list) that did not exist yet at the base renders nothing of its own.
    const catalogsThen = relCatalogs.filter(exported);
    if (catalogsThen.length === 0) return [];
    const paths = [...catalogsThen, ...(relStack !== undefined && exported(relStack) ? [relStack] : [])];
    const tar = path.join(tmp, "base.tar");
    const archived = git(root, ["archive", "--format=tar", "-o", tar, commit.out, "--", ...paths.map((p) => (p === "" ? "." : p))]);
    if (!archived.ok) throw new BaseRevisionError(`--base: git archive failed: ${archived.err}`);
    const untar = spawnSync("tar", ["-xf", tar, "-C", tree, "--no-same-owner", "--no-same-permissions"], { encoding: "utf8" });
    if (untar.status !== 0) throw new BaseRevisionError(`--base: cannot unpack the catalog at ${ref}: ${untar.stderr.trim()}`);

    let servers = stack.servers;
    if (relStack !== undefined && paths.includes(relStack)) {
      try {
        servers = parseStackConfig(fs.readFileSync(path.join(tree, relStack), "utf8"), `${ref}:${relStack}`, path.join(tree, relProject!), stack.stack).servers;
      } catch {
        // A stack file the base cannot parse: render today's servers (texts are found by content key, whichever server rendered them).
      }
    }
    try {
      const catalog = loadCatalogInput(catalogsThen.map((rel) => path.join(tree, rel)), { payloadRoots: stack.payloadRoots, readPayloads: false });
      // The base is rendered as it was: a clash it held is not this change's.
      const { trees, fingerprints } = runSandboxed<TreesResult>({ kind: "trees", catalog, servers, checkPaths: false });
      // What each server held at the base, where the plan looks for it (objectLists.ts).
      const store = new ContentStore();
      for (const t of trees) putObjectList(store, t, fingerprints);
      return trees;
    } catch (e) {
      if (!(e instanceof CatalogError)) throw e;
      // Issues name files as `REF:path` rather than the temporary folder.
      throw new CatalogError(e.issues.map((i) => ({ ...i, file: i.file.startsWith(tree) ? `${ref}:${path.relative(tree, i.file)}` : i.file, message: `at ${ref}: ${i.message}` })));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
