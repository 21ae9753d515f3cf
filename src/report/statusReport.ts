/**
 * `provision status` as text and JSON (its HTML page: htmlReport.ts). Every field that came from a
 * child (daemons, differing paths, record fields, an error message) is the child's word: shown
 * with its control characters as visible escapes, never acting on the terminal or the page.
 */
import type { ChildStatus } from "../state/childStatus";
import type { HostStatus } from "../state/hostLifeCycle";
import { visibleJson, visibleText } from "../util/visibleText";

const v = (s: string) => visibleText(s);

/** A host's line: state, then what the child saw (times, client address, reason), then a note. */
export function hostLine(h: HostStatus): string {
  const facts: string[] = [];
  if (h.state === "installing" && h.fetchedAt !== undefined) facts.push(`since ${v(h.fetchedAt)}`);
  if ((h.state === "installed" || h.state === "failed") && h.reportedAt !== undefined) facts.push(`at ${v(h.reportedAt)}`);
  if (h.fetchedAt !== undefined && h.state !== "installing") facts.push(`autoinstall fetched ${v(h.fetchedAt)}`);
  if (h.client !== undefined) facts.push(`client ${v(h.client)}`);
  if (h.reason !== undefined) facts.push(`reason: ${v(h.reason)}`);
  if (h.generation !== undefined) facts.push(`generation ${v(h.generation)}`);
  return `${h.host}: ${h.state}${facts.length ? ` (${facts.join(", ")})` : ""}${h.note !== undefined ? `; ${v(h.note)}` : ""}`;
}

/** The child's line: whether its daemons serve and its files match its manifest. */
export function childLine(c: ChildStatus): string {
  if (!c.reachable) return `${c.server}: unreachable: ${v(c.error)}`;
  const files =
    c.files.state === "match"
      ? `files match the manifest (${c.files.listed})`
      : c.files.state === "differ"
        ? `files differ: ${c.files.differ} of ${c.files.listed} (${c.files.examples.map(v).join(", ")}${c.files.differ > c.files.examples.length ? ", …" : ""})`
        : c.files.state;
  return `${c.server}: ${v(c.daemons)}; ${files}`;
}

export function statusText(children: readonly ChildStatus[]): string {
  const out: string[] = [];
  for (const c of children) {
    out.push(childLine(c));
    if (c.reachable) for (const h of c.hosts) out.push(`  ${hostLine(h)}`);
  }
  const unreachable = children.filter((c) => !c.reachable).length;
  out.push(`${children.length} children: ${children.length - unreachable} answered${unreachable ? `, ${unreachable} unreachable` : ""}`);
  return `${out.join("\n")}\n`;
}

export function statusJson(children: readonly ChildStatus[]): string {
  return `${visibleJson({ children })}\n`;
}

