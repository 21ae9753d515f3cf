/**
 * A host's BMC (baseboard management controller): how `provision power` reaches it, and the
 * requests it sends. Declared in the stack (`provisioning:bmcs`, keyed by host name), never in
 * the catalog: the catalog is untrusted, and a catalog that chose the address would send the
 * stack's credential wherever it names. The password is a credential (`{ secret: NAME }`, read
 * from the stack's secret config), in the same namespace as a server's SSH key.
 *
 * Pure: the requests are built here, and the answers read here; the child that holds the host
 * sends them (components/bmc), because BMC networks are site-local.
 */
import { z } from "zod";
import { type CatalogIssue, knownList } from "./catalog/errors";
import { holds } from "./catalog/hosts";
import { AddressSchema, NameSchema, PortSchema, SecretRefSchema, type Server } from "./catalog/schema";

export const BMCS_KEY = "provisioning:bmcs";

/** curl's `--pinnedpubkey` form: the sha256 of the certificate's public key (SPKI), base64. */
export const PIN_PATTERN = /^sha256\/\/[A-Za-z0-9+/]{43}=$/;

const BmcUserSchema = z.string().regex(/^[A-Za-z0-9._@+-]{1,64}$/, { error: (i) => `invalid BMC user ${JSON.stringify(i.input)}: expected 1-64 letters, digits, '.', '_', '@', '+' or '-'` });

const common = {
  address: AddressSchema,
  user: BmcUserSchema,
  /** A credential from the stack's secret config (`provisioning:NAME`), never a catalog secret. */
  password: z.strictObject(SecretRefSchema.shape, { error: "expected { secret: NAME }: a BMC password comes from the stack's secret config, never in plain text" }),
  /** The child to act from, when several hold the host (a site's children). @default - the first of the stack's servers that holds it */
  via: NameSchema.optional(),
};

export const RedfishBmcSchema = z
  .strictObject({
    kind: z.literal("redfish"),
    ...common,
    port: PortSchema.default(443),
    /** The BMC certificate's public key, pinned: `sha256//<base64>` (see docs/security.md, "BMC credentials"). */
    pin: z.string().regex(PIN_PATTERN, { error: (i) => `invalid pin ${JSON.stringify(i.input)}: expected "sha256//" and the base64 sha256 of the certificate's public key` }).optional(),
    /** Accept any certificate (a lab): nothing proves who answers, and every use says so. @default false */
    insecureSkipTlsVerify: z.literal(true).optional(),
    /** The Redfish system id (`/redfish/v1/Systems/<system>`). @default - the only member of /redfish/v1/Systems */
    system: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, { error: (i) => `invalid system id ${JSON.stringify(i.input)}` }).optional(),
  })
  .check((ctx) => {
    const b = ctx.value;
    if (b.pin === undefined && b.insecureSkipTlsVerify !== true) {
      ctx.issues.push({
        code: "custom",
        input: b,
        message: `no TLS pin for the BMC at ${b.address}: set pin ("sha256//…", the hash of its certificate's public key); insecureSkipTlsVerify: true accepts any certificate, for a lab`,
      });
    }
    if (b.pin !== undefined && b.insecureSkipTlsVerify === true) ctx.issues.push({ code: "custom", input: b, message: "pin and insecureSkipTlsVerify are exclusive" });
  });

export const IpmiBmcSchema = z.strictObject({ kind: z.literal("ipmi"), ...common, port: PortSchema.default(623) });

export const BmcSchema = z.discriminatedUnion("kind", [RedfishBmcSchema, IpmiBmcSchema], { error: "expected kind: redfish or kind: ipmi" });
/** Keyed by the catalog's host names (checked by `bmcHostNameProblems`, beside the entries). */
export const BmcsSchema = z.record(z.string(), BmcSchema);

