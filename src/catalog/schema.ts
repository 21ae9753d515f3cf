/**
 * Zod schemas for the catalog and for server entries of a stack: the only source of types.
 * `z.input` is what a YAML author writes, `z.infer` what the code sees after defaults.
 */
import * as path from "node:path";
import { z } from "zod";
import { GRUB_MENU, IPXE_MENU, PXELINUX_MENU } from "../render/builtinTemplates";
import { dhcpSettingsProblems } from "./dhcpSegment";

/** Safe object names: they become file names and menu labels on children, so no `/`, `..`, spaces or shell metacharacters. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const NameSchema = z.string().check((ctx) => {
  const v = ctx.value;
  if (!NAME_PATTERN.test(v) || v.includes("..")) {
    ctx.issues.push({
      code: "custom",
      input: v,
      message: `invalid name ${JSON.stringify(v)}: expected 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'`,
    });
  }
});

/** Profile patterns served by a server: a name, or a glob over names (`web*`, `db-?`, `{a,b}`). */
export const ProfilePatternSchema = z
  .string()
  .regex(/^[A-Za-z0-9._*?{},\[\]!-]{1,128}$/, { error: (i) => `invalid profile pattern ${JSON.stringify(i.input)}` });

const noControl = (what: string) =>
  z.string().min(1).refine((s) => !/[\0\n\r]/.test(s), { error: `${what} must not contain NUL or newline` });

export const Sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: (i) => `invalid sha256 ${JSON.stringify(i.input)}: expected 64 lowercase hex digits` });

/**
 * Characters allowed in paths the catalog names. Destinations are rendered into installer
 * scripts (kickstart %post, preseed late_command) as shell words, so no quoting, `$`, `;`,
 * spaces or globs; file paths on the central machine follow the same rule.
 */
const PATH_CHARS = /^[A-Za-z0-9._+@~=,\/-]+$/;

/** An absolute, normalized POSIX path on the installed machine. */
export const DestinationSchema = noControl("destination").check((ctx) => {
  const v = ctx.value;
  if (!v.startsWith("/") || v.split("/").includes("..") || path.posix.normalize(v) !== v || (v.length > 1 && v.endsWith("/"))) {
    ctx.issues.push({
      code: "custom",
      input: v,
      message: `invalid destination ${JSON.stringify(v)}: expected an absolute normalized path without '..'`,
    });
  } else if (!PATH_CHARS.test(v)) {
    ctx.issues.push({
      code: "custom",
      input: v,
      message: `invalid destination ${JSON.stringify(v)}: only letters, digits and . _ + @ ~ = , - / are allowed (it is written into installer scripts)`,
    });
  }
});

/** A file beside the catalog: relative to the declaring YAML file, normalized, never above its folder. */
export const CatalogPathSchema = (what: string) =>
  noControl(what).check((ctx) => {
    const v = ctx.value;
    if (v.startsWith("/") || v.split("/").includes("..") || path.posix.normalize(v) !== v || !PATH_CHARS.test(v)) {
      ctx.issues.push({
        code: "custom",
        input: v,
        message: `invalid ${what} ${JSON.stringify(v)}: expected a normalized path relative to the catalog file, without '..' (letters, digits and . _ + @ ~ = , - /)`,
      });
    }
  });

export const ModeSchema = z
  .string()
  .regex(/^0[0-7]{3}$/, { error: (i) => `invalid mode ${JSON.stringify(i.input)}: expected an octal string like "0644"` });

/** A kernel option value: `true` renders as a bare flag, `null` removes an inherited option. */
export const KernelOptionValueSchema = z.union([noControl("kernel option value").or(z.literal("")), z.number(), z.literal(true), z.null()]);
export const KernelOptionsSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:\/-]*$/, { error: (i) => `invalid kernel option name ${JSON.stringify(i.input)}` }),
  KernelOptionValueSchema,
);

/**
 * A secret's name: it names a Pulumi config key (`provisioning:NAME`), so ASCII only and no
 * `:` or `.` (a namespace or a `--path` step), nothing another spelling could stand for.
 */
