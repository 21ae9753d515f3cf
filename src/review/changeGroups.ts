/**
 * One diff, many servers: a file that changes the same way on many servers — the same path, op
 * and changed lines — is one group listing its servers, largest first. The lines around a change
 * may differ per server (each kickstart names its own server's address): the group shows the
 * first server's diff and says when the others' context differs. A server whose changed lines
 * differ gets a group of its own.
 */
import type { Op } from "../impact";
import { compareStrings } from "../util/canonical";
import type { Contents } from "./contents";
import { type FileDiff, fileDiff } from "./fileDiff";
import type { PlannedFile } from "./plannedFile";

export interface ChangeGroup {
  readonly path: string;
  readonly op: Op;
  /** The catalog object the file comes from, when known for one of its servers. */
  readonly origin?: { readonly kind: string; readonly name: string };
  /** The diff on the first server. */
  readonly diff: FileDiff;
  /** Sorted. */
  readonly servers: readonly string[];
  /** Whether every server's diff is exactly this one (else only the changed lines are the same). */
  readonly sameContext: boolean;
}

/** What makes two diffs the same change: for text, the removed and added lines (and mode); else all of it. */
function changeKey(diff: FileDiff): string {
  if (diff.kind !== "text") return JSON.stringify(diff);
  return JSON.stringify([diff.mode ?? "", diff.diff.split("\n").filter((l) => l.startsWith("+") || l.startsWith("-"))]);
}

export function groupChanges(files: Readonly<Record<string, readonly PlannedFile[]>>, contents: Contents): ChangeGroup[] {
  const groups = new Map<string, { path: string; op: Op; origin?: ChangeGroup["origin"]; diff: FileDiff; servers: string[]; sameContext: boolean }>();
  for (const server of Object.keys(files).sort(compareStrings)) {
    for (const f of files[server]!) {
      const diff = fileDiff(f, contents);
      const key = JSON.stringify([f.path, f.op, changeKey(diff)]);
      const g = groups.get(key);
      if (g) {
        g.servers.push(server);
        g.origin ??= f.origin;
        if (g.sameContext && JSON.stringify(g.diff) !== JSON.stringify(diff)) g.sameContext = false;
      } else groups.set(key, { path: f.path, op: f.op, ...(f.origin ? { origin: f.origin } : {}), diff, servers: [server], sameContext: true });
    }
  }
  return [...groups.values()].sort((a, b) => b.servers.length - a.servers.length || compareStrings(a.path, b.path) || compareStrings(a.servers[0]!, b.servers[0]!));
}

/** Groups as `--json` prints them: each group's diff fields beside its path, op and servers. */
export const changesJson = (groups: readonly ChangeGroup[]) => groups.map(({ diff, ...rest }) => ({ ...rest, ...diff }));
