/**
 * The engine's plan in the impact shape: `pulumi preview --json` steps grouped by server.
 *
 * - Files: a server is one resource (`<server>`, parent: its ProvisioningServer) whose `files`
 *   input maps each path (by directory) to the content key of its bytes
 *   (src/state/fileEntries.ts). Comparing the old inputs with the new names each file that is
 *   created, updated or deleted, by the same rule the provider applies (`fileChanges`); a secret whose version changed updates every
 *   file that prints it; a refresh's `drift` output updates the files it found changed. The
 *   child's manifest.json changes with them (`withManifest`).
 * - Objects: the server's `objects` input is the content key of the list of catalog objects it
 *   holds, each with a version of its definition (serverState.ts; a state written before 0.6
 *   holds the list itself): the objects each server gained, lost, or holds with a changed
 *   definition, even when none of its files changed. The caller reads the lists by key.
 * - `pulumi preview --json` leaves out unchanged ("same") steps, so a server without a step is
 *   unchanged; servers the caller names (from stack config) are listed as such.
 *
 * Pure: preview document in, plain data out. Secret values stay `[secret]` as the CLI masks them.
 */
import type { Impact, Op, ServerImpact } from "../impact";
import { fileChanges, type FileOp, flatFiles } from "../state/fileEntries";
import { MANIFEST_PATH } from "../render/layout";
import { type PlannedFile, type SecretChange, plannedFile } from "../review/plannedFile";
import { isContentKey } from "../state/contentKey";
import { INCOMPLETE_DIGEST, parseObjectEntry, withManifest } from "../state/serverState";
import { compareStrings } from "../util/canonical";
import { lifeCycleNotes } from "../state/hostLifeCycle";
import type { PreviewJson, PreviewStep, ResourceState } from "./previewJson";
import { parseUrn } from "./urn";

/** Type tokens and names of components/names.ts (the pure core does not import components). */
export const SERVER_TYPE = "provisioning:index:ProvisioningServer";
export const RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";
export const CENTRAL_TYPE = "provisioning:index:CentralServer";
export const SECRET = "[secret]";

export type { PlannedFile };

export interface Plan {
  /** The contract shape, the same as `provision impact`. */
  readonly impact: Impact;
  /** Per server, its changed files with what changed; sorted by path. */
  readonly files: Readonly<Record<string, readonly PlannedFile[]>>;
  /** Per server, what the update does besides files: daemons restarted, another address, new credentials. */
  readonly notes: Readonly<Record<string, readonly string[]>>;
  /** URNs of each server's component and resource that change, for `up --target`. */
  readonly urns: Readonly<Record<string, readonly string[]>>;
  /**
   * URNs of the central component and its records (the stack key, the barrier after each wave)
   * that are created or updated: a server's targeted `up` needs them when they are new (a new
   * stack, a new wave). Deletions are left to an update of the whole stack. @default - none
   */
  readonly shared?: readonly string[];
  /** Warnings of the program and engine (an SSH child whose host key is not checked, a pattern that matches nothing). */
  readonly warnings: readonly string[];
}

const OPS: Record<string, FileOp | undefined> = { create: "create", update: "update", delete: "delete", replace: "update", "create-replacement": "update", "delete-replaced": "update" };

type Record_ = Record<string, unknown>;
const inputsOf = (s: ResourceState | undefined) => (s?.inputs ?? {}) as Record_;
const outputsOf = (s: ResourceState | undefined) => (s?.outputs ?? {}) as Record_;
const mapOf = (v: unknown): Record<string, string> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {});

/** A server's object list by the content key its state holds; undefined when it is not known here. */
export type ObjectLists = (key: string) => readonly string[] | undefined;

/** The `objects` input: a content key, or the list itself in a state written before 0.6. */
function objectsOf(v: unknown, lists: ObjectLists): readonly string[] | undefined {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === "string" ? lists(v) : [];
}

/** A new `objects` input the preview cannot know yet (the server's tree waits on another resource's output). */
const pending = (v: unknown) => typeof v === "string" && !isContentKey(v);

