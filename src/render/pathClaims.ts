/**
 * Two objects never claim the same path on a child. Object names become path segments
 * (layout.ts), so a profile named `hosts` with a config file `motd` renders to the file
 * `http/files/hosts/motd`, where a host `motd` needs a folder; and `Web` and `web` are one file
 * wherever case is not told apart (a case-insensitive or casefold file system under the root, a
 * copy of the tree through one). Either would fail an update midway, so every server's file set
 * is checked before anything is written: no path is a folder of another, no two paths are equal
 * once folded.
 *
 * Folding: NFC, then upper case, then lower case. Upper case first is the full case mapping
 * (`ß` → `SS`, `ﬁ` → `FI`) that lower case alone misses, so the check is at least as strict as
 * the folds file systems apply (ext4 casefold folds `ß` and `ss` together). Object names are
 * ASCII today (NAME_PATTERN), so only the ASCII pairs can occur from a catalog.
 */
import type { CatalogIssue } from "../catalog/errors";
import type { ResolvedCatalog } from "../catalog/resolve";
import type { Origin } from "../catalog/schema";
import { compareStrings } from "../util/canonical";
import type { PlacedFile } from "./render";

/** A server's file set (or the destinations of one profile's config files). */
export interface ClaimTree {
  readonly server: string;
  readonly files: readonly ClaimedPath[];
}

/** The form of a path two file systems may take for the same name. */
export const foldPath = (p: string): string => p.normalize("NFC").toUpperCase().toLowerCase();

type ObjectRef = { readonly kind: string; readonly name: string };
type Clash = "inside" | "case" | "same";

const KIND_WORDS: Record<string, string> = {
  bootLoader: "boot loader",
  configFile: "config file",
  distribution: "distribution",
  host: "host",
  profile: "profile",
  server: "server",
  template: "template",
};
const word = (o: ObjectRef) => `${KIND_WORDS[o.kind] ?? o.kind} ${o.name}`;

/** The objects whose names make a file's path: a config file's profile or host, then the file's origin. */
const objectsOf = (f: ClaimedPath): ObjectRef[] => (f.holder ? [f.holder, f.origin] : [f.origin]);
const describe = (f: ClaimedPath) => (f.holder ? `config file ${f.origin.name} of ${word(f.holder)}` : word(f.origin));
const same = (a: ObjectRef, b: ObjectRef) => a.kind === b.kind && a.name === b.name;

/** Where the catalog defines an object; builtin templates and servers have no catalog line. */
function originOf(resolved: ResolvedCatalog, o: ObjectRef): Origin | undefined {
  switch (o.kind) {
    case "profile":
      return resolved.profiles.get(o.name)?.origin;
    case "host":
      return resolved.hosts.get(o.name)?.origin;
    case "configFile":
      return resolved.configFiles.get(o.name)?.origin;
    case "distribution":
      return resolved.distributions.get(o.name)?.origin;
    case "bootLoader":
      return resolved.bootLoaders.get(o.name)?.origin;
    case "template":
      return resolved.templates.get(o.name)?.origin;
    default:
      return undefined;
  }
}

/** What the check reads of a file: its path and the objects that name it. */
export type ClaimedPath = Pick<PlacedFile, "path" | "origin" | "holder">;

/** A side's own object of a pair (one the other side does not share), one the catalog locates first. */
function own(resolved: ResolvedCatalog, mine: ObjectRef[], theirs: ObjectRef[]): ObjectRef {
  const distinct = mine.filter((o) => !theirs.some((t) => same(o, t)));
  const candidates = distinct.length > 0 ? distinct : mine;
  return candidates.find((o) => originOf(resolved, o)) ?? candidates[0]!;
}

interface Found {
  readonly clash: Clash;
  /** The file whose path is the folder (inside), or the first by path. */
  readonly a: ClaimedPath;
  readonly b: ClaimedPath;
  readonly servers: Set<string>;
}

export interface PathClaimOptions {
  /**
   * Where a clash was found, from the names of the trees it was found in. @default "on server a, b"
   * (`validate` says nothing: its one server stands for every child)
   */
  readonly where?: (names: readonly string[]) => string;
  /** Whether paths that differ only in case clash. @default true */
  readonly fold?: boolean;
}

const onServers = (names: readonly string[]) => ` on server${names.length > 1 ? "s" : ""} ${names.slice(0, 8).join(", ")}${names.length > 8 ? `, … ${names.length - 8} more` : ""}`;

