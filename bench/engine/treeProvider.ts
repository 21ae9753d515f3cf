// Provider of the bench-only ServerTree: the diff names each changed file (`files["<path>"]`),
// an update writes only those and removes the files that left the tree.
import { definedOnly, targetOf, transportFor, type ConnectionProps } from "../../components/provider/connection";

interface TreeFile {
  sha256: string;
  mode: string;
  content?: string;
  sourcePath?: string;
}
interface TreeProps extends ConnectionProps {
  files: Record<string, TreeFile>;
}

/** State keeps hashes and modes, not bytes. */
function outputsOf(props: TreeProps): TreeProps {
  const files = Object.fromEntries(Object.entries(props.files).map(([p, f]) => [p, definedOnly({ sha256: f.sha256, mode: f.mode, sourcePath: f.sourcePath })]));
  return definedOnly({ ...props, files });
}

const differs = (a: TreeFile | undefined, b: TreeFile | undefined) => !a || !b || a.sha256 !== b.sha256 || a.mode !== b.mode || a.sourcePath !== b.sourcePath;

function changedPaths(olds: TreeProps | undefined, news: TreeProps): { write: string[]; remove: string[] } {
  const before = olds?.files ?? {};
  const write = Object.keys(news.files).filter((p) => differs(before[p], news.files[p]));
  const remove = Object.keys(before).filter((p) => !(p in news.files));
  return { write, remove };
}

async function apply(props: TreeProps, write: string[], remove: string[]): Promise<void> {
  const t = transportFor(props);
  await Promise.all(
    write.map((p) => {
      const f = props.files[p]!;
      return f.content !== undefined ? t.writeFile(p, Buffer.from(f.content, "utf8"), f.sha256, f.mode) : t.copyFile(p, f.sourcePath!, f.sha256, f.mode);
    }),
  );
  for (const p of remove) await t.removeFile(p);
}

export async function create(props: TreeProps) {
  await apply(props, Object.keys(props.files), []);
  return { id: `${props.server}/tree`, outs: outputsOf(props) };
}

export async function diff(_id: string, olds: TreeProps, news: TreeProps) {
  const replaces = targetOf(olds) !== targetOf(news) ? ["root"] : [];
  const { write, remove } = changedPaths(olds, news);
  const keys = [...write, ...remove].map((p) => `files["${p}"]`);
  const cred = (["user", "privateKey", "hostKey"] as const).filter((k) => olds[k] !== news[k]);
  const detailedDiff = Object.fromEntries([...keys.map((k) => [k, { kind: "update", inputDiff: true }]), ...cred.map((k) => [k, { kind: "update", inputDiff: true }]), ...replaces.map((k) => [k, { kind: "update-replace", inputDiff: true }])]);
  return { changes: keys.length + cred.length + replaces.length > 0, replaces, detailedDiff, deleteBeforeReplace: false };
}

export async function update(_id: string, olds: TreeProps, news: TreeProps) {
  const { write, remove } = changedPaths(olds, news);
  await apply(news, write, remove);
  return { outs: outputsOf(news) };
}

export async function remove(_id: string, props: TreeProps) {
  await apply(props, [], Object.keys(props.files));
}

export async function read(id: string, props: TreeProps) {
  return { id, props };
}