export const SECRET_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/** A name as messages show it: quoted, and every character outside printable ASCII escaped, so a lookalike shows as one. */
export const shownSecretName = (name: string) => JSON.stringify(name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * Install tokens are keyed over `host-token\0<token name>` and secret versions over
 * `<secret name>\0<value>`, with the same stack key: no secret may be named `host-token`, so no
 * secret's version is ever a token.
 */
export const RESERVED_SECRET_NAME = "host-token";

export const SecretNameSchema = z.string().check((ctx) => {
  if (!SECRET_NAME_PATTERN.test(ctx.value)) {
    ctx.issues.push({
      code: "custom",
      input: ctx.value,
      message: `invalid secret name ${shownSecretName(ctx.value)}: expected 1-63 ASCII letters, digits, '_' or '-', starting with a letter`,
    });
  } else if (ctx.value === RESERVED_SECRET_NAME) {
    ctx.issues.push({ code: "custom", input: ctx.value, message: `the secret name ${shownSecretName(ctx.value)} is reserved: install tokens are derived under it` });
  }
});

/** `{secret: NAME}`: the value comes from the stack's secret config `provisioning:NAME`. */
export const SecretRefSchema = z.strictObject({ secret: SecretNameSchema });

/**
 * The name a value refers to when it is a secret reference: an object whose only key is
 * `secret`, holding a string. Rendering prints such a value as a token, so the schema and the
 * namespace check read it by this one rule.
 */
export function secretRefName(v: unknown): string | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  const name = (v as { secret?: unknown }).secret;
  return keys.length === 1 && keys[0] === "secret" && typeof name === "string" ? name : undefined;
}

/**
 * Variables: plain values, or a secret reference at the top level; `null` removes an inherited
 * key. A value shaped as a reference is one: its name must be valid (no fallback to a plain object).
 */
export const VariableValueSchema = z.union([SecretRefSchema, z.null(), z.json()]).check((ctx) => {
  const name = secretRefName(ctx.value);
  if (name !== undefined) {
    const parsed = SecretNameSchema.safeParse(name);
    if (!parsed.success) ctx.issues.push({ code: "custom", input: name, path: ["secret"], message: parsed.error.issues[0]!.message });
  }
});
/** Control characters U+0000 and U+0001 mark secret tokens in rendered text (render/secretTokens.ts): no value may hold them. */
const holdsTokenCharacters = (v: unknown): boolean =>
  typeof v === "string" ? /[\u0000\u0001]/.test(v) : Array.isArray(v) ? v.some(holdsTokenCharacters) : v !== null && typeof v === "object" ? Object.values(v).some(holdsTokenCharacters) : false;
export const VariablesSchema = z
  .record(NameSchema, VariableValueSchema)
  .refine((vars) => !holdsTokenCharacters(vars), { error: "variable values must not contain the control characters U+0000 or U+0001" });

/**
 * A payload on the central machine (`path`, relative to the YAML file declaring it, or absolute)
 * or at a URL. A local file's `sha256` may be omitted: it is then computed at validation (e.g. for
 * files a package installs, which change only with the package); when given it is checked.
 * A URL payload needs its `sha256`, since the catalog never downloads.
 */
const payloadShape = { path: noControl("path").optional(), url: z.url().optional(), sha256: Sha256Schema.optional() };
const checkPayload = (ctx: { value: { path?: string | undefined; url?: string | undefined; sha256?: string | undefined }; issues: unknown[] }) => {
  if ((ctx.value.path === undefined) === (ctx.value.url === undefined)) {
    ctx.issues.push({ code: "custom", input: ctx.value, message: "expected exactly one of path or url" });
  } else if (ctx.value.url !== undefined && ctx.value.sha256 === undefined) {
    ctx.issues.push({ code: "custom", input: ctx.value, message: "a url payload needs sha256 (the catalog never downloads it to compute one)" });
  }
};
export const PayloadSchema = z.strictObject(payloadShape).check(checkPayload);

export const BreedSchema = z.enum(["redhat", "debian", "ubuntu", "suse", "generic"]);

export const DistributionSchema = z.strictObject({
  name: NameSchema,
  arch: NameSchema,
  breed: BreedSchema,
  /** The installer's syntax version its autoinstall files are checked against, e.g. `RHEL9` (`ksvalidator -v`). */
  osVersion: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9.]{0,31}$/, "expected a kickstart syntax version such as RHEL9 or F40 (letters, digits and dots)")
    .transform((v) => v.toUpperCase())
    .optional(),
  kernel: PayloadSchema,
  initrd: PayloadSchema,
  installTree: z.url(),
  kernelOptions: KernelOptionsSchema.default({}),
});

