// The engine-facing behaviour of the files one child holds, as one resource: write the files
// whose bytes or mode changed (atomically, checksum verified on the child), remove those that
// left the tree, report each file's drift on refresh. Every file's hash is an input, so a
// preview's old and new `files` maps name each changed file.
//
// Files rendered with a secret, and the manifest, are resources of their own (placedFileProvider.ts):
// a secret file's hash must stay secret, and the engine's preview shows a changed secret input
// only as "[secret]", so only a resource of its own tells which secret file changed.
//
// One resource per server, not per file: the engine's cost per resource (evaluation, diff and a
// rewrite of the whole state after each step) made previews and first rollouts of a large fleet
// slow (see bench/ANALYSIS.md). Runs inside Pulumi's dynamic-provider host, loaded by path at run
// time (see placedTree.ts), and imports nothing from the program.
import { definedOnly, transportFor, targetOf, type ConnectionProps } from "./connection";
import { type FileEntry, placeEntry } from "./fileEntry";

export interface PlacedTreeProps extends ConnectionProps {
  /** path → file, every file of the child that is neither secret nor the manifest. */
  files: Record<string, FileEntry>;
}

export interface TreeChanges {
  /** Paths to write: new, or with a different hash, mode or source. Sorted. */
  write: string[];
  /** Paths that left the tree. Sorted. */
  remove: string[];
}

/** What is compared: the hash, mode and payload source of one path. */
const differs = (a: FileEntry | undefined, b: FileEntry | undefined) => !a || !b || a.sha256 !== b.sha256 || a.mode !== b.mode || a.sourcePath !== b.sourcePath;

/** Pure: which paths an update writes and removes, from the old outputs to the new inputs. */
export function treeChanges(olds: PlacedTreeProps | undefined, news: PlacedTreeProps): TreeChanges {
  const write = Object.keys(news.files).filter((p) => differs(olds?.files[p], news.files[p]));
  const remove = olds ? Object.keys(olds.files).filter((p) => !(p in news.files)) : [];
  return { write: write.sort(), remove: remove.sort() };
}

/** Runs `task` over `items`, at most `limit` at a time; every failure is reported together. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await task(item).catch((e: Error) => errors.push(e.message));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw new Error(errors.length === 1 ? errors[0] : `${errors.length} files failed:\n${errors.join("\n")}`);
}

// As many as the SSH transport runs at once on one connection (sshd's MaxSessions is 10).
const PARALLEL_FILES = 8;

/** Writes the changed files, then removes those that left the tree. */
async function apply(props: PlacedTreeProps, changes: TreeChanges): Promise<void> {
  const transport = transportFor(props);
  await eachLimited(changes.write, PARALLEL_FILES, (path) => placeEntry(transport, props.server, path, props.files[path]!));
  await eachLimited(changes.remove, PARALLEL_FILES, (path) => transport.removeFile(path));
}

/** What the state keeps after a write: everything but the bytes. */
function outputsOf(props: PlacedTreeProps): PlacedTreeProps {
  const files = Object.fromEntries(Object.entries(props.files).map(([p, { content: _content, ...rest }]) => [p, definedOnly(rest)]));
  return definedOnly({ ...props, files });
}

export async function create(props: PlacedTreeProps) {
  await apply(props, treeChanges(undefined, props));
  return { id: `${props.server}/files`, outs: outputsOf(props) };
}

const CREDENTIALS = ["user", "privateKey", "passphrase", "hostKey"] as const;

/**
 * The Node dynamic-provider host passes on only `changes` and `replaces`, not a detailed diff:
 * the preview names the changed files through the old and new `files` maps (see src/plan).
 */
export async function diff(_id: string, olds: PlacedTreeProps, news: PlacedTreeProps) {
  // Another target is another set of files: write them all there, then remove the old ones.
  if (targetOf(olds) !== targetOf(news)) return { changes: true, replaces: ["root"], deleteBeforeReplace: false };
  const { write, remove } = treeChanges(olds, news);
  const credentials = CREDENTIALS.filter((k) => olds[k] !== news[k]);
  return { changes: write.length + remove.length + credentials.length > 0, replaces: [], deleteBeforeReplace: false };
}

export async function update(_id: string, olds: PlacedTreeProps, news: PlacedTreeProps) {
  await apply(news, treeChanges(olds, news));
  return { outs: outputsOf(news) };
}

export async function remove(_id: string, props: PlacedTreeProps) {
  await apply(props, { write: [], remove: Object.keys(props.files).sort() });
}

/** Refresh: each file's real hash on the child, so a hand edit or deletion shows up as drift. */
export async function read(id: string, props: PlacedTreeProps) {
  const transport = transportFor(props);
  const actual = new Map<string, string>();
  await eachLimited(Object.keys(props.files), PARALLEL_FILES, async (p) => {
    actual.set(p, (await transport.hashFile(p)) ?? "absent");
  });
  const files = Object.fromEntries(Object.entries(props.files).map(([p, f]) => [p, { ...f, sha256: actual.get(p)! }]));
  return { id, props: definedOnly({ ...props, files }) };
}
