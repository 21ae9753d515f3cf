/**
 * Predicted impact of a catalog change without Pulumi: select and render every server against
 * both catalogs and compare objects (by effective definition) and files (by the entries the
 * state would hold, serverState.ts). Secrets render as tokens on both sides, so a secret's value
 * never shows up as a change here.
 */
import { payloadIdentity } from "./catalog/checksums";
import type { ResolvedCatalog } from "./catalog/resolve";
import type { Server } from "./catalog/schema";
import { type ServerTree, render } from "./render/render";
import { type Contents, treeContents, wantedKeys } from "./review/contents";
import { type PlannedFile, plannedFile } from "./review/plannedFile";
import { fileChanges } from "./state/fileEntries";
import { stateFiles, withManifest } from "./state/serverState";
import type { ObjectKind } from "./select";
import { canonicalJson, compareStrings } from "./util/canonical";

export type Op = "create" | "update" | "delete";

export interface ServerImpact {
  readonly status: "same" | "update";
  /** Changed objects only, sorted by kind then name. */
  readonly objects: { kind: ObjectKind; name: string; op: Op }[];
  /** Changed files only (manifest.json included), sorted by path. */
  readonly files: { path: string; op: Op }[];
}

export interface Impact {
  /** Servers with at least one changed file, sorted. */
  readonly touched: string[];
  readonly servers: Record<string, ServerImpact>;
}

/** The effective definition of an object: what changes its meaning, never where it was written, nor where the checkout is. */
export function objectFingerprint(resolved: ResolvedCatalog, kind: ObjectKind, name: string): string {
  const key = `impact:fp:${kind}:${name}`;
  const hit = resolved.memo.get(key) as string | undefined;
  if (hit !== undefined) return hit;
  let def: unknown;
  switch (kind) {
    case "profile": {
      const { origin: _o, ...rest } = resolved.profiles.get(name)!;
      def = rest;
      break;
    }
    case "distribution": {
      // osVersion only says which validator checks its files: no child holds anything of it.
      const { origin, kernelFile, initrdFile, kernel, initrd, osVersion: _v, ...rest } = resolved.distributions.get(name)!;
      def = {
        ...rest,
        kernel: payloadIdentity(kernel, origin),
        initrd: payloadIdentity(initrd, origin),
        kernelFile: { sha256: kernelFile.sha256, url: kernelFile.sourceUrl },
        initrdFile: { sha256: initrdFile.sha256, url: initrdFile.sourceUrl },
      };
      break;
    }
    case "template": {
      const t = resolved.templates.get(name)!;
      def = { kind: t.kind, body: t.body };
      break;
    }
    case "configFile": {
      const { origin: _o, ...rest } = resolved.configFiles.get(name)!;
      def = rest;
      break;
    }
    case "bootLoader": {
      const b = resolved.bootLoaders.get(name)!;
      def = { menu: b.menu, files: b.placed.map((f) => ({ fileName: f.fileName, sha256: f.sha256, url: f.sourceUrl })) };
      break;
    }
    case "host": {
      const { origin: _o, ...rest } = resolved.hosts.get(name)!;
      def = rest;
      break;
    }
    case "distributionProfile": {
      const m = [...resolved.mappings.values()].find((x) => x.name === name)!;
      def = { profile: m.profile, distribution: m.distribution };
      break;
    }
  }
  const fp = canonicalJson(def);
  resolved.memo.set(key, fp);
  return fp;
}

function diff<T>(before: Map<string, T>, after: Map<string, T>, same: (a: T, b: T) => boolean): [string, Op][] {
  const out: [string, Op][] = [];
  for (const [k, a] of after) {
    const b = before.get(k);
    if (b === undefined) out.push([k, "create"]);
    else if (!same(b, a)) out.push([k, "update"]);
  }
  for (const k of before.keys()) if (!after.has(k)) out.push([k, "delete"]);
  return out.sort((x, y) => compareStrings(x[0], y[0]));
}