export const ProfileSchema = z.strictObject({
  name: NameSchema,
  parent: NameSchema.optional(),
  distribution: NameSchema.optional(),
  autoinstall: NameSchema.optional(),
  kernelOptions: KernelOptionsSchema.optional(),
  variables: VariablesSchema.optional(),
  configFiles: z.array(NameSchema).optional(),
});

export const TemplateKindSchema = z.enum(["autoinstall", "pxe-menu", "grub-menu", "ipxe", "snippet", "config"]);

export const TemplateSchema = z
  .strictObject({
    name: NameSchema,
    kind: TemplateKindSchema,
    source: CatalogPathSchema("source").optional(),
    text: z.string().optional(),
  })
  .check((ctx) => {
    if ((ctx.value.source === undefined) === (ctx.value.text === undefined)) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: "expected exactly one of source or text" });
    }
  });

export const ConfigFileSchema = z.strictObject({
  name: NameSchema,
  template: NameSchema,
  destination: DestinationSchema,
  mode: ModeSchema.optional(),
});

export const DistributionProfileSchema = z.strictObject({ profile: NameSchema, distribution: NameSchema });

/** Menu templates a boot loader can serve. */
export const BootMenuSchema = z.enum([PXELINUX_MENU, GRUB_MENU, IPXE_MENU]);

/** A path under the TFTP root a boot loader file is placed at: relative, normalized, no `..`. */
export const TftpPathSchema = z.string().check((ctx) => {
  const v = ctx.value;
  const segments = v.split("/");
  if (v.startsWith("/") || v.endsWith("/") || segments.some((x) => x === "" || x === "." || x === ".." || !NAME_PATTERN.test(x))) {
    ctx.issues.push({ code: "custom", input: v, message: `invalid TFTP path ${JSON.stringify(v)}: expected a relative path of names (letters, digits, '.', '_', '-') without '..'` });
  }
});

/** A boot loader file: a payload, placed at `as` under the TFTP root (default: its own file name there). */
export const BootLoaderFileSchema = z.strictObject({ ...payloadShape, as: TftpPathSchema.optional() }).check(checkPayload);

/**
 * Boot loader: the files a PXE client loads before the menu (`pxelinux.0`, `ldlinux.c32`, the
 * modules the menu uses; for UEFI Secure Boot, shim as the boot file and GRUB beside it as
 * `grubx64.efi`). Every server shipping `menu` holds them. `bootFile` is what DHCP names to a
 * client of this loader's firmware (default: the first file).
 */
export const BootLoaderSchema = z.strictObject({
  name: NameSchema,
  /** The menu template these files load and display. */
  menu: BootMenuSchema,
  files: z.array(BootLoaderFileSchema).min(1),
  /** The file (its path under the TFTP root) DHCP hands to clients. @default the first file */
  bootFile: TftpPathSchema.optional(),
  /**
   * The PXE firmware a child's DHCP hands `bootFile` to: one loader per firmware. @default bios
   * for the PXELINUX menu's loader, uefi for the GRUB menu's; an iPXE menu's loader (e.g.
   * snponly.efi for UEFI) names one, or is reached by iPXE clients through boot.ipxe only.
   */
  firmware: z.enum(["bios", "uefi"]).optional(),
});

/**
 * A MAC address in any common spelling (`AA:BB:…`, `aa-bb-…`, `aabb.ccdd.eeff`, `aabbccddeeff`),
 * read as the canonical lower-case, colon-separated form.
 */
export const MacSchema = z.string().transform((v, ctx) => {
  const hex = /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$/.test(v)
    ? v.replace(/[:-]/g, "")
    : /^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(v)
      ? v.replace(/\./g, "")
      : /^[0-9A-Fa-f]{12}$/.test(v)
        ? v
        : undefined;
  if (hex === undefined) {
    ctx.issues.push({ code: "custom", input: v, message: `invalid MAC address ${JSON.stringify(v)}: expected six hex pairs, e.g. 52:54:00:12:34:56` });
    return z.NEVER;
  }
  const mac = hex.toLowerCase().match(/../g)!.join(":");
  // A network card's own address is unicast and not zero; the others would match no client, or every one.
  const notACard = /^0+$/.test(hex) ? "all zero" : /^f{12}$/i.test(hex) ? "the broadcast address" : parseInt(hex.slice(0, 2), 16) & 1 ? "a multicast address (first octet odd)" : undefined;
  if (notACard !== undefined) {
    ctx.issues.push({ code: "custom", input: v, message: `MAC address ${mac} is ${notACard}: expected a network card's own (unicast) address` });
    return z.NEVER;
  }
  return mac;
});

