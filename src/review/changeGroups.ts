/**
 * One diff, many servers: changed files that change the same way — the same op and the same
 * changed lines — are one group, whichever files and servers they are on. One template edit that
 * reaches four profiles' kickstarts on 300 servers is one group; a server whose changed lines
 * differ gets a group of its own. The lines around a change may differ per file (each kickstart
 * names its own server's address and profile): the group shows the first file's diff and says
 * when the others' context differs.
 */
import type { Op } from "../impact";
import { compareStrings } from "../util/canonical";
import type { Contents } from "./contents";
import { type FileDiff, fileDiff } from "./fileDiff";
import type { PlannedFile } from "./plannedFile";

export interface ChangeGroup {
  readonly op: Op;
  /** The files that change this way, sorted. */
  readonly paths: readonly string[];
  /** The catalog objects they come from (`kind/name`), where known, sorted. */
  readonly origins: readonly string[];
  /** The diff of one of the files: the first on the first server. */
  readonly diff: FileDiff;
  /** Whose diff `diff` is. */
  readonly shown: { readonly server: string; readonly path: string };
  /** Sorted. */
  readonly servers: readonly string[];
  /** Whether every file's diff is exactly this one (else only the changed lines are the same). */
  readonly sameContext: boolean;
}

/** What makes two diffs the same change: for text, the removed and added lines (and mode); else all of it. */
function changeKey(diff: FileDiff): string {
  if (diff.kind !== "text") return JSON.stringify(diff);
  return JSON.stringify([diff.mode ?? "", diff.diff.split("\n").filter((l) => l.startsWith("+") || l.startsWith("-"))]);
}

export function groupChanges(files: Readonly<Record<string, readonly PlannedFile[]>>, contents: Contents): ChangeGroup[] {
  interface Acc {
    op: Op;
    paths: Set<string>;
    origins: Set<string>;
    diff: FileDiff;
    shown: { server: string; path: string };
    servers: Set<string>;
    sameContext: boolean;
  }
  const groups = new Map<string, Acc>();
  const diffJson = new Map<Acc, string>();
  for (const server of Object.keys(files).sort(compareStrings)) {
    for (const f of files[server]!) {
      const diff = fileDiff(f, contents);
      const key = JSON.stringify([f.op, changeKey(diff)]);
      let g = groups.get(key);
      if (!g) {
        g = { op: f.op, paths: new Set(), origins: new Set(), diff, shown: { server, path: f.path }, servers: new Set(), sameContext: true };
        groups.set(key, g);
        diffJson.set(g, JSON.stringify(diff));
      } else if (g.sameContext && diffJson.get(g) !== JSON.stringify(diff)) g.sameContext = false;
      g.paths.add(f.path);
      g.servers.add(server);
      if (f.origin) g.origins.add(`${f.origin.kind}/${f.origin.name}`);
    }
  }
  const sorted = (s: Set<string>) => [...s].sort(compareStrings);
  return [...groups.values()]
    .map((g): ChangeGroup => ({ op: g.op, paths: sorted(g.paths), origins: sorted(g.origins), diff: g.diff, shown: g.shown, servers: sorted(g.servers), sameContext: g.sameContext }))
    .sort((a, b) => b.servers.length - a.servers.length || b.paths.length - a.paths.length || compareStrings(a.paths[0]!, b.paths[0]!) || compareStrings(a.servers[0]!, b.servers[0]!));
}

/** Groups as `--json` prints them: each group's diff fields beside its op, paths and servers. */
export const changesJson = (groups: readonly ChangeGroup[]) => groups.map(({ diff, ...rest }) => ({ ...rest, ...diff }));
