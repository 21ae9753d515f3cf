/**
 * Build mode, the one rule both the update and the refresh follow: which bytes belong at a host's
 * served per-MAC entry. While the host is armed, its installer variant (the rendered entry); once
 * the child's record says this generation's install reported (`done` or `failed`), the local-disk
 * variant the child swapped in (`hosts/<host>/local/<entry>`). So the child's switch is not drift,
 * a refresh never re-arms an installed host, and a new generation (`reinstall`) arms it again.
 */
import { HOSTS_DIR, LOCAL_ENTRY_DIR, hostArmPath, hostStatePath } from "../render/layout";

export interface HostRecord {
  readonly host?: string;
  readonly state: "installed" | "failed";
  readonly generation: string;
  readonly reportedAt?: string;
  readonly client?: string;
  readonly reason?: string;
}

/** The child's record of a host, or undefined for none or one that does not parse as a record. */
export function parseHostRecord(text: string | undefined): HostRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<HostRecord>;
    if ((r.state !== "installed" && r.state !== "failed") || typeof r.generation !== "string") return undefined;
    return r as HostRecord;
  } catch {
    return undefined;
  }
}

/** The generation an arm record names. */
export function armGeneration(text: string | undefined): string | undefined {
  return text?.match(/^generation=([0-9a-f]{1,64})$/m)?.[1];
}

/** Served entry path → its host and the path of its local-disk variant, from the paths of a tree. */
export function localVariants(paths: Iterable<string>): Map<string, { host: string; local: string }> {
  const out = new Map<string, { host: string; local: string }>();
  for (const p of paths) {
    if (!p.startsWith(HOSTS_DIR)) continue;
    const host = p.slice(HOSTS_DIR.length).split("/")[0]!;
    const prefix = `${HOSTS_DIR}${host}/${LOCAL_ENTRY_DIR}`;
    if (p.startsWith(prefix)) out.set(p.slice(prefix.length), { host, local: p });
  }
  return out;
}

/** The most bytes of a host's arm record or record the central side reads: the handler writes well under 1 KiB. */
export const HOST_RECORD_MAX_BYTES = 64 * 1024;

/** The files to read on the child to apply the rule: each armed host's arm record and its own record. */
export const lifeCycleFiles = (hosts: Iterable<string>) => [...hosts].map((host) => ({ host, arm: hostArmPath(host), record: hostStatePath(host) }));

/** Whether the host's install of `generation` reported: then its entries boot the local disk. */
export const switched = (generation: string | undefined, record: HostRecord | undefined) => generation !== undefined && record?.generation === generation;

/** Where the bytes for `path` come from: the path itself, or its local variant once its host switched. */
export function sourceOf(path: string, variants: ReadonlyMap<string, { host: string; local: string }>, switchedHosts: ReadonlySet<string>): string {
  const v = variants.get(path);
  return v !== undefined && switchedHosts.has(v.host) ? v.local : path;
}

/**
 * What a plan says of a host's life cycle, from the changes of its arm record: a new generation
 * (`reinstall` changed) erases its disk on its next boot; a first one arms it.
 */
export function lifeCycleNotes(ops: ReadonlyMap<string, "create" | "update" | "delete">): string[] {
  const notes: string[] = [];
  for (const [path, op] of ops) {
    const m = /^hosts\/([^/]+)\/arm$/.exec(path);
    if (!m || hostArmPath(m[1]!) !== path) continue;
    if (op === "update") notes.push(`${m[1]}: reinstall; its disk will be erased on next boot`);
    else if (op === "create") notes.push(`${m[1]}: armed; it installs on its next network boot`);
    else notes.push(`${m[1]}: no longer armed; its entries boot the local disk`);
  }
  return notes.sort();
}

/** What `provision status` shows of a host. "booting" is not among them: no child keeps a record of a boot-file fetch (TFTP logs nowhere, HTTP serves no boot file). */
export type HostState = "armed" | "installing" | "installed" | "failed" | "local" | "not armed" | "unreadable";

export interface HostStatus {
  readonly host: string;
  readonly state: HostState;
  /** The generation the child's arm record names. */
  readonly generation?: string;
  readonly fetchedAt?: string;
  readonly reportedAt?: string;
  /** The client address the child saw (the installer's). */
  readonly client?: string;
  readonly reason?: string;
  /** Why the state is what it is, when that is not plain (an update pending, a record unreadable). */
  readonly note?: string;
}

/** A record's text field as shown: a string up to `max` characters (longer is cut, marked), or undefined. */
const field = (v: unknown, max: number): string | undefined => (typeof v !== "string" ? undefined : v.length > max ? `${v.slice(0, max)}…` : v);

/** Largest host record read from a child; the handler writes a few hundred bytes. */
export const MAX_HOST_RECORD_BYTES = 64 * 1024;

/**
 * Where a host is, from the child's own files: its arm record and its record (untrusted text,
 * shapes checked, fields capped) against what the catalog asks (`netboot`, `generation`). The
 * install's end is the rule the provider follows (`switched`); `installing` is a record of the
 * armed generation saying so.
 */
export function hostStatus(want: { readonly name: string; readonly netboot: boolean; readonly generation: string }, armText: string | undefined, recordText: string | undefined): HostStatus {
  const host = want.name;
  if (!want.netboot) return { host, state: "local", note: "netboot: false" };
  if (armText === undefined) return { host, state: "not armed", note: "the child has no arm record for it: provision up arms it" };
  const generation = armGeneration(armText);
  if (generation === undefined) return { host, state: "unreadable", note: "unreadable arm record" };
  const pending = generation !== want.generation ? { note: `the catalog asks for generation ${want.generation}: provision up re-arms it` } : {};
  let raw: Record<string, unknown> | undefined;
  if (recordText !== undefined) {
    if (recordText.length > MAX_HOST_RECORD_BYTES) return { host, state: "unreadable", generation, note: "unreadable record: too large" };
    try {
      const v = JSON.parse(recordText) as unknown;
      if (v !== null && typeof v === "object" && !Array.isArray(v)) raw = v as Record<string, unknown>;
    } catch {
      /* below */
    }
    if (raw === undefined || typeof raw.generation !== "string" || !["installing", "installed", "failed"].includes(raw.state as string)) return { host, state: "unreadable", generation, note: "unreadable record" };
  }
  const seen = (r: Record<string, unknown>) => {
    const out: Record<string, string> = {};
    for (const [k, max] of [["fetchedAt", 40], ["reportedAt", 40], ["client", 64], ["reason", 200]] as const) {
      const v = field(r[k], max);
      if (v !== undefined) out[k] = v;
    }
    return out;
  };
  if (raw === undefined || raw.generation !== generation) return { host, state: "armed", generation, ...pending };
  const record = parseHostRecord(recordText);
  const state = switched(generation, record) ? record!.state : "installing";
  return { host, state, generation, ...seen(raw), ...pending };
}
