// One file placed on a child as its own resource: each file rendered with a secret (its hash and
// bytes are Pulumi secrets) and the manifest. Write it atomically (checksum verified on the
// child), rewrite it when its bytes change, report drift on refresh, remove it on delete.
// The other files of a child are one resource (placedTreeProvider.ts); stacks made before 0.2
// hold every file this way (see `remove`). Runs inside Pulumi's dynamic-provider host, loaded by
// path at run time (see placedFile.ts), and imports nothing from the program.
import { definedOnly, transportFor, targetOf, type ConnectionProps } from "./connection";
import { type FileEntry, placeEntry } from "./fileEntry";
import { MANIFEST_PATH } from "../../src/render/layout";

export interface PlacedFileProps extends ConnectionProps, FileEntry {
  path: string;
}

/** What the state keeps after a write: everything but the bytes. */
function outputsOf(props: PlacedFileProps, sha256: string): Omit<PlacedFileProps, "content"> {
  const { content: _content, ...rest } = props;
  return definedOnly({ ...rest, sha256 });
}

export async function create(props: PlacedFileProps) {
  await placeEntry(transportFor(props), props.server, props.path, props);
  return { id: `${props.server}/${props.path}`, outs: outputsOf(props, props.sha256) };
}

export async function diff(_id: string, olds: PlacedFileProps, news: PlacedFileProps) {
  const replaces: string[] = [];
  if (olds.path !== news.path) replaces.push("path");
  if (targetOf(olds) !== targetOf(news)) replaces.push("root");
  const updates = (["sha256", "mode", "sourcePath", "user", "privateKey", "passphrase", "hostKey"] as const).filter(
    (key) => olds[key] !== news[key],
  );
  const changed = [...replaces, ...updates];
  const detailedDiff = Object.fromEntries(
    changed.map((key) => [key, { kind: replaces.includes(key) ? "update-replace" : "update", inputDiff: true }]),
  );
  return {
    changes: changed.length > 0,
    replaces,
    detailedDiff,
    // The old path must be gone before a replacement writes elsewhere only if both are the same file.
    deleteBeforeReplace: false,
  };
}

export async function update(_id: string, _olds: PlacedFileProps, news: PlacedFileProps) {
  await placeEntry(transportFor(news), news.server, news.path, news);
  return { outs: outputsOf(news, news.sha256) };
}

// Parameters only from the environment; prints nothing when there is no manifest.
const READ_MANIFEST_SCRIPT = `[ -f "$ROOT/$MANIFEST" ] && cat "$ROOT/$MANIFEST" || true`;

/** Paths the child's manifest lists now: every file the server holds after this update. */
async function manifestPaths(props: PlacedFileProps): Promise<Set<string>> {
  const result = await transportFor(props).runScript(READ_MANIFEST_SCRIPT, { ROOT: props.root, MANIFEST: MANIFEST_PATH });
  if (result.code !== 0) throw new Error(`${props.server}: reading ${MANIFEST_PATH} failed: ${result.stderr.trim()}`);
  if (!result.stdout.trim()) return new Set();
  try {
    return new Set(((JSON.parse(result.stdout) as { files?: { path: string }[] }).files ?? []).map((f) => f.path));
  } catch (e) {
    throw new Error(`${props.server}: ${MANIFEST_PATH} is not JSON (${(e as Error).message}); put it back with \`pulumi up --refresh\`, then delete again`);
  }
}

/**
 * Deletes run last in an update, after every file and the manifest were written. A file the
 * child's manifest lists then belongs to another resource and stays: one that stopped using a
 * secret (now in the server's files resource), or, in a stack made before 0.2, any file (every
 * file was its own resource then). A file the manifest no longer lists was pruned, and goes.
 * The manifest goes when its resource does: that is when the server leaves the stack, and it
 * goes first (it depends on every other file), so the files it listed go after it.
 */
export async function remove(_id: string, props: PlacedFileProps) {
  if (props.path !== MANIFEST_PATH && (await manifestPaths(props)).has(props.path)) return;
  await transportFor(props).removeFile(props.path);
}

/** Refresh: the file's real hash on the child, so a hand edit or deletion shows up as drift. */
export async function read(id: string, props: PlacedFileProps) {
  const actual = await transportFor(props).hashFile(props.path);
  return { id, props: definedOnly({ ...props, sha256: actual ?? "absent" }) };
}