interface ServerAcc {
  files: Map<string, PlannedFile>;
  objectsBefore?: readonly string[];
  objectsAfter?: readonly string[];
  /** An object list held before that the caller does not know: the objects are not named. */
  objectsUnknown?: boolean;
  /** The new object list is not known before the update: the objects are not named. */
  objectsPending?: boolean;
  notes: string[];
  urns: string[];
  stepSeen: boolean;
}

/** Objects a server gained, lost or holds with another definition (`kind/name@version` entries). */
function objectOps(before: readonly string[], after: readonly string[]): { kind: string; name: string; op: Op }[] {
  const b = new Map(before.map(parseObjectEntry));
  const a = new Map(after.map(parseObjectEntry));
  const out: { key: string; op: Op }[] = [];
  for (const [key, version] of a) {
    if (!b.has(key)) out.push({ key, op: "create" });
    else if (b.get(key) !== version) out.push({ key, op: "update" });
  }
  for (const key of b.keys()) if (!a.has(key)) out.push({ key, op: "delete" });
  return out
    .map(({ key, op }) => ({ kind: key.slice(0, key.indexOf("/")), name: key.slice(key.indexOf("/") + 1), op }))
    .sort((x, y) => compareStrings(`${x.kind}\0${x.name}`, `${y.kind}\0${y.name}`));
}

/**
 * @param stackServers every server of the stack (from its config): those without any step in the
 *   preview are listed as unchanged. @default - only servers with steps are listed
 * @param objectLists the servers' object lists by content key. @default - none known: a server
 *   whose list changed names no objects, and the plan warns
 */
