/**
 * The engine's plan in the impact shape: `pulumi preview --json` steps grouped by server.
 *
 * - Files: a server's files are one resource (`<server>/files`, parent = its ProvisioningServer)
 *   whose `files` input maps each path to its hash, mode and origin. Comparing its old state
 *   (outputs, so what a refresh found counts) with its new inputs names each file that is
 *   created, updated or deleted; a replaced resource (moved to another root or host) updates
 *   every file. Each secret file and the manifest are resources of their own (`<server>/<path>`):
 *   each such step is one file change of that server.
 * - Objects: each ProvisioningServer carries its selection as inputs (`objects`: `kind/name` →
 *   definition hash), so the engine's old and new inputs of the server name exactly the objects
 *   it gained, lost or whose definition changed. When the state predates those inputs, the
 *   origins (`originKind`/`originName`) of the changed files stand in.
 * - `pulumi preview --json` leaves out unchanged ("same") steps, so a server without a step of
 *   its own kept its objects, and a server without any step is listed as unchanged when the
 *   caller names it (from stack config).
 *
 * Pure: preview document in, plain data out. Secret values stay `[secret]` as the CLI masks them.
 */
import type { Impact, Op, ServerImpact } from "../impact";
import { compareStrings } from "../util/canonical";
import type { PreviewJson, PreviewStep, ResourceState } from "./previewJson";
import { parseUrn } from "./urn";

/** Type tokens of components/names.ts (the pure core does not import components). */
export const SERVER_TYPE = "provisioning:index:ProvisioningServer";
export const FILE_TYPE = "pulumi-nodejs:dynamic:Resource";
/** Name suffix of a server's files resource (components/names.ts `treeResourceName`). */
export const TREE_SUFFIX = "/files";
export const SECRET = "[secret]";

export interface PlannedFile {
  readonly path: string;
  readonly op: Op;
  /** The catalog object the file is rendered from (`manifest` for manifest.json). */
  readonly origin?: { readonly kind: string; readonly name: string };
  /** Changed inputs, `key: old → new` (hashes shortened, secrets `[secret]`). */
  readonly changes: readonly string[];
}

export interface Plan {
  /** The contract shape, the same as `provision impact`. */
  readonly impact: Impact;
  /** Per server, its changed files with origin and what changed; sorted by path. */
  readonly files: Readonly<Record<string, readonly PlannedFile[]>>;
  /** URNs of each server's component and of its children that change, for `up --target`. */
  readonly urns: Readonly<Record<string, readonly string[]>>;
}

const FILE_OPS: Record<string, Op | undefined> = {
  create: "create",
  update: "update",
  delete: "delete",
  replace: "update",
  "create-replacement": "update",
  "delete-replaced": "update",
};