/**
 * Collects every server's clashes (add each tree), then reports them at once: one located issue
 * per pair of objects, at the second one's name, naming the first with its file:line.
 */
export function pathClaims(resolved: ResolvedCatalog, opts: PathClaimOptions = {}) {
  const found = new Map<string, Found>();
  // One issue per pair of objects (a host whose every config file lies in a profile's file is one).
  const note = (clash: Clash, a: ClaimedPath, b: ClaimedPath, server: string) => {
    const [objA, objB] = [objectsOf(a), objectsOf(b)];
    const key = [clash, word(own(resolved, objA, objB)), word(own(resolved, objB, objA))].join("\0");
    const prev = found.get(key);
    if (prev) prev.servers.add(server);
    else found.set(key, { clash, a, b, servers: new Set([server]) });
  };
  return {
    add(tree: ClaimTree): void {
      const fold = opts.fold === false ? (p: string) => p : foldPath;
      const byFold = new Map<string, ClaimedPath[]>();
      for (const f of tree.files) {
        const k = fold(f.path);
        const list = byFold.get(k);
        if (list) list.push(f);
        else byFold.set(k, [f]);
      }
      for (const list of byFold.values()) {
        const [first, ...rest] = [...list].sort((x, y) => compareStrings(x.path, y.path));
        for (const f of rest) note(f.path === first!.path ? "same" : "case", first!, f, tree.server);
      }
      for (const f of tree.files) {
        const segments = f.path.split("/");
        for (let i = 1; i < segments.length; i++) {
          for (const dirFile of byFold.get(fold(segments.slice(0, i).join("/"))) ?? []) note("inside", dirFile, f, tree.server);
        }
      }
    },
    issues(): CatalogIssue[] {
      return [...found.values()]
        .sort((x, y) => compareStrings(x.a.path, y.a.path) || compareStrings(x.b.path, y.b.path))
        .map((c) => issueOf(resolved, c, opts.where ?? onServers));
    },
  };
}

/** Every clash of the servers' file sets, as located issues (see pathClaims). */
export function pathClaimIssues(resolved: ResolvedCatalog, trees: Iterable<ClaimTree>, opts: PathClaimOptions = {}): CatalogIssue[] {
  const claims = pathClaims(resolved, opts);
  for (const t of trees) claims.add(t);
  return claims.issues();
}

function issueOf(resolved: ResolvedCatalog, c: Found, where: (names: readonly string[]) => string): CatalogIssue {
  const [objA, objB] = [objectsOf(c.a), objectsOf(c.b)];
  const [ownA, ownB] = [own(resolved, objA, objB), own(resolved, objB, objA)];
  const [atA, atB] = [originOf(resolved, ownA), originOf(resolved, ownB)];
  // The issue sits at the second object's name, or the first's when only that one is in the catalog.
  const [here, other, otherAt] = atB ? [atB, c.a, atA] : [atA, c.a, undefined];
  const cite = otherAt ? `, ${otherAt.file}:${otherAt.keyLines["name"] ?? otherAt.line}` : "";
  const on = where([...c.servers].sort(compareStrings));
  const message =
    c.clash === "inside"
      ? `${c.b.path} (${describe(c.b)}) would lie inside ${c.a.path}, which is a file (${describe(other)}${cite})${on}: one path cannot be both a file and a folder; rename one of them`
      : c.clash === "case"
        ? `${c.b.path} (${describe(c.b)}) and ${c.a.path} (${describe(other)}${cite}) differ only in case${on}: they are one file where case is not told apart; rename one of them`
        : `${c.b.path} is claimed by both ${describe(c.b)} and ${describe(other)}${cite}${on}: rename one of them`;
  return here
    ? { file: here.file, line: here.keyLines["name"] ?? here.line, path: `${here.path}.name`, message, severity: "error" }
    : { file: "(layout)", line: 0, path: c.b.path, message, severity: "error" };
}

/**
 * The same rule on the installed machine: the config files a profile (and each host of it)
 * installs must not write one destination twice, or a file where another needs a folder. Case
 * counts there (the installed system's file system tells it apart).
 */
export function destinationClaimIssues(resolved: ResolvedCatalog): CatalogIssue[] {
  const trees = [...resolved.profiles.values()].map((p) => ({
    server: p.name,
    files: p.configFiles.map((name) => ({ path: resolved.configFiles.get(name)!.destination, origin: { kind: "configFile" as const, name } })),
  }));
  return pathClaimIssues(resolved, trees, { fold: false, where: (names) => ` (destinations installed by profile${names.length > 1 ? "s" : ""} ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""})` });
}