export function planFromPreview(preview: PreviewJson, stackServers: readonly string[] = [], objectLists: ObjectLists = () => undefined): Plan {
  const acc = new Map<string, ServerAcc>();
  const get = (server: string) => {
    let a = acc.get(server);
    if (!a) acc.set(server, (a = { files: new Map(), notes: [], urns: [], stepSeen: false }));
    return a;
  };
  for (const name of stackServers) get(name);
  const shared: string[] = [];

  for (const step of preview.steps) {
    const u = parseUrn(step.urn);
    if (!u) continue;
    if (u.type === SERVER_TYPE) {
      const a = get(u.name);
      if (step.op !== "same") a.urns.push(step.urn);
      continue;
    }
    if (u.type !== RESOURCE_TYPE || !isBelowServer(step)) {
      if ((step.op === "create" || step.op === "update") && (u.type === CENTRAL_TYPE || (u.type === RESOURCE_TYPE && parentType(step) === CENTRAL_TYPE))) shared.push(step.urn);
      continue;
    }
    const server = u.name;
    const a = get(server);
    a.stepSeen = true;
    if (step.op !== "same") a.urns.push(step.urn);
    const op = OPS[step.op];
    const oldIn = inputsOf(step.oldState);
    const newIn = inputsOf(step.newState);
    const oldOut = outputsOf(step.oldState);
    const created = step.op === "create";
    const deleted = step.op === "delete";
    const before = created ? {} : flatFiles(oldIn.files);
    const after = deleted ? {} : flatFiles(newIn.files);
    const sameList = !created && !deleted && oldIn.objects === newIn.objects;
    a.objectsPending = !deleted && pending(newIn.objects);
    a.objectsBefore = created || sameList ? [] : objectsOf(oldIn.objects, objectLists);
    a.objectsAfter = deleted || sameList || a.objectsPending ? [] : objectsOf(newIn.objects, objectLists);
    a.objectsUnknown = !a.objectsPending && (a.objectsBefore === undefined || a.objectsAfter === undefined);
    const sameObjects = sameList || (a.objectsBefore !== undefined && a.objectsAfter !== undefined && !a.objectsPending && JSON.stringify(a.objectsBefore) === JSON.stringify(a.objectsAfter));
    if (!op) continue;
    const versionsBefore = mapOf(oldIn.secretVersions);
    const versionsAfter = mapOf(newIn.secretVersions);
    const secretChanges: Record<string, SecretChange> = {};
    for (const n of Object.keys(versionsAfter)) if (versionsBefore[n] !== undefined && versionsBefore[n] !== versionsAfter[n]) secretChanges[n] = { before: versionsBefore[n]!, after: versionsAfter[n]! };
    const changedSecrets = new Set(Object.keys(secretChanges));
    const inputOps = fileChanges(before, after, changedSecrets);
    const serverOp = created ? "create" : deleted ? "delete" : "update";
    // The manifest lists the files' bytes: it changes with them, not when a file is only put back.
    const ops = withManifest(inputOps, serverOp);
    // What a refresh found changed on the child is written again.
    const drift = mapOf(oldOut.drift);
    for (const path of Object.keys(drift)) if ((Object.hasOwn(after, path) || path === MANIFEST_PATH) && !ops.has(path) && !deleted) ops.set(path, "update");
    for (const [path, fileOp] of [...ops].sort((x, y) => compareStrings(x[0], y[0]))) {
      const drifted = Object.hasOwn(drift, path) && fileOp === "update" ? { drift: drift[path]! } : {};
      a.files.set(path, plannedFile(path, fileOp, { before: before[path], after: after[path], secretChanges, ...drifted }));
    }
    if (step.op === "update") a.notes.push(...lifeCycleNotes(ops), ...notesOf(oldIn, newIn, oldOut, ops.size > 0, sameObjects));
  }

  const servers: Record<string, ServerImpact> = {};
  const files: Record<string, PlannedFile[]> = {};
  const notes: Record<string, string[]> = {};
  const urns: Record<string, string[]> = {};
  for (const name of [...acc.keys()].sort(compareStrings)) {
    const a = acc.get(name)!;
    const planned = [...a.files.values()].sort((x, y) => compareStrings(x.path, y.path));
    // A server without a step holds the same objects at the same versions.
    const objects = a.stepSeen && !a.objectsUnknown && !a.objectsPending ? objectOps(a.objectsBefore ?? [], a.objectsAfter ?? []) : [];
    servers[name] = { status: planned.length > 0 || a.notes.length > 0 ? "update" : "same", objects: objects as ServerImpact["objects"], files: planned.map((f) => ({ path: f.path, op: f.op })) };
    files[name] = planned;
    notes[name] = a.notes;
    urns[name] = a.urns;
  }
  const warnings = (preview.diagnostics ?? []).filter((d) => d.severity === "warning").map((d) => d.message.trim().replace(/^warning: /, ""));
  const unknown = [...acc.keys()].filter((n) => acc.get(n)!.objectsUnknown).sort(compareStrings);
  if (unknown.length > 0) warnings.push(`the catalog objects that ${unknown.length === 1 ? `server ${unknown[0]}` : `${unknown.length} servers`} held before are not known on this machine (its content store lacks their lists): \`--base REF\` renders them; their files are planned as usual`);
  return { impact: { touched: Object.keys(servers).filter((n) => servers[n]!.status === "update"), servers }, files, notes, urns, shared, warnings };
}

function parentType(step: PreviewStep): string | undefined {
  const parent = step.newState?.parent ?? step.oldState?.parent;
  return parent !== undefined ? parseUrn(parent)?.type : undefined;
}

/** A server's resource is the dynamic resource whose parent is its ProvisioningServer. */
function isBelowServer(step: PreviewStep): boolean {
  return parentType(step) === SERVER_TYPE;
}

/** What an update of a server does besides its files. */
function notesOf(oldIn: Record_, newIn: Record_, oldOut: Record_, filesChange: boolean, sameObjects: boolean): string[] {
  const notes: string[] = [];
  const same = (k: string) => JSON.stringify(oldIn[k] ?? null) === JSON.stringify(newIn[k] ?? null);
  if (oldOut.digest === INCOMPLETE_DIGEST) notes.push("its last update failed midway: each file is compared with what the child's manifest lists and placed again where it differs");
  if (oldOut.serving === false) notes.push("its daemons were found stopped: the bootstrap starts them again");
  if (!same("serve")) notes.push("its daemons' settings changed: the bootstrap runs again");
  if (!same("transport")) notes.push("it is reached another way: the files stay on the child (it is asked who it is before anything moves)");
  // Credentials are secret both before and after: a change shows only as an update nothing else explains.
  if (notes.length === 0 && !filesChange && sameObjects) notes.push("its credentials changed: no file is written");
  return notes;
}
