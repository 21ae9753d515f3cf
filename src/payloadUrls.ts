/**
 * What a URL payload may fetch. A catalog's URL is downloaded by the central machine, inside the
 * network it sits in, and its bytes are served to every child: a URL that reaches the machine
 * itself, its cloud's metadata service or the private network would turn the catalog into a
 * reader of those. So a download connects only to public addresses, every hop of a redirect
 * included, unless the stack allows more (`provisioning:payloadUrlAllow`), and is size-capped
 * (`provisioning:payloadMaxBytes`).
 *
 * An address is refused when it lies in a range IANA lists as not globally reachable, or in the
 * ranges below that name something other than a public server. Documentation ranges are refused
 * too: they name no real server, and a network that numbers its own hosts in them is private.
 * An IPv6 address that carries an IPv4 address (IPv4-mapped, -compatible, -translated, NAT64
 * well-known prefix, 6to4) is judged by the IPv4 address it reaches.
 */
import { BlockList, isIP } from "node:net";
import { z } from "zod";

/** The size cap of one payload when the stack sets none: 512 MiB (the largest installer initrds are a fifth of it). */
export const DEFAULT_PAYLOAD_MAX_BYTES = 512 * 1024 * 1024;
/** Redirects followed for one payload, each to an address checked like the first. */
export const MAX_REDIRECTS = 5;
/** Payloads downloaded at once. */
export const DOWNLOADS_AT_ONCE = 4;

type Family = "ipv4" | "ipv6";

interface Range {
  readonly family: Family;
  readonly net: string;
  readonly prefix: number;
  readonly what: string;
}

const range = (cidr: string, what: string): Range => {
  const [net, prefix] = cidr.split("/") as [string, string];
  return { family: isIP(net) === 4 ? "ipv4" : "ipv6", net, prefix: Number(prefix), what };
};

