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