function show(v: unknown): string {
  if (v === undefined) return "-";
  if (typeof v === "string") return /^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 12)}…` : v;
  return JSON.stringify(v);
}

type Entry = Record<string, unknown>;

/** What makes a tree entry differ (the provider's diff compares the same). */
const FILE_KEYS = ["sha256", "mode", "sourcePath"] as const;
/** What a file's change lists: its own keys, and for a file of its own, where it is placed. */
const SHOWN_KEYS = [...FILE_KEYS, "root", "user", "hostKey", "privateKey"] as const;

/** Changed keys, `key: old → new`, of a file's inputs (its own resource's, or its tree entry). */
function changesOf(op: Op, oldIn: Entry | undefined, newIn: Entry | undefined): string[] {
  const out: string[] = [];
  for (const key of SHOWN_KEYS) {
    const a = oldIn?.[key];
    const b = newIn?.[key];
    if (op === "create" && b !== undefined && key === "sha256") out.push(`${key}: ${show(b)}`);
    // A secret compares equal as "[secret]" on both sides, yet it did change if the engine says so.
    if (op === "update" && (a !== b || (a === SECRET && key === "sha256"))) out.push(`${key}: ${show(a)} → ${show(b)}`);
  }
  return out;
}

const inputsOf = (s: ResourceState | undefined) => (s?.inputs ?? {}) as Record<string, unknown>;

/** The `files` map of a tree state: outputs first (they carry what a refresh found), then inputs. */
function filesOf(s: ResourceState | undefined, preferOutputs: boolean): Record<string, Entry> {
  const pick = (r: Record<string, unknown> | undefined) => (r?.files && typeof r.files === "object" ? (r.files as Record<string, Entry>) : undefined);
  return (preferOutputs ? (pick(s?.outputs) ?? pick(s?.inputs)) : pick(s?.inputs)) ?? {};
}

/** The files one tree step changes, with the op for each. */
function treeFileOps(op: string, before: Record<string, Entry>, after: Record<string, Entry>): Map<string, Op> {
  const ops = new Map<string, Op>();
  for (const p of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!(p in before)) ops.set(p, "create");
    else if (!(p in after)) ops.set(p, "delete");
    // A replacement writes every file at the new target.
    else if (op !== "update" || FILE_KEYS.some((k) => before[p]![k] !== after[p]![k])) ops.set(p, "update");
  }
  return ops;
}

function objectHashes(s: ResourceState | undefined): Map<string, string> | undefined {
  const objects = inputsOf(s).objects;
  if (!objects || typeof objects !== "object") return undefined;
  return new Map(Object.entries(objects as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

interface ServerAcc {
  /** From the server's own step: undefined without one (unchanged) or when it has no object inputs. */
  objects?: { kind: string; name: string; op: Op }[];
  /** Its own step was in the preview. */
  stepSeen: boolean;
  files: Map<string, PlannedFile>;
  urns: string[];
}

function objectDiff(step: PreviewStep): { kind: string; name: string; op: Op }[] | undefined {
  const before = step.op === "create" ? new Map<string, string>() : objectHashes(step.oldState);
  const after = step.op === "delete" ? new Map<string, string>() : objectHashes(step.newState);
  if (!before || !after) return undefined;
  const out: { key: string; op: Op }[] = [];
  for (const [key, hash] of after) {
    const old = before.get(key);
    if (old === undefined) out.push({ key, op: "create" });
    else if (old !== hash) out.push({ key, op: "update" });
  }
  for (const key of before.keys()) if (!after.has(key)) out.push({ key, op: "delete" });
  return out.map(({ key, op }) => {
    const slash = key.indexOf("/");
    return { kind: key.slice(0, slash), name: key.slice(slash + 1), op };
  });
}

/** Objects from the origins of changed files: created or deleted when all of its files are. */
function objectsFromOrigins(files: Iterable<PlannedFile>): { kind: string; name: string; op: Op }[] {
  const byOrigin = new Map<string, { kind: string; name: string; ops: Set<Op> }>();
  for (const f of files) {
    if (!f.origin || f.origin.kind === "manifest") continue;
    const key = `${f.origin.kind}/${f.origin.name}`;
    const e = byOrigin.get(key) ?? { ...f.origin, ops: new Set<Op>() };
    e.ops.add(f.op);
    byOrigin.set(key, e);
  }
  return [...byOrigin.values()].map((e) => ({ kind: e.kind, name: e.name, op: e.ops.size === 1 ? [...e.ops][0]! : "update" }));
}

/**
 * Server of a step below a ProvisioningServer: its children are all named `<server>/…` (files,
 * the bootstrap component and the bootstrap run inside it).
 */
function serverOf(name: string, servers: ReadonlySet<string>): string | undefined {
  const slash = name.indexOf("/");
  const prefix = slash > 0 ? name.slice(0, slash) : undefined;
  return prefix !== undefined && servers.has(prefix) ? prefix : undefined;
}

/**
 * @param stackServers every server of the stack (from its config): those without any step in the
 *   preview are listed as unchanged. @default - only servers with steps are listed
 */
export function planFromPreview(preview: PreviewJson, stackServers: readonly string[] = []): Plan {
  const acc = new Map<string, ServerAcc>();
  const get = (server: string) => {
    let a = acc.get(server);
    if (!a) acc.set(server, (a = { files: new Map(), urns: [], stepSeen: false }));
    return a;
  };
  // Servers known from config, from their own steps, and as the parent of a step (their own step
  // is left out of the document when it is unchanged).
  const serverNames = new Set<string>(stackServers);
  for (const step of preview.steps) {
    for (const urn of [step.urn, step.oldState?.parent, step.newState?.parent]) {
      const u = urn ? parseUrn(urn) : undefined;
      if (u?.type === SERVER_TYPE) serverNames.add(u.name);
    }
  }
  for (const name of stackServers) get(name);

  for (const step of preview.steps) {
    const u = parseUrn(step.urn);
    if (!u) continue;
    if (u.type === SERVER_TYPE) {
      const a = get(u.name);
      a.stepSeen = true;
      if (step.op !== "same") a.urns.push(step.urn);
      const objects = objectDiff(step);
      if (objects) a.objects = objects;
      continue;
    }
    const server = serverOf(u.name, serverNames);
    if (server === undefined) continue;
    const a = get(server);
    if (step.op !== "same") a.urns.push(step.urn);
    if (u.type !== FILE_TYPE) continue;
    const op = FILE_OPS[step.op];
    if (!op) continue;
    const record = (path: string, fileOp: Op, entry: Entry | undefined, changes: () => string[]) => {
      const origin =
        typeof entry?.originKind === "string" && typeof entry.originName === "string" ? { kind: entry.originKind, name: entry.originName } : undefined;
      const prev = a.files.get(path);
      // A replacement shows as several steps of one path: one update.
      const merged: Op = prev && prev.op !== fileOp ? "update" : fileOp;
      a.files.set(path, { path, op: merged, ...(origin ? { origin } : {}), changes: prev?.changes.length ? prev.changes : changes() });
    };
    if (u.name === `${server}${TREE_SUFFIX}`) {
      const before = filesOf(step.oldState, true);
      const after = step.op === "delete" || step.op === "delete-replaced" ? {} : filesOf(step.newState, false);
      const from = step.op === "create" || step.op === "create-replacement" ? {} : before;
      for (const [path, fileOp] of treeFileOps(step.op, from, after)) {
        record(path, fileOp, fileOp === "delete" ? from[path] : after[path], () => changesOf(fileOp, from[path], after[path]));
      }
      continue;
    }
    const oldIn = inputsOf(step.oldState);
    const newIn = inputsOf(step.newState);
    const inputs = step.op === "delete" ? oldIn : newIn;
    // The bootstrap resource shares the dynamic type; it has no path input.
    const path = typeof inputs.path === "string" && inputs.path !== SECRET ? inputs.path : undefined;
    if (path !== undefined) record(path, op, inputs, () => changesOf(op, oldIn, newIn));
  }

  const servers: Record<string, ServerImpact> = {};
  const files: Record<string, PlannedFile[]> = {};
  const urns: Record<string, string[]> = {};
  for (const name of [...acc.keys()].sort(compareStrings)) {
    const a = acc.get(name)!;
    const planned = [...a.files.values()].sort((x, y) => compareStrings(x.path, y.path));
    const objects = (a.objects ?? (a.stepSeen ? objectsFromOrigins(planned) : []))
      .map((o) => ({ kind: o.kind, name: o.name, op: o.op }))
      .sort((x, y) => compareStrings(`${x.kind}\0${x.name}`, `${y.kind}\0${y.name}`));
    servers[name] = {
      status: planned.length > 0 ? "update" : "same",
      objects: objects as ServerImpact["objects"],
      files: planned.map((f) => ({ path: f.path, op: f.op })),
    };
    files[name] = planned;
    urns[name] = a.urns;
  }
  return { impact: { touched: Object.keys(servers).filter((n) => servers[n]!.status === "update"), servers }, files, urns };
}
