/**
 * The segment a child serves as its DHCP server (server mode): the subnet of `dhcp.range` with
 * `dhcp.prefix`, the one dnsmasq is told (dhcp-range's netmask). dnsmasq gives a reservation only
 * inside a subnet it serves, inside or outside the dynamic range; an address outside is ignored,
 * and the host then installs from a dynamic address or not at all. So every address the child
 * hands out or names is checked against the segment before anything is rendered.
 */

/** What a server-mode `dhcp` says about its segment (a subset of DhcpSchema, which imports this). */
export interface ServerSegmentSettings {
  readonly range: { readonly start: string; readonly end: string };
  readonly prefix: number;
  readonly router?: string | undefined;
  readonly dns?: readonly string[] | undefined;
}

type AnyDhcp = ({ readonly mode: "server" } & ServerSegmentSettings) | { readonly mode: "proxy" };

export interface Segment {
  readonly network: number;
  readonly broadcast: number;
  readonly prefix: number;
}

export interface SegmentProblem {
  /** Under the server entry, e.g. `["dhcp", "range", "end"]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const ipv4Number = (a: string): number => a.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
const ipv4Text = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `255.255.255.0` for 24. */
export const netmask = (prefix: number): string => ipv4Text(maskOf(prefix));

function segmentOf(address: string, prefix: number): Segment {
  const mask = maskOf(prefix);
  const network = (ipv4Number(address) & mask) >>> 0;
  return { network, broadcast: (network | ~mask) >>> 0, prefix };
}

export const segmentText = (s: Segment): string => `${ipv4Text(s.network)}/${s.prefix}`;

/** Why `ip` cannot be a machine's address on the segment (outside it, its network or broadcast address); undefined when it can. */
function notOnSegment(ip: string, s: Segment): string | undefined {
  const n = ipv4Number(ip);
  if (n < s.network || n > s.broadcast) return `outside the segment ${segmentText(s)}`;
  if (n === s.network) return `the network address of ${segmentText(s)}`;
  if (n === s.broadcast) return `the broadcast address of ${segmentText(s)}`;
  return undefined;
}

const inRange = (ip: string, r: ServerSegmentSettings["range"]) => ipv4Number(ip) >= ipv4Number(r.start) && ipv4Number(ip) <= ipv4Number(r.end);
const rangeText = (r: ServerSegmentSettings["range"]) => `${r.start}–${r.end}`;
const PREFIX_HINT = "(dhcp.prefix sets the segment's size; default 24)";

/** The segment of a server-mode `dhcp`: the subnet its range starts in. */
export const dhcpSegment = (dhcp: ServerSegmentSettings): Segment => segmentOf(dhcp.range.start, dhcp.prefix);

/** Rules a server-mode `dhcp` keeps by itself: a range within one segment, a router on it, name servers clients can reach. */
export function dhcpSettingsProblems(dhcp: ServerSegmentSettings): SegmentProblem[] {
  const out: SegmentProblem[] = [];
  const seg = dhcpSegment(dhcp);
  const { range, router } = dhcp;
  const startProblem = notOnSegment(range.start, seg);
  if (startProblem) out.push({ path: ["dhcp", "range", "start"], message: `range start ${range.start} is ${startProblem}: no address to lease` });
  const endProblem = notOnSegment(range.end, seg);
  if (endProblem) out.push({ path: ["dhcp", "range", "end"], message: `range end ${range.end} is ${endProblem}, where the range starts ${PREFIX_HINT}` });
  if (ipv4Number(range.start) > ipv4Number(range.end)) out.push({ path: ["dhcp", "range"], message: `range start ${range.start} is after its end ${range.end}` });
  if (router !== undefined) {
    const problem = notOnSegment(router, seg);
    if (problem) out.push({ path: ["dhcp", "router"], message: `router ${router} is ${problem}: clients reach their router on their own segment ${PREFIX_HINT}` });
    else if (inRange(router, range)) out.push({ path: ["dhcp", "router"], message: `router ${router} is inside the range ${rangeText(range)}: the child could lease the router's address to a client` });
  }
  (dhcp.dns ?? []).forEach((d, i) => {
    const n = ipv4Number(d);
    if (n === seg.network || n === seg.broadcast) out.push({ path: ["dhcp", "dns", i], message: `name server ${d} is ${notOnSegment(d, seg)}` });
    else if (router === undefined && notOnSegment(d, seg)) out.push({ path: ["dhcp", "dns", i], message: `name server ${d} is outside the segment ${segmentText(seg)} and no router is given: clients could not reach it` });
  });
  return out;
}

/** Rules on the child's own `address` against its `dhcp`: checked where the address is known (a stack file; a program's value at rendering). */
function dhcpAddressProblems(address: string, dhcp: ServerSegmentSettings): SegmentProblem[] {
  const seg = dhcpSegment(dhcp);
  const problem = notOnSegment(address, seg);
  if (problem) return [{ path: ["address"], message: `address ${address} is ${problem}, the segment of dhcp.range: DHCP clients reach this child on the segment it serves ${PREFIX_HINT}` }];
  if (inRange(address, dhcp.range)) return [{ path: ["address"], message: `address ${address} is inside dhcp.range ${rangeText(dhcp.range)}: the child could lease its own address to a client` }];
  return [];
}

/** The address rules of a server entry with DHCP in server mode (none otherwise); the entry's address must be known. */
export function serverAddressProblems(server: { readonly address: string; readonly dhcp?: AnyDhcp | undefined }): SegmentProblem[] {
  return server.dhcp?.mode === "server" ? dhcpAddressProblems(server.address, server.dhcp) : [];
}

/** Why the child cannot reserve `ip` for a host; undefined when it can. Inside or outside the range both work (dnsmasq keeps a reserved address from other clients). */
export function reservationProblem(ip: string, address: string, dhcp: ServerSegmentSettings): string | undefined {
  const seg = dhcpSegment(dhcp);
  const problem = notOnSegment(ip, seg);
  if (problem) return `${problem} ${PREFIX_HINT}`;
  if (ip === address) return "the child's own address";
  if (ip === dhcp.router) return "the segment's router";
  return undefined;
}