/** Keys of `provisioning:bmcs` that cannot be host names, checked whatever the entries hold. */
export function bmcHostNameProblems(value: unknown): { host: string; message: string }[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.keys(value).flatMap((host) => {
    const name = NameSchema.safeParse(host);
    return name.success ? [] : [{ host, message: `invalid host name: ${name.error.issues[0]!.message}` }];
  });
}

export type Bmc = z.infer<typeof BmcSchema>;
export type RedfishBmc = z.infer<typeof RedfishBmcSchema>;
export type IpmiBmc = z.infer<typeof IpmiBmcSchema>;

export type PowerAction = "status" | "on" | "off" | "cycle";
export const POWER_ACTIONS: readonly PowerAction[] = ["status", "on", "off", "cycle"];
/** Where the next boot goes: the network once (an install), or the disk. */
export type BootTarget = "pxe" | "disk";

/** The BMC as messages name it: kind and address, never its user or password. */
export function bmcLabel(bmc: Bmc): string {
  return bmc.kind === "redfish" ? `redfish ${redfishOrigin(bmc)}` : `ipmi ${hostPort(bmc.address, bmc.port)}`;
}

const hostPort = (address: string, port: number) => `${address.includes(":") ? `[${address}]` : address}:${port}`;

export const redfishOrigin = (bmc: RedfishBmc) => `https://${hostPort(bmc.address, bmc.port)}`;

/**
 * The child that acts for a host: `via` when set, else the first server of the stack that holds
 * it. Undefined when none does.
 */
export function bmcChild(host: { server?: string; site?: string }, bmc: Bmc, servers: readonly Pick<Server, "name" | "site">[]): string | undefined {
  const holders = servers.filter((s) => holds(s, host));
  return (bmc.via !== undefined ? holders.find((s) => s.name === bmc.via) : holders[0])?.name;
}

/**
 * A BMC for a host the catalog does not have, or that no child of the stack holds (or not the
 * child `via` names): an error at its entry (`key`: where it is declared, for messages).
 */
export function bmcPlacementIssues(
  bmcs: Readonly<Record<string, Bmc>>,
  hosts: readonly { name: string; server?: string; site?: string }[],
  servers: readonly Pick<Server, "name" | "site">[],
  file: string,
  lineOf: (host: string) => number,
  key = BMCS_KEY,
): CatalogIssue[] {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  return Object.entries(bmcs).flatMap(([name, bmc]) => {
    const at = { file, line: lineOf(name), path: `${key}.${name}`, severity: "error" as const };
    const host = byName.get(name);
    if (!host) return [{ ...at, message: `host ${name} is not in the catalog (${knownList(byName.keys())})` }];
    if (bmcChild(host, bmc, servers) !== undefined) return [];
    const placed = host.server !== undefined ? `server ${host.server}` : `site ${host.site}`;
    if (bmc.via !== undefined) return [{ ...at, message: `via ${bmc.via}: that server does not hold host ${name} (it names ${placed})` }];
    return [{ ...at, message: `no server of the stack holds host ${name} (it names ${placed}): no child can reach its BMC` }];
  });
}

/**
 * A host's BMC reached through a child whose host key is not pinned (`insecureAcceptAnyHostKey`):
 * the password would go to whatever answers at the child's address, so `provision power` refuses,
 * with an error at the server's setting. Pin the child's key (`hostKey`, `knownHosts`) to use it.
 */
export function bmcTrustIssues(
  hosts: readonly string[],
  bmcs: Readonly<Record<string, Bmc>>,
  catalogHosts: readonly { name: string; server?: string; site?: string }[],
  servers: readonly Server[],
  file: string,
  lineOf: (server: string) => number,
): CatalogIssue[] {
  return hosts.flatMap((name) => {
    const host = catalogHosts.find((h) => h.name === name);
    const bmc = bmcs[name];
    const child = host && bmc ? servers.find((s) => s.name === bmcChild(host, bmc, servers)) : undefined;
    if (child?.transport.kind !== "ssh" || child.transport.insecureAcceptAnyHostKey !== true) return [];
    const i = servers.indexOf(child);
    return [
      {
        file,
        line: lineOf(child.name),
        path: `provisioning:servers[${i}].transport.insecureAcceptAnyHostKey`,
        message: `server ${child.name} accepts any host key: the password of host ${name}'s BMC would go to whatever answers at ${child.transport.host}; pin its host key (hostKey or knownHosts) to act for the BMC`,
        severity: "error" as const,
      },
    ];
  });
}

