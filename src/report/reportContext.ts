/**
 * What a report knows beyond the impact shape: where each server is and when it rolls out
 * (from stack config), and — for an engine plan — each changed file's origin and changed inputs.
 */
import type { Server } from "../catalog/schema";
import type { ChangeGroup } from "../review/changeGroups";
import type { PlannedFile } from "../review/plannedFile";
import { compareStrings } from "../util/canonical";

export interface ServerPlace {
  readonly site: string;
  /** @default 0 */
  readonly wave: number;
}

export interface ReportContext {
  /** @default - servers not in stack config show no site and wave 0 */
  readonly servers?: Readonly<Record<string, ServerPlace>>;
  /** @default - files show op and path only */
  readonly files?: Readonly<Record<string, readonly PlannedFile[]>>;
  /** Per server, what an update does besides files (daemons restarted, another address). @default - none */
  readonly notes?: Readonly<Record<string, readonly string[]>>;
  /** What each changed file says, grouped across servers (changeGroups.ts). @default - no diffs */
  readonly changes?: readonly ChangeGroup[];
  /** Warnings of the program and engine, shown first. @default - none */
  readonly warnings?: readonly string[];
  /** The installers' validators: which ran (one line) and what they found, each located. @default - not shown */
  readonly validators?: { readonly summary: string; readonly problems: readonly { readonly severity: "error" | "warning"; readonly text: string }[] };
}

export const placesOf = (servers: readonly Server[]): Record<string, ServerPlace> =>
  Object.fromEntries(servers.map((s) => [s.name, { site: s.site, wave: s.wave ?? 0 }]));

export const waveOf = (ctx: ReportContext, server: string): number => ctx.servers?.[server]?.wave ?? 0;

/** Touched servers by wave, in rollout order: `[[0, [a]], [1, [b, c]]]`. */
export function rolloutOrder(touched: readonly string[], ctx: ReportContext): [number, string[]][] {
  const byWave = new Map<number, string[]>();
  for (const s of touched) byWave.set(waveOf(ctx, s), [...(byWave.get(waveOf(ctx, s)) ?? []), s]);
  return [...byWave.entries()].sort((a, b) => a[0] - b[0]).map(([w, names]) => [w, [...names].sort(compareStrings)]);
}

const ROLLOUT_NAMES = 12;

/** `wave 0: pxe-east → wave 1: pxe-edge, pxe-west`; a wave of many servers as a count and its first names. */
export const rolloutLine = (touched: readonly string[], ctx: ReportContext, name: (server: string) => string = (s) => s): string =>
  rolloutOrder(touched, ctx)
    .map(([w, all]) => [w, all.map(name)] as const)
    .map(([w, names]) => `wave ${w}: ${names.length <= ROLLOUT_NAMES ? names.join(", ") : `${names.length} servers (${names.slice(0, ROLLOUT_NAMES).join(", ")}, …)`}`)
    .join(" → ");