/** Refused ranges, the more specific first (their name is the one given). */
const REFUSED: readonly Range[] = [
  range("0.0.0.0/8", "a \"this network\" address"),
  range("10.0.0.0/8", "a private address"),
  range("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
  range("127.0.0.0/8", "a loopback address"),
  range("169.254.169.254/32", "the cloud metadata service"),
  range("169.254.0.0/16", "a link-local address"),
  range("172.16.0.0/12", "a private address"),
  range("192.0.0.0/24", "an IETF protocol assignment"),
  range("192.0.2.0/24", "a documentation address"),
  range("192.88.99.0/24", "a 6to4 relay anycast address"),
  range("192.168.0.0/16", "a private address"),
  range("198.18.0.0/15", "a benchmarking address"),
  range("198.51.100.0/24", "a documentation address"),
  range("203.0.113.0/24", "a documentation address"),
  range("224.0.0.0/4", "a multicast address"),
  range("255.255.255.255/32", "the broadcast address"),
  range("240.0.0.0/4", "a reserved address"),
  range("::/128", "the unspecified address"),
  range("::1/128", "a loopback address"),
  range("fd00:ec2::254/128", "the cloud metadata service"),
  range("64:ff9b:1::/48", "a local-use NAT64 address"),
  range("100::/64", "a discard-only address"),
  range("2001::/32", "a Teredo tunnel address"),
  range("2001:2::/48", "a benchmarking address"),
  range("2001:10::/28", "an ORCHID address"),
  range("2001:20::/28", "an ORCHID address"),
  range("2001:db8::/32", "a documentation address"),
  range("3fff::/20", "a documentation address"),
  range("fc00::/7", "a unique local (private) address"),
  range("fe80::/10", "a link-local address"),
  range("fec0::/10", "a site-local address"),
  range("ff00::/8", "a multicast address"),
];

// Only 2000::/3 is allocated for global unicast; any other IPv6 address is reserved.
const GLOBAL_UNICAST = range("2000::/3", "global unicast");
const RESERVED_V6: Range = { family: "ipv6", net: "::", prefix: 0, what: "a reserved address (outside global unicast, 2000::/3)" };

const listOf = (r: Pick<Range, "family" | "net" | "prefix">): BlockList => {
  const b = new BlockList();
  b.addSubnet(r.net, r.prefix, r.family);
  return b;
};
const REFUSED_LISTS = REFUSED.map((r) => ({ range: r, list: listOf(r) }));
const GLOBAL_UNICAST_LIST = listOf(GLOBAL_UNICAST);

/** The eight 16-bit groups of an IPv6 address (checked by isIP first). */
function groups(ip: string): number[] {
  // The URL parser writes any valid IPv6 form (a dotted tail included) in its compressed form.
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.includes("::") ? (canonical.split("::") as [string, string]) : [canonical, undefined];
  const part = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const h = part(head);
  if (tail === undefined) return h;
  const t = part(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/** The IPv4 address an IPv6 address carries, and how, if it is one of the forms that carry one. */
export function embeddedIpv4(ip: string): { ipv4: string; form: string } | undefined {
  if (isIP(ip) !== 6) return undefined;
  const g = groups(ip);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return { ipv4: v4Of(g[6]!, g[7]!), form: "IPv4-mapped" };
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return { ipv4: v4Of(g[6]!, g[7]!), form: "IPv4-translated" };
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return { ipv4: v4Of(g[6]!, g[7]!), form: "NAT64" };
  if (g[0] === 0x2002) return { ipv4: v4Of(g[1]!, g[2]!), form: "6to4" };
  // IPv4-compatible (deprecated): ::a.b.c.d, but not :: or ::1, whose own meaning comes first.
  if (zeros(0, 6) && (g[6] !== 0 || g[7]! > 1)) return { ipv4: v4Of(g[6]!, g[7]!), form: "IPv4-compatible" };
  return undefined;
}

/** One entry of an allow-list: a subnet (`10.0.0.0/8`, `fd00::/8`, a single address) or a `host:port`. */
export type AllowEntry =
  | { readonly kind: "subnet"; readonly text: string; readonly family: Family; readonly net: string; readonly prefix: number }
  | { readonly kind: "hostPort"; readonly text: string; readonly host: string; readonly port: number };

/** An entry of `provisioning:payloadUrlAllow`, or why it is not one. */
export function parseAllowEntry(text: string): AllowEntry | { error: string } {
  const expected = `invalid entry ${JSON.stringify(text)}: expected a subnet (10.0.0.0/8, fd00::/8), an address, or host:port ([::1]:8080)`;
  const bare = isIP(text);
  if (bare) return { kind: "subnet", text, family: bare === 4 ? "ipv4" : "ipv6", net: text, prefix: bare === 4 ? 32 : 128 };
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (cidr) {
    const family = isIP(cidr[1]!);
    const prefix = Number(cidr[2]);
    if (!family || prefix > (family === 4 ? 32 : 128)) return { error: expected };
    return { kind: "subnet", text, family: family === 4 ? "ipv4" : "ipv6", net: cidr[1]!, prefix };
  }
  const hostPort = /^(\[[^\]]+\]|[^:/[\]\s]+):(\d{1,5})$/.exec(text);
  const port = Number(hostPort?.[2]);
  if (!hostPort || port < 1 || port > 65535) return { error: expected };
  const host = hostOf(hostPort[1]!);
  return host === undefined ? { error: expected } : { kind: "hostPort", text, host, port };
}

/** A host as a URL parser writes it (lower case, IPv4 in dotted decimal, IPv6 compressed without brackets), or undefined. */
export function hostOf(written: string): string | undefined {
  try {
    const u = new URL(`http://${written}/`);
    return u.hostname.replace(/^\[(.*)\]$/, "$1") || undefined;
  } catch {
    return undefined;
  }
}

/** The stack's allow-list (`provisioning:payloadUrlAllow`): subnets and `host:port`s a payload URL may reach besides public addresses. */
export const PayloadUrlAllowSchema = z.array(
  z.string().check((ctx) => {
    const parsed = parseAllowEntry(ctx.value);
    if ("error" in parsed) ctx.issues.push({ code: "custom", input: ctx.value, message: parsed.error });
  }),
);

/** The size cap of one payload in bytes (`provisioning:payloadMaxBytes`). */
export const PayloadMaxBytesSchema = z.number().check((ctx) => {
  if (!Number.isSafeInteger(ctx.value) || ctx.value < 1) ctx.issues.push({ code: "custom", input: ctx.value, message: `invalid size cap ${JSON.stringify(ctx.value)}: expected a whole number of bytes, at least 1` });
});

/** Where a connection goes: the address it connects to, and the URL's host and port that led there. */
export interface Destination {
  readonly address: string;
  /** The URL's host as a URL parser writes it (see hostOf). */
  readonly host: string;
  readonly port: number;
}

export type Verdict = { readonly allowed: true; readonly by?: string } | { readonly allowed: false; readonly reason: string };

/**
 * Whether a payload download may connect to `d.address`: yes for a public address, or for one
 * the allow-list covers (a subnet holding the address, or the IPv4 address it carries; or the
 * URL's very host and port); else the reason, e.g. "10.1.2.3 is a private address (10.0.0.0/8)".
 */
export function checkAddress(d: Destination, allow: readonly string[]): Verdict {
  const address = d.address.replace(/%.*$/, "");
  const family = isIP(address);
  if (!family) return { allowed: false, reason: `${JSON.stringify(d.address)} is not an IP address` };
  const carried = embeddedIpv4(address);
  const judged = carried ? carried.ipv4 : address;
  const judgedFamily: Family = carried || family === 4 ? "ipv4" : "ipv6";
  const hit =
    REFUSED_LISTS.find((r) => r.range.family === judgedFamily && r.list.check(judged, judgedFamily))?.range ??
    (judgedFamily === "ipv6" && !GLOBAL_UNICAST_LIST.check(judged, "ipv6") ? RESERVED_V6 : undefined);
  if (!hit) return { allowed: true };
  const forms: [string, Family][] = [[address, family === 4 ? "ipv4" : "ipv6"], [judged, judgedFamily]];
  const covers = (e: AllowEntry) => (e.kind === "hostPort" ? e.host === d.host && e.port === d.port : forms.some(([a, f]) => f === e.family && listOf(e).check(a, f)));
  for (const text of allow) {
    const e = parseAllowEntry(text);
    if (!("error" in e) && covers(e)) return { allowed: true, by: e.text };
  }
  const what = hit === RESERVED_V6 ? hit.what : `${hit.what} (${hit.net}/${hit.prefix})`;
  return { allowed: false, reason: carried ? `${address} is the ${carried.form} form of ${judged}, ${what}` : `${address} is ${what}` };
}