/** One server's impact, with its changed files as a review shows them and the renderings both sides come from. */
export interface ServerReview {
  readonly impact: ServerImpact;
  readonly files: PlannedFile[];
  readonly trees: readonly [before: ServerTree, after: ServerTree];
}

/** One server's review; `afterServer` is its entry after the change (served profiles, arch, …). */
export function serverReview(before: ResolvedCatalog, after: ResolvedCatalog, server: Server, afterServer: Server = server): ServerReview {
  const tb = render(before, server);
  const ta = render(after, afterServer);
  const objKey = (k: string, n: string) => `${k}\0${n}`;
  const ob = new Map(tb.selection.objects.map((o) => [objKey(o.kind, o.name), objectFingerprint(before, o.kind, o.name)]));
  const oa = new Map(ta.selection.objects.map((o) => [objKey(o.kind, o.name), objectFingerprint(after, o.kind, o.name)]));
  const objects = diff(ob, oa, (x, y) => x === y).map(([k, op]) => {
    const [kind, name] = k.split("\0") as [ObjectKind, string];
    return { kind, name, op };
  });
  const [sb, sa] = [stateFiles(tb), stateFiles(ta)];
  const origins = new Map([...tb.files, ...ta.files].map((f) => [f.path, f.origin]));
  const files = [...withManifest(fileChanges(sb, sa))].map(([path, op]) => {
    const origin = origins.get(path);
    return plannedFile(path, op, { before: sb[path], after: sa[path], ...(origin ? { origin } : {}) });
  });
  return { impact: { status: files.length > 0 ? "update" : "same", objects, files: files.map((f) => ({ path: f.path, op: f.op })) }, files, trees: [tb, ta] };
}

/** One server's impact; `afterServer` is its entry after the change (served profiles, arch, …). */
export const serverImpact = (before: ResolvedCatalog, after: ResolvedCatalog, server: Server, afterServer: Server = server): ServerImpact =>
  serverReview(before, after, server, afterServer).impact;

/** An impact with what each changed file says: the pure prediction of a plan's review. */
export interface ImpactReview {
  readonly impact: Impact;
  /** Per server, its changed files, sorted by path. */
  readonly files: Record<string, PlannedFile[]>;
  /** The texts and payload facts of both sides of every changed file. */
  readonly contents: Contents;
}

/**
 * Impact of a catalog change, and of a change to the servers' entries when `afterServers` is
 * given (matched by name; a server missing there keeps its entry), with each changed file.
 */
export function impactReview(
  before: ResolvedCatalog,
  after: ResolvedCatalog,
  servers: readonly Server[],
  afterServers: readonly Server[] = servers,
  /** Sees each server's rendering after the change (renderJob checks its paths). */
  seeAfter?: (tree: ServerTree) => void,
): ImpactReview {
  const next = new Map(afterServers.map((s) => [s.name, s]));
  const out: Record<string, ServerImpact> = {};
  const files: Record<string, PlannedFile[]> = {};
  const trees: ServerTree[] = [];
  for (const s of [...servers].sort((a, b) => compareStrings(a.name, b.name))) {
    const r = serverReview(before, after, s, next.get(s.name) ?? s);
    seeAfter?.(r.trees[1]);
    out[s.name] = r.impact;
    files[s.name] = r.files;
    if (r.files.length > 0) trees.push(...r.trees);
  }
  return { impact: { touched: Object.keys(out).filter((n) => out[n]!.status === "update"), servers: out }, files, contents: treeContents(trees, wantedKeys(files)) };
}

/** Impact of a catalog change (and of the servers' entries, see impactReview). */
export const impact = (before: ResolvedCatalog, after: ResolvedCatalog, servers: readonly Server[], afterServers: readonly Server[] = servers): Impact =>
  impactReview(before, after, servers, afterServers).impact;
