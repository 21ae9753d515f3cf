/**
 * Hosts: machines that install unattended. Resolved once per catalog (their profile exists and
 * installs something; their variables merged over the profile's, the host winning; no MAC or IP
 * twice), and placed against a stack's servers (the server or site each names exists, so some
 * child holds it).
 */
import { sha256Hex } from "../state/contentKey";
import { compareStrings } from "../util/canonical";
import { dhcpSegment, reservationProblem, segmentText } from "./dhcpSegment";
import { type CatalogIssue, knownList } from "./errors";
import { type MergedVariables, mergeMaps } from "./inheritance";
import type { Located } from "./load";
import type { ResolvedProfile } from "./resolve";
import type { Host, Origin, Server } from "./schema";

export interface ResolvedHost {
  readonly name: string;
  /** MACs canonical (`52:54:00:12:34:56`), in the catalog's order. */
  readonly interfaces: readonly { readonly mac: string; readonly ip?: string }[];
  readonly profile: string;
  readonly server?: string;
  readonly site?: string;
  readonly netboot: boolean;
  /** The catalog's `reinstall` value, if any. */
  readonly reinstall?: string;
  /** Names one install of the host: it changes with `reinstall`, and so does the host's token (see hostGeneration). */
  readonly generation: string;
  /** The profile's variables with the host's over them. */
  readonly variables: MergedVariables;
  readonly origin: Origin;
}

const at = (o: Origin, key: string, message: string): CatalogIssue => ({ file: o.file, line: o.keyLines[key] ?? o.line, path: `${o.path}.${key}`, message, severity: "error" });

/** Hosts by name; every issue located at the host's key. */
export function resolveHosts(hosts: readonly Located<Host>[], profiles: ReadonlyMap<string, ResolvedProfile>, installable: ReadonlySet<string>, issues: CatalogIssue[]): Map<string, ResolvedHost> {
  const out = new Map<string, ResolvedHost>();
  const macs = new Map<string, string>();
  const ips = new Map<string, string>();
  for (const h of [...hosts].sort((a, b) => compareStrings(a.name, b.name))) {
    const p = profiles.get(h.profile);
    if (!p) issues.push(at(h.origin, "profile", `unknown profile ${JSON.stringify(h.profile)} (${knownList(profiles.keys())})`));
    else if (!installable.has(h.profile)) issues.push(at(h.origin, "profile", `profile ${JSON.stringify(h.profile)} installs nothing (it resolves to no distribution)`));
    h.interfaces.forEach((i, n) => {
      const seenMac = macs.get(i.mac);
      if (seenMac !== undefined) issues.push(at(h.origin, `interfaces[${n}].mac`, `MAC ${i.mac} is already host ${seenMac}'s`));
      else macs.set(i.mac, h.name);
      if (i.ip === undefined) return;
      const seenIp = ips.get(i.ip);
      if (seenIp !== undefined) issues.push(at(h.origin, `interfaces[${n}].ip`, `IP ${i.ip} is already host ${seenIp}'s`));
      else ips.set(i.ip, h.name);
    });
    out.set(h.name, {
      name: h.name,
      interfaces: h.interfaces.map((i) => ({ mac: i.mac, ...(i.ip !== undefined ? { ip: i.ip } : {}) })),
      profile: h.profile,
      ...(h.server !== undefined ? { server: h.server } : {}),
      ...(h.site !== undefined ? { site: h.site } : {}),
      netboot: h.netboot,
      ...(h.reinstall !== undefined ? { reinstall: h.reinstall } : {}),
      generation: hostGeneration(h.name, h.reinstall),
      variables: mergeMaps([p?.variables, h.variables]),
      origin: h.origin,
    });
  }
  return out;
}

/**
 * A host's install generation: a digest of its name and `reinstall` value, so it is plain text of
 * a fixed shape that the child's handler can compare, whatever the catalog's value holds.
 */
export const hostGeneration = (host: string, reinstall: string | undefined) => sha256Hex(`${host}\0${reinstall ?? ""}`).slice(0, 16);

/** Whether a child holds a host: the host names it, or its site. */
export const holds = (server: Pick<Server, "name" | "site">, host: Pick<ResolvedHost, "server" | "site">) => host.server === server.name || host.site === server.site;

/** A host naming a server or site no server of the stack has would be held by no child. */
export function hostPlacementIssues(hosts: Iterable<ResolvedHost>, servers: readonly Pick<Server, "name" | "site">[]): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const names = servers.map((s) => s.name);
  const sites = [...new Set(servers.map((s) => s.site))];
  for (const h of hosts) {
    if (servers.some((s) => holds(s, h))) continue;
    issues.push(
      h.server !== undefined
        ? at(h.origin, "server", `host ${h.name} names server ${JSON.stringify(h.server)}, which the stack does not have (${knownList(names)}): no child would hold it`)
        : at(h.origin, "site", `host ${h.name} names site ${JSON.stringify(h.site)}, where the stack has no server (sites ${knownList(sites)}): no child would hold it`),
    );
  }
  return issues;
}

/**
 * The reservations a child in DHCP server mode would hand out: every IP of every host it holds
 * must fit its segment and be nobody else's (not its own address, not the router's). Located at
 * the host's interface, naming the server.
 */
export function reservationIssues(hosts: Iterable<ResolvedHost>, server: Pick<Server, "name" | "site" | "address" | "dhcp">): CatalogIssue[] {
  const dhcp = server.dhcp;
  if (dhcp?.mode !== "server") return [];
  const issues: CatalogIssue[] = [];
  for (const h of hosts) {
    if (!holds(server, h)) continue;
    h.interfaces.forEach((i, n) => {
      const problem = i.ip !== undefined ? reservationProblem(i.ip, server.address, dhcp) : undefined;
      if (problem) issues.push(at(h.origin, `interfaces[${n}].ip`, `IP ${i.ip} of host ${h.name} cannot be reserved by server ${server.name} (DHCP server of ${segmentText(dhcpSegment(dhcp))}): it is ${problem}`));
    });
  }
  return issues;
}