export const Ipv4Schema = z.ipv4({ error: (i) => `invalid IPv4 address ${JSON.stringify(i.input)}` });

/**
 * A host's name reaches dnsmasq's `dhcp/hosts` (`mac,ip,name`) and DHCP answers: one RFC 1123
 * label (letters, digits, '-' inside; dnsmasq would cut a name at its first '.' and keep the rest
 * as a domain), and never a word dnsmasq reads as something else in that line: `ignore` (never
 * answer this MAC), `infinite`, or a lease time (`3600`, `45m`, `12h`, `7d`, `2w`).
 */
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// dnsmasq compares the two words as written; lease units it takes in either case.
const DNSMASQ_HOST_WORD = /^(?:ignore|infinite|[0-9]+[smhdwSMHDW]?)$/;

export const HostNameSchema = z.string().check((ctx) => {
  const v = ctx.value;
  const why = !HOST_LABEL.test(v)
    ? "expected one RFC 1123 label: 1-63 letters, digits or '-', starting and ending with a letter or digit"
    : DNSMASQ_HOST_WORD.test(v)
      ? "dnsmasq reads it in its hosts file as a keyword or a lease time, not as a name"
      : undefined;
  if (why) ctx.issues.push({ code: "custom", input: v, message: `invalid host name ${JSON.stringify(v)}: ${why}` });
});

/**
 * A machine that installs unattended: found by the MAC of any of its interfaces, it boots its
 * profile straight away from the children that hold it — the one it names (`server`) or every
 * child of its `site` — with its `variables` over the profile's. `netboot: false` boots it from
 * its local disk instead (the guard against reinstall loops).
 */
export const HostSchema = z
  .strictObject({
    name: HostNameSchema,
    interfaces: z.array(z.strictObject({ mac: MacSchema, ip: Ipv4Schema.optional() })).min(1),
    profile: NameSchema,
    server: NameSchema.optional(),
    site: NameSchema.optional(),
    variables: VariablesSchema.optional(),
    netboot: z.boolean().default(true),
    /** Any text (a date, a ticket): a new value re-arms the host with a new token, and its disk is erased on its next boot. */
    reinstall: z.string().min(1).max(200).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { error: "reinstall must not contain control characters" }).optional(),
  })
  .check((ctx) => {
    if ((ctx.value.server === undefined) === (ctx.value.site === undefined)) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: "expected exactly one of server (a child's name) or site (every child of that site)" });
    }
  });

/** One catalog file: any subset of the top-level collections. */
export const CatalogFileSchema = z.strictObject({
  distributions: z.array(DistributionSchema).optional(),
  profiles: z.array(ProfileSchema).optional(),
  templates: z.array(TemplateSchema).optional(),
  configFiles: z.array(ConfigFileSchema).optional(),
  distributionProfiles: z.array(DistributionProfileSchema).optional(),
  bootLoaders: z.array(BootLoaderSchema).optional(),
  hosts: z.array(HostSchema).optional(),
});

export const COLLECTIONS = ["distributions", "profiles", "templates", "configFiles", "distributionProfiles", "bootLoaders", "hosts"] as const;

/** Where a loaded object was declared: errors point there, relative paths resolve from `baseDir`. */
export const OriginSchema = z.object({
  /** File as displayed in messages. */
  file: z.string(),
  line: z.number(),
  /** Dotted path inside the file, e.g. `profiles[3]`. */
  path: z.string(),
  /** Absolute directory of the declaring file. */
  baseDir: z.string(),
  /** Lines of the object's keys (`parent`, `kernel.sha256`, …) for precise messages. */
  keyLines: z.record(z.string(), z.number()),
  /** The folder of the catalog (of a list) the object belongs to: its sources and payloads lie in it. */
  root: z.string().optional(),
});

// ---- server entries (stack config `provisioning:servers`) ----

/** A host name or IP address a child is reached at (`host`, `address`, `bindAddress`). */
export const AddressSchema = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.:-]{0,252})$/, { error: (i) => `invalid host ${JSON.stringify(i.input)}` });
export const PortSchema = z
  .number({ error: (i) => `invalid port ${JSON.stringify(i.input)}: expected an integer 1..65535` })
  .int({ error: (i) => `invalid port ${JSON.stringify(i.input)}: expected an integer 1..65535` })
  .min(1, { error: (i) => `invalid port ${JSON.stringify(i.input)}: expected an integer 1..65535` })
  .max(65535, { error: (i) => `invalid port ${JSON.stringify(i.input)}: expected an integer 1..65535` });