/** The programs each child runs for the BMCs it acts for: curl for Redfish, ipmitool for IPMI. */
export function bmcToolsByServer(
  bmcs: Readonly<Record<string, Bmc>>,
  hosts: readonly { name: string; server?: string; site?: string }[],
  servers: readonly Pick<Server, "name" | "site">[],
): Map<string, ("curl" | "ipmitool")[]> {
  const out = new Map<string, Set<"curl" | "ipmitool">>();
  for (const h of hosts) {
    const bmc = bmcs[h.name];
    const child = bmc && bmcChild(h, bmc, servers);
    if (!child) continue;
    const tools = out.get(child) ?? new Set();
    tools.add(bmc.kind === "redfish" ? "curl" : "ipmitool");
    out.set(child, tools);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

// ---- Redfish ------------------------------------------------------------------------------

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PATCH";
  /** An absolute path on the BMC (`/redfish/v1/...`). */
  readonly path: string;
  readonly body?: unknown;
}

/** The line curl prints after the response (`--write-out`): its status. */
export const HTTP_MARK = "provision-bmc-http:";

/** A value in curl's config syntax: double-quoted, with curl's escapes. */
export function curlQuote(s: string): string {
  return `"${s.replace(/[\\"\n\r\t\v]/g, (c) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" })[c]!)}"`;
}

/**
 * curl's whole configuration for one request (`curl -q -K -` reads it on stdin): the password
 * travels here, never in an argument, the environment or a file. HTTPS only; redirects are not
 * followed by curl (the caller follows those to the same BMC); proxies are never used.
 */
export function curlConfig(bmc: RedfishBmc, password: string, req: HttpRequest): string {
  if (password.includes("\0")) throw new Error("the BMC password contains a NUL character");
  const lines = [
    `url = ${curlQuote(redfishOrigin(bmc) + req.path)}`,
    `user = ${curlQuote(`${bmc.user}:${password}`)}`,
    `request = ${curlQuote(req.method)}`,
    `proto = "=https"`,
    `noproxy = "*"`,
    "globoff",
    "silent",
    "show-error",
    `connect-timeout = "10"`,
    `max-time = "60"`,
    `header = "Accept: application/json"`,
    // The pin is the trust: a BMC's certificate is self-signed as a rule; curl checks the pin either way.
    "insecure",
    ...(bmc.pin !== undefined ? [`pinnedpubkey = ${curlQuote(bmc.pin)}`] : []),
    ...(req.body !== undefined ? [`header = "Content-Type: application/json"`, `data-raw = ${curlQuote(JSON.stringify(req.body))}`] : []),
    // The headers (a redirect's Location) come with the body: curl's own %{redirect_url} would
    // carry the user and password.
    "include",
    `write-out = ${curlQuote(`\\n${HTTP_MARK} %{http_code}`)}`,
  ];
  return `${lines.join("\n")}\n`;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  /** A redirect's Location header, as the BMC wrote it. */
  readonly location?: string;
}

/**
 * curl's output: the response's head (`include`), its body, then the mark line. Undefined when
 * the mark or the head is missing. Interim answers (`100 Continue`) are skipped.
 */
export function parseCurlOutput(stdout: string): HttpAnswer | undefined {
  const at = stdout.lastIndexOf(`\n${HTTP_MARK} `);
  if (at < 0) return undefined;
  const status = Number(stdout.slice(at + HTTP_MARK.length + 2).trim());
  if (!Number.isInteger(status)) return undefined;
  let rest = stdout.slice(0, at);
  for (;;) {
    const end = /\r?\n\r?\n/.exec(rest);
    if (!rest.startsWith("HTTP/") || !end) return undefined;
    const head = rest.slice(0, end.index).split(/\r?\n/);
    rest = rest.slice(end.index + end[0].length);
    if (/^HTTP\/\S+ 1\d\d\b/.test(head[0]!)) continue;
    const location = head.find((h) => /^location:/i.test(h))?.slice("location:".length).trim();
    return { status, body: rest, ...(location ? { location } : {}) };
  }
}

/**
 * The path of `location` (relative to `from`, the request's path) when it is on this very BMC
 * (same scheme, host and port), else undefined: credentials never follow a redirect elsewhere.
 */
export function sameBmcPath(bmc: RedfishBmc, location: string, from = "/"): string | undefined {
  let url: URL;
  try {
    url = new URL(location, redfishOrigin(bmc) + from);
  } catch {
    return undefined;
  }
  const origin = new URL(redfishOrigin(bmc));
  if (url.protocol !== "https:" || url.hostname !== origin.hostname || (url.port || "443") !== (origin.port || "443") || url.username || url.password) return undefined;
  return url.pathname + url.search;
}

/** An `@odata.id` (or action target) of the BMC's answer as a path on it, or undefined when it is not one. */
export function odataPath(bmc: RedfishBmc, id: unknown): string | undefined {
  if (typeof id !== "string" || !id.startsWith("/")) return undefined;
  return sameBmcPath(bmc, id);
}

/** The Redfish message of an error answer (`error.message`, its first extended message), if any. */
export function redfishMessage(body: string): string | undefined {
  try {
    const e = (JSON.parse(body) as { error?: { message?: unknown; "@Message.ExtendedInfo"?: { Message?: unknown }[] } }).error;
    const m = e?.["@Message.ExtendedInfo"]?.[0]?.Message ?? e?.message;
    return typeof m === "string" ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The ResetType for an action among those the system allows (all standard ones when it does not
 * say): `cycle` is PowerCycle where offered, else ForceRestart.
 */
export function resetTypeFor(action: Exclude<PowerAction, "status">, allowed: readonly string[] | undefined): string | undefined {
  const wanted = { on: ["On", "ForceOn"], off: ["ForceOff"], cycle: ["PowerCycle", "ForceRestart"] }[action];
  if (allowed === undefined) return wanted[action === "cycle" ? 1 : 0];
  return wanted.find((t) => allowed.includes(t));
}

/**
 * The boot override: the network for the next boot only, or the disk from now on. A BMC that
 * ignores `Once` (some do, and so do the emulators) keeps booting the network until told `Hdd`.
 */
export function bootOverride(target: BootTarget): { Boot: { BootSourceOverrideTarget: string; BootSourceOverrideEnabled: string } } {
  return { Boot: target === "pxe" ? { BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Once" } : { BootSourceOverrideTarget: "Hdd", BootSourceOverrideEnabled: "Continuous" } };
}

// ---- IPMI ---------------------------------------------------------------------------------

/** ipmitool's words after the connection options, for a power action or a boot target. */
export function ipmitoolCommand(what: PowerAction | { boot: BootTarget }): string[] {
  if (typeof what === "object") return ["chassis", "bootdev", what.boot === "pxe" ? "pxe" : "disk"];
  return ["chassis", "power", what];
}

/** The power state ipmitool reports (`Chassis Power is on`). */
export function ipmiPowerState(stdout: string): "on" | "off" | undefined {
  const m = /Chassis Power is (on|off)/i.exec(stdout);
  return m ? (m[1]!.toLowerCase() as "on" | "off") : undefined;
}

/** Redfish's PowerState as on/off (PoweringOn counts as on, PoweringOff as off). */
export function redfishPowerState(state: unknown): "on" | "off" | undefined {
  if (state === "On" || state === "PoweringOn") return "on";
  if (state === "Off" || state === "PoweringOff") return "off";
  return undefined;
}
