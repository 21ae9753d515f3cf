/**
 * A changed file as a review shows it, the same for the engine's plan (from the state's entries
 * in a preview) and the pure impact (from two renderings): its op, the catalog object it comes
 * from, what changed in a few words, and its two sides as the state names them — entries
 * (fileEntries.ts), never bytes. The text of each side is looked up by its content key
 * (contents.ts), so neither the state nor this shape holds file content or a secret.
 */
import type { Op } from "../impact";
import { decodeEntry } from "../state/fileEntries";

/** Versions (keyed hashes, never values) of a secret whose value changed. */
export interface SecretChange {
  readonly before: string;
  readonly after: string;
}

export interface PlannedFile {
  readonly path: string;
  readonly op: Op;
  /** The catalog object the file is rendered from, when known. */
  readonly origin?: { readonly kind: string; readonly name: string };
  /** What changed: `content abc… → def…`, `secret NAME changed`, `drifted: absent`. */
  readonly changes: readonly string[];
  /** The file's entry before the change; absent for a created file (and the child's manifest). */
  readonly before?: string;
  /** The file's entry after the change; absent for a deleted file (and the child's manifest). */
  readonly after?: string;
  /** Secrets the file prints whose value changed. */
  readonly secretChanges?: Readonly<Record<string, SecretChange>>;
  /** What a refresh found on the child (`modified`, `absent`), when it drifted. */
  readonly drift?: string;
}

const short = (key: string | undefined) => (key === undefined ? "-" : `${key.slice(0, 10)}…`);

/**
 * A changed file from its entries on both sides.
 * @param secretChanges every secret whose value changed (the file's own are kept).
 */
export function plannedFile(
  path: string,
  op: Op,
  sides: { before?: string; after?: string; secretChanges?: Readonly<Record<string, SecretChange>>; drift?: string; origin?: PlannedFile["origin"] },
): PlannedFile {
  const after = sides.after !== undefined && op !== "delete" ? decodeEntry(sides.after) : undefined;
  const before = sides.before !== undefined && op !== "create" ? decodeEntry(sides.before) : undefined;
  const own = Object.fromEntries((before ? after?.secrets ?? [] : []).filter((n) => sides.secretChanges?.[n]).map((n) => [n, sides.secretChanges![n]!]));
  const changes: string[] = sides.drift !== undefined ? [`drifted: ${sides.drift}`] : [];
  if (after && !before) changes.push(`content ${short(after.key)}`);
  if (after && before) {
    if (after.key !== before.key) changes.push(`content ${short(before.key)} → ${short(after.key)}`);
    if (after.mode !== before.mode) changes.push(`mode ${before.mode} → ${after.mode}`);
    for (const n of Object.keys(own)) changes.push(`secret ${n} changed`);
  }
  return {
    path,
    op,
    ...(sides.origin ? { origin: sides.origin } : {}),
    changes,
    ...(before ? { before: sides.before } : {}),
    ...(after ? { after: sides.after } : {}),
    ...(Object.keys(own).length ? { secretChanges: own } : {}),
    ...(sides.drift !== undefined ? { drift: sides.drift } : {}),
  };
}