export const LocalTransportSchema = z.strictObject({ kind: z.literal("local"), root: noControl("root") });
/** A host key as in a known_hosts line without the host names, e.g. "ssh-ed25519 AAAA… [comment]". */
export const HostKeySchema = z
  .string()
  .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [\x21-\x7e]+)?$/, {
    error: (i) => `invalid hostKey ${JSON.stringify(i.input)}: expected "<type> <base64> [comment]"`,
  });

export const SshTransportSchema = z
  .strictObject({
    kind: z.literal("ssh"),
    host: AddressSchema,
    port: PortSchema.default(22),
    user: NameSchema,
    privateKey: SecretRefSchema,
    /** Passphrase of an encrypted private key, also from secret config. @default - the key is not encrypted */
    passphrase: SecretRefSchema.optional(),
    /** The child's host key, pinned: the connection fails before anything is sent if another key answers. */
    hostKey: HostKeySchema.optional(),
    /** A known_hosts file on the central machine; its lines for this host (and port) are the keys accepted. */
    knownHosts: noControl("knownHosts").optional(),
    /**
     * Accept any host key (a lab with throwaway children): nothing proves who answers, and every
     * preview and plan says so. @default false
     */
    insecureAcceptAnyHostKey: z.literal(true).optional(),
    root: DestinationSchema,
  })
  .check((ctx) => {
    const t = ctx.value;
    if (t.hostKey === undefined && t.knownHosts === undefined && t.insecureAcceptAnyHostKey !== true) {
      ctx.issues.push({
        code: "custom",
        input: t,
        message: `no pinned host key for ${t.host}: set hostKey ("ssh-ed25519 AAAA…", e.g. from ssh-keyscan) or knownHosts (a known_hosts file); insecureAcceptAnyHostKey: true accepts any key, for a lab`,
      });
    }
  });
export const TransportSchema = z.discriminatedUnion("kind", [LocalTransportSchema, SshTransportSchema]);

/** An interface name on the child (`eth0`, `br-pxe`, `enp1s0.20`). */
export const InterfaceSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}$/, { error: (i) => `invalid interface name ${JSON.stringify(i.input)}` });

const DNS_NEEDED =
  "server mode needs dns, the name servers clients are told (this child's dnsmasq answers no DNS): without one an unattended Debian installer stops at \"Configure the network: name server addresses\" before fetching its preseed";

/**
 * DHCP for PXE on the child (dnsmasq). `proxy`: the site's DHCP server keeps assigning addresses;
 * the child answers PXE clients only, with its TFTP address and the boot file for the client's
 * firmware. `server`: the child is the segment's DHCP server (a lab), with a reservation for
 * every host it holds that has an `ip`, each checked against the segment (dhcpSegment.ts).
 * `ipxe` (default true): iPXE clients get `boot.ipxe` instead of the firmware's boot loader.
 */
export const DhcpSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("proxy"), interface: InterfaceSchema, ipxe: z.boolean().default(true) }),
  z.strictObject({
    mode: z.literal("server"),
    interface: InterfaceSchema,
    /** The dynamic pool; reservations may lie inside or outside it, within the segment. */
    range: z.strictObject({ start: Ipv4Schema, end: Ipv4Schema }),
    /** The segment's size: the subnet of `range` with this prefix, handed to clients as their netmask. @default 24 */
    prefix: z.number().int().min(8).max(30).default(24),
    router: Ipv4Schema.optional(),
    /**
     * Name servers for clients (at least one): the child's dnsmasq answers no DNS, and a Debian
     * installer with none stops at its name-server question before fetching its preseed.
     */
    dns: z.array(Ipv4Schema).optional(),
    /** Lease time in seconds. @default 3600 */
    leaseSeconds: z.number().int().min(120).max(31_536_000).default(3600),
    ipxe: z.boolean().default(true),
  }),
]);

export const ServerSchema = z.strictObject({
  name: NameSchema,
  transport: TransportSchema,
  arch: z.array(NameSchema).min(1),
  site: NameSchema,
  labels: z.record(NameSchema, z.string()).default({}),
  profiles: z.array(ProfilePatternSchema),
  tftpPort: PortSchema,
  httpPort: PortSchema,
  /** Address PXE clients use to reach this child. @default "127.0.0.1" */
  address: AddressSchema.default("127.0.0.1"),
  /**
   * Where the child's daemons listen, when not on `address` (e.g. `0.0.0.0` behind NAT).
   * @default - the value of `address`
   */
  bindAddress: AddressSchema.optional(),
  /** Rollout order: wave n+1 waits for wave n. */
  wave: z.number().int().min(0).optional(),
  /** DHCP for PXE clients on this child's segment. @default - no DHCP daemon */
  dhcp: DhcpSchema.optional(),
  bootstrap: z
    .strictObject({
      /** Install tftpd-hpa and nginx with apt-get when missing. @default true */
      install: z.boolean().default(true),
      /**
       * Start (and supervise) this child's TFTP and HTTP daemons. `false`: only place the files;
       * daemons managed otherwise (a site's existing TFTP/HTTP service) serve the root. @default true
       */
      daemons: z.boolean().default(true),
    })
    .optional(),
}).check((ctx) => {
  // A DHCP answer names a boot file; PXE firmware fetches it over TFTP port 69, never another.
  if (ctx.value.dhcp !== undefined && ctx.value.tftpPort !== 69) {
    ctx.issues.push({ code: "custom", input: ctx.value.tftpPort, path: ["tftpPort"], message: `tftpPort ${ctx.value.tftpPort} with dhcp: PXE firmware loads its boot file over TFTP port 69 only` });
  }
  // DHCP answers carry the child's address as the boot server: an IPv4 address, not a name.
  if (ctx.value.dhcp !== undefined && !z.ipv4().safeParse(ctx.value.address).success) {
    ctx.issues.push({ code: "custom", input: ctx.value.address, path: ["address"], message: `address ${JSON.stringify(ctx.value.address)} with dhcp: expected the child's IPv4 address on the segment (DHCP names the boot server by address)` });
  }
  if (ctx.value.dhcp?.mode === "server") {
    // Required here rather than in DhcpSchema, so its absence does not hide the segment's other problems.
    if (!ctx.value.dhcp.dns?.length) ctx.issues.push({ code: "custom", input: ctx.value.dhcp.dns, path: ["dhcp", "dns"], message: DNS_NEEDED });
    for (const p of dhcpSettingsProblems(ctx.value.dhcp)) ctx.issues.push({ code: "custom", input: ctx.value.dhcp, path: [...p.path], message: p.message });
  }
});

export const ServersSchema = z.array(ServerSchema);

/** Folders besides the catalog's own from which local payloads may be shipped (stack config `provisioning:payloadRoots`). */
export const PayloadRootsSchema = z.array(
  noControl("payload root").refine((p) => path.isAbsolute(p) && path.normalize(p) === p.replace(/\/+$/, "") , { error: (i) => `invalid payload root ${JSON.stringify(i.input)}: expected an absolute, normalized folder` }),
);

/** The secrets the catalog may name (stack config `provisioning:catalogSecrets`): its whole namespace. */
export const CatalogSecretsSchema = z.array(SecretNameSchema);

export type Name = z.infer<typeof NameSchema>;
export type KernelOptions = z.infer<typeof KernelOptionsSchema>;
export type KernelOptionValue = z.infer<typeof KernelOptionValueSchema>;
export type Variables = z.infer<typeof VariablesSchema>;
export type VariableValue = z.infer<typeof VariableValueSchema>;
export type SecretRef = z.infer<typeof SecretRefSchema>;
export type Payload = z.infer<typeof PayloadSchema>;
export type Breed = z.infer<typeof BreedSchema>;
export type Distribution = z.infer<typeof DistributionSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
export type TemplateKind = z.infer<typeof TemplateKindSchema>;
export type Template = z.infer<typeof TemplateSchema>;
export type ConfigFile = z.infer<typeof ConfigFileSchema>;
export type DistributionProfile = z.infer<typeof DistributionProfileSchema>;
export type BootMenu = z.infer<typeof BootMenuSchema>;
export type BootLoader = z.infer<typeof BootLoaderSchema>;
export type Host = z.infer<typeof HostSchema>;
export type Dhcp = z.infer<typeof DhcpSchema>;
export type CatalogFile = z.infer<typeof CatalogFileSchema>;
export type CatalogFileInput = z.input<typeof CatalogFileSchema>;
export type Origin = z.infer<typeof OriginSchema>;
export type Server = z.infer<typeof ServerSchema>;
export type ServerInput = z.input<typeof ServerSchema>;
export type Transport = z.infer<typeof TransportSchema>;
