import * as pulumi from "@pulumi/pulumi";
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Bmc, bmcPlacementIssues, bmcToolsByServer } from "../src/bmc";
import { CatalogError, formatIssue } from "../src/catalog/errors";
import { type CredentialValue, bmcCredentialRefs, credentialValueConflict, namespaceIssues, serverCredentialRefs, undeclaredSecrets } from "../src/catalog/secretNamespace";
import { type Catalog, type CatalogInput, loadCatalogInput } from "../src/catalog/load";
import { RESERVED_SECRET_NAME, SecretNameSchema, type Server, secretRefName, shownSecretName } from "../src/catalog/schema";
import type { ServerTree } from "../src/render/render";
import { hostGeneration } from "../src/catalog/hosts";
import { hashedTokenName, hostTokenName, hostTokenSha256Name, isHostTokenName } from "../src/render/secretTokens";
import type { TreesResult } from "../src/renderJob";
import { zodToIssues } from "../src/catalog/zodIssues";
import { DEFAULT_PAYLOAD_MAX_BYTES, PayloadMaxBytesSchema, PayloadUrlAllowSchema } from "../src/payloadUrls";
import { contentKey, sha256Hex } from "../src/state/contentKey";
import { visibleText } from "../src/util/visibleText";
import { DynamicProvider } from "./dynamicResource";
import type { DownloadPolicy } from "./payloadDownload";
import { STACK_KEY, TYPE, waveBarrierName } from "./names";
import type { Credentials, TransportProps } from "./provider/connection";
import type { ServeProps } from "./provider/serverProvider";
import { ProvisioningServer } from "./provisioningServer";
import { RecordResource } from "./recordResource";
import { RenderError, runSandboxed, runSandboxedAsync } from "./sandbox";
import { BOOTSTRAP_SCRIPT } from "./scripts";
import { type CheckedServer, type ServerArgs, checkResolved, checkServers, isInput } from "./serverArgs";
import { ContentStore } from "./store";
import { hostKeysOf } from "./transports/knownHosts";

export interface CentralServerArgs {
  /**
   * The catalog: a YAML file or folder (relative to `baseDir`), an object with the catalog's keys
   * declared in code, or a list of them (one catalog: names unique across all of it).
   */
  readonly catalog: CatalogInput;
  /** The child provisioning servers; addresses and SSH connections may be Inputs. */
  readonly servers: readonly ServerArgs[];
  /**
   * The catalog's secrets: the value of each `{ secret: NAME }` a catalog variable may name, as a
   * map (its keys are the names), or as `{ names, lookup }` (the lookup is asked only for the
   * names in use; the stack program reads `provisioning:NAME`). The names are the catalog's whole
   * namespace: a catalog naming any other secret is refused at that variable before any resource
   * exists, and a name that is, or reads as, a server's credential (see `credentials`) is refused.
   * @default {} - the catalog may name no secret
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>> | CatalogSecretLookup;
  /**
   * Values for the credentials server entries give by name (`privateKey: { secret: NAME }`,
   * `passphrase: { secret: NAME }`): a map, or a lookup asked only for the names the entries
   * use. The catalog never sees these.
   * @default - none: a credential must then be given as its value (an Input)
   */
  readonly credentials?: Readonly<Record<string, pulumi.Input<string>>> | ((name: string) => pulumi.Input<string>);
  /** Folders besides the catalog's own from which local payloads may be shipped. @default [] */
  readonly payloadRoots?: readonly string[];
  /**
   * What URL payloads may reach besides public addresses: subnets (`10.0.0.0/8`, `fd00::/8`, an
   * address) and `host:port`s (`mirror.lan:8080`, `[::1]:8080`). Loopback, link-local, private and
   * metadata addresses are refused otherwise, at every redirect.
   * @default [] - public addresses only
   */
  readonly payloadUrlAllow?: readonly string[];
  /** The size cap of one URL payload, in bytes. @default 536870912 (512 MiB) */
  readonly payloadMaxBytes?: number;
  /**
   * Where relative catalog paths and known_hosts files resolve from; a relative catalog path must
   * stay inside it after following links. @default the current directory (the project)
   */
  readonly baseDir?: string;
  /**
   * Hosts' BMCs (the stack's `provisioning:bmcs`): the child acting for each gets the program it
   * runs (curl, ipmitool) from its bootstrap. @default {}
   */
  readonly bmcs?: Readonly<Record<string, Bmc>>;
}

/** The catalog's secrets as a lookup: it serves exactly `names`. */
export interface CatalogSecretLookup {
  readonly names: readonly string[];
  readonly lookup: (name: string) => pulumi.Input<string>;
}

export interface ServerSummary {
  files: pulumi.Output<number>;
  manifestSha256: pulumi.Output<string>;
  profiles: pulumi.Output<string[]>;
  /** The hosts it holds: name and MACs. */
  hosts: pulumi.Output<{ name: string; macs: string[] }[]>;
  tftpUrl: pulumi.Output<string>;
  httpUrl: pulumi.Output<string>;
}

const BOOTSTRAP_KEY = contentKey(sha256Hex(BOOTSTRAP_SCRIPT));

/**
 * The central provisioning server: holds the catalog and places on each child exactly what the
 * selection gives it. Templates run in a confined process (components/sandbox); what they render
 * goes to the content store on this machine, and each child's resource holds only content keys.
 * Servers with a `wave` wait for every server of the waves before theirs, so a failing canary
 * stops the rollout.
 */
export class CentralServer extends pulumi.ComponentResource {
  public readonly servers: Record<string, ServerSummary> = {};
  /** The catalog as loaded and checked (plain data). */
  public readonly catalog: Catalog;

  constructor(name: string, args: CentralServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.central, name, {}, opts);
    const baseDir = path.resolve(args.baseDir ?? process.cwd());
    const store = new ContentStore();
    const { catalog, checked, rendered } = plainInput(() => {
      const catalog = loadCatalogInput(args.catalog, { baseDir, payloadRoots: args.payloadRoots ?? [] });
      checkNamespace(catalog, args);
      const checked = checkServers(args.servers);
      // Every BMC is for a host of the catalog that a child holds: before any resource, like every input.
      const bmcIssues = bmcPlacementIssues(args.bmcs ?? {}, catalog.hosts, checked.map((c) => c.server), "(program)", () => 0, "bmcs");
      if (bmcIssues.length > 0) throw new CatalogError(bmcIssues);
      const stack = checked.map((c) => ({ name: c.server.name, site: c.server.site }));
      // A server whose address is an Output renders later; its paths, which no address changes, are checked now.
      const rendered = runSandboxed<TreesResult>({
        kind: "trees",
        catalog,
        servers: checked.filter((c) => c.addressKnown).map((c) => c.server),
        pending: checked.filter((c) => !c.addressKnown).map((c) => c.server),
        stack,
      });
      putPayloads(catalog, store, downloadPolicy(args));
      return { catalog, checked, rendered };
    });
    this.catalog = catalog;
    for (const c of checked) {
      const t = c.server.transport;
      if (t.kind === "ssh" && t.insecureAcceptAnyHostKey) {
        pulumi.log.warn(`${c.server.name}: insecureAcceptAnyHostKey: the host key of ${isInput((c.args.transport as { host: unknown }).host) ? "its host" : t.host} is not checked; whoever answers there gets a root session and the files`, this);
      }
    }
    for (const w of rendered.warnings) pulumi.log.warn(visibleText(w.message), this);
    const treesNow = new Map(rendered.trees.map((t) => [t.server, t]));
    for (const t of rendered.trees) putTexts(t, store);

    const bmcTools = bmcToolsByServer(args.bmcs ?? {}, catalog.hosts, checked.map((c) => c.server));
    const secretOf = secretLookup(args.secrets);
    const credentialOf = credentialLookup(args.credentials);
    const stackCredentials = credentialValues(checked, args.bmcs ?? {}, credentialOf);
    const provider = new DynamicProvider(name);
    const stackKey = new RecordResource(STACK_KEY, { record: "keys the versions of secret values", withKey: true }, { parent: this, provider });

    const waves = [...new Set(checked.map((c) => c.server.wave ?? 0))].sort((a, b) => a - b);
    let barrier: RecordResource | undefined;
    for (const wave of waves) {
      const members: ProvisioningServer[] = [];
      for (const c of checked.filter((x) => (x.server.wave ?? 0) === wave)) {
        const tree = treeOf(c, treesNow, catalog, store);
        const secrets = pulumi.output(tree).apply((t) => (t.secretNames.length > 0 ? secretValues(t.secretNames, secretOf, stackKey.key, heldTokenNames(t, catalog)) : undefined)) as pulumi.Output<Record<string, string> | undefined>;
        const credentialConflict = credentialConflictOf(secrets, stackCredentials);
        const child = new ProvisioningServer(
          c.server.name,
          {
            tree,
            ...(treesNow.has(c.server.name) ? { printsSecrets: treesNow.get(c.server.name)!.secretNames.length > 0 } : {}),
            fingerprints: rendered.fingerprints,
            transport: transportOf(c, baseDir),
            ...(c.server.transport.kind === "ssh" ? { credentials: credentialsOf(c, credentialOf) } : {}),
            serve: serveOf(c, bmcTools.get(c.server.name) ?? []),
            address: (c.args.address ?? c.server.address) as pulumi.Input<string>,
            secrets: secrets as pulumi.Output<Record<string, string>>,
            credentialConflict,
            secretVersions: secretVersions(stackKey.key, secrets) as pulumi.Output<Record<string, string>>,
          },
          { parent: this, providers: [provider], ...(barrier ? { dependsOn: [barrier] } : {}) },
        );
        members.push(child);
        this.servers[c.server.name] = { files: child.fileCount, manifestSha256: child.manifestSha256, profiles: child.profiles, hosts: child.hosts, tftpUrl: child.tftpUrl, httpUrl: child.httpUrl };
      }
      // One barrier before each later wave: each of its servers depends on the barrier alone,
      // not on every server before it (the state records each dependency).
      if (wave !== waves[waves.length - 1]) barrier = new RecordResource(waveBarrierName(wave), { record: { wave } }, { parent: this, provider, dependsOn: members.map((m) => m.resource) });
    }
    // Nothing more in the state: it is rewritten after every step of an update.
    this.registerOutputs({});
  }
}

/**
 * Bad input stops the program before any resource exists: every problem as `file:line key.path:
 * message`, without a stack trace (a RunError); the issues stay on it for a program that catches.
 */
function plainInput<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof CatalogError) {
      throw Object.assign(new pulumi.RunError(`invalid provisioning input:\n${e.issues.filter((i) => i.severity === "error").map(formatIssue).join("\n")}`), { issues: e.issues });
    }
    if (e instanceof RenderError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

/** The server's tree: rendered already, or rendered (confined, asynchronously) once its address is known. */
function treeOf(c: CheckedServer, now: ReadonlyMap<string, ServerTree>, catalog: Catalog, store: ContentStore): pulumi.Input<ServerTree> {
  const rendered = now.get(c.server.name);
  if (rendered) return rendered;
  return pulumi.output(c.args.address as pulumi.Input<string>).apply(async (address) => {
    checkResolved(c.server.name, "address", address);
    const result = await runSandboxedAsync<TreesResult>({ kind: "trees", catalog, servers: [{ ...c.server, address } as Server] });
    putTexts(result.trees[0]!, store);
    return result.trees[0]!;
  });
}

function putTexts(tree: ServerTree, store: ContentStore): void {
  for (const f of tree.files) {
    if (f.content !== undefined) store.putText(f.content, f.sha256);
    else if (f.payload?.path !== undefined) store.putFile(f.payload.path, f.sha256);
  }
}

/**
 * Downloads every URL payload into the store, each checked against its sha256, before any
 * resource is declared: a wrong checksum or an unreachable URL is an issue at the payload's
 * place in the catalog, and nothing is written to any child.
 */
function putPayloads(catalog: Catalog, store: ContentStore, policy: DownloadPolicy): void {
  const wanted: { key: string; url: string; sha256: string; where: { file: string; line: number; path: string } }[] = [];
  const at = (origin: Catalog["distributions"][number]["origin"], key: string) => ({ file: origin.file, line: origin.keyLines[`${key}.url`] ?? origin.line, path: `${origin.path}.${key}.url` });
  for (const d of catalog.distributions) for (const k of ["kernel", "initrd"] as const) if (d[k].url) wanted.push({ key: `distribution/${d.name}#${k}`, url: d[k].url!, sha256: d[k].sha256!, where: at(d.origin, k) });
  for (const b of catalog.bootLoaders) b.files.forEach((f, i) => f.url && wanted.push({ key: `bootLoader/${b.name}#files[${i}]`, url: f.url, sha256: f.sha256!, where: at(b.origin, `files[${i}]`) }));
  if (wanted.length === 0) return;
  const results = store.putUrlsSync(wanted, policy);
  const issues = wanted.flatMap((w, i) => (results[i] ? [{ ...w.where, message: `cannot use ${w.url}: ${results[i]}`, severity: "error" as const }] : []));
  if (issues.length > 0) throw new CatalogError(issues);
}

/** The download policy the args give, checked by the stack config's own schemas; issues named `(program) payloadUrlAllow[i]`. */
function downloadPolicy(args: CentralServerArgs): DownloadPolicy {
  const allow = PayloadUrlAllowSchema.safeParse(args.payloadUrlAllow ?? []);
  const maxBytes = PayloadMaxBytesSchema.safeParse(args.payloadMaxBytes ?? DEFAULT_PAYLOAD_MAX_BYTES);
  const issues = [
    ...(allow.success ? [] : zodToIssues(allow.error, PayloadUrlAllowSchema, "(program)", () => 0, ["payloadUrlAllow"])),
    ...(maxBytes.success ? [] : zodToIssues(maxBytes.error, PayloadMaxBytesSchema, "(program)", () => 0, ["payloadMaxBytes"])),
  ];
  if (issues.length > 0) throw new CatalogError(issues);
  return { allow: allow.data!, maxBytes: maxBytes.data! };
}

/** Where the catalog's namespace is declared, for messages. */
const DECLARED_IN = "provisioning:catalogSecrets, or the CentralServer's secrets";

/**
 * The catalog names only its own secrets, and none of them is, or reads as, a server's
 * credential: both before anything is rendered.
 */
function checkNamespace(catalog: Catalog, args: CentralServerArgs): void {
  const declared = namespaceOf(args.secrets);
  const issues = [
    ...declared.flatMap((name) => {
      const bad = SecretNameSchema.safeParse(name);
      return bad.success ? [] : [{ file: "(program)", line: 0, path: `secrets.${name}`, message: bad.error.issues[0]!.message, severity: "error" as const }];
    }),
    ...namespaceIssues(
      declared.map((name) => ({ name, file: "(program)", line: 0, path: `secrets.${name}` })),
      args.servers,
      args.bmcs ?? {},
    ),
    ...undeclaredSecrets(catalog, declared, DECLARED_IN),
    // A credential by name needs a source of credentials; a map must hold it (a lookup answers when asked).
    ...args.servers.flatMap((s, i) =>
      serverCredentialRefs([s])
        .filter((c) => args.credentials === undefined || (typeof args.credentials === "object" && !Object.hasOwn(args.credentials, c.name)))
        .map((c) => ({
          file: "(program)",
          line: 0,
          path: `servers[${i}].${c.key}`,
          message: `names the credential ${shownSecretName(c.name)}, which the CentralServer's credentials do not give (a server's credentials never come from its catalog secrets)`,
          severity: "error" as const,
        })),
    ),
  ];
  if (issues.length > 0) throw new CatalogError(issues);
}

/**
 * Every credential value of the stack a child's catalog secrets are compared with: each
 * server's SSH key and passphrase (a child's catalog secret equal to another child's key would
 * still leak it), and each BMC password the credentials give (`provision power` reads them; a
 * program that never gives one has nothing to compare).
 */
function credentialValues(checked: readonly CheckedServer[], bmcs: Readonly<Record<string, Bmc>>, credentialOf: (name: string) => pulumi.Input<string>): pulumi.Output<CredentialValue[]> {
  const ssh = checked.filter((c) => c.server.transport.kind === "ssh").map((c) =>
    credentialsOf(c, credentialOf).apply((k) => [
      { what: `the SSH private key of server ${c.server.name}`, value: k.privateKey, within: true },
      ...(k.passphrase !== undefined ? [{ what: `the SSH passphrase of server ${c.server.name}`, value: k.passphrase }] : []),
    ]),
  );
  const bmc = bmcCredentialRefs(bmcs).flatMap((r) => {
    let value: pulumi.Input<string>;
    try {
      value = credentialOf(r.name);
    } catch {
      return [];
    }
    return [pulumi.output(value).apply((v) => [{ what: `the ${r.key} of ${r.of}`, value: v }])];
  });
  return pulumi.secret(pulumi.all([...ssh, ...bmc]).apply((lists) => lists.flat()));
}

/**
 * Whether one of a child's catalog secrets is a credential's value: the message (names, never a
 * value) its provider refuses the update with, before anything is placed; undefined otherwise.
 */
function credentialConflictOf(secrets: pulumi.Output<Record<string, string> | undefined>, credentials: pulumi.Output<CredentialValue[]>): pulumi.Output<string | undefined> {
  // The message names no value: plain, so a child without a conflict has no such input at all.
  return pulumi.unsecret(pulumi.all([secrets, credentials]).apply(([values, creds]) => (values ? credentialValueConflict(values, creds) : undefined)));
}

const isLookup = (s: CentralServerArgs["secrets"]): s is CatalogSecretLookup =>
  typeof s === "object" && s !== null && typeof (s as { lookup?: unknown }).lookup === "function";

/** The names the catalog may use; a bare function (no names) is refused: its namespace would be everything. */
function namespaceOf(secrets: CentralServerArgs["secrets"]): string[] {
  if (isLookup(secrets) && Array.isArray(secrets.names) && secrets.names.every((n) => typeof n === "string")) return [...secrets.names];
  if (secrets === undefined || (typeof secrets === "object" && secrets !== null && !isLookup(secrets))) return Object.keys(secrets ?? {});
  throw new CatalogError([
    {
      file: "(program)",
      line: 0,
      path: "secrets",
      message: "expected the catalog's secrets as a map by name, or { names, lookup } (the names are all the catalog may name); server credentials go in credentials",
      severity: "error",
    },
  ]);
}

function secretLookup(secrets: CentralServerArgs["secrets"]): (name: string) => pulumi.Input<string> {
  const names = new Set(namespaceOf(secrets));
  return (name) => {
    // Only the namespace's names (a map's own keys), whatever the lookup would answer for another.
    if (!names.has(name)) throw new Error(`secret "${name}" is not a catalog secret of the CentralServer`);
    if (isLookup(secrets)) return secrets.lookup(name);
    const v = (secrets as Readonly<Record<string, pulumi.Input<string>>>)[name];
    if (v === undefined) throw new Error(`secret "${name}" is used but not given to the CentralServer (secrets.${name})`);
    return v;
  };
}

function credentialLookup(credentials: CentralServerArgs["credentials"]): (name: string) => pulumi.Input<string> {
  if (typeof credentials === "function") return credentials;
  return (name) => {
    const v = credentials !== undefined && Object.hasOwn(credentials, name) ? credentials[name] : undefined;
    if (v === undefined) throw new Error(`credential "${name}" is named by a server but not given to the CentralServer (credentials.${name})`);
    return v;
  };
}

/** The install token names a server's files may hold: those of the hosts it holds, at their current generation. */
function heldTokenNames(tree: ServerTree, catalog: Catalog): ReadonlySet<string> {
  const held = new Set(tree.selection.objects.filter((o) => o.kind === "host").map((o) => o.name));
  return new Set(catalog.hosts.filter((h) => held.has(h.name)).flatMap((h) => [hostTokenName(h.name, hostGeneration(h.name, h.reinstall)), hostTokenSha256Name(h.name, hostGeneration(h.name, h.reinstall))]));
}

/** The values of the secrets a tree prints; a token is derived only for a host the server holds, at its generation. */
function secretValues(names: readonly string[], secretOf: (name: string) => pulumi.Input<string>, stackKey: pulumi.Output<string | undefined>, tokens: ReadonlySet<string>): pulumi.Output<Record<string, string>> {
  const value = (n: string): pulumi.Input<string> => {
    if (!isHostTokenName(n)) return secretOf(n);
    if (!tokens.has(n)) throw new Error(`the install token ${JSON.stringify(n)} is not one of a host this server holds at its current generation: it is not derived`);
    return stackKey.apply((k) => hostTokenValue(k, n));
  };
  return pulumi.secret(pulumi.all(Object.fromEntries(names.map((n) => [n, value(n)]))) as pulumi.Output<Record<string, string>>);
}

/**
 * A host's install token: keyed with the stack key (a random secret made once) over its name,
 * which holds the host and its generation; so it is stable across runs, unguessable without the
 * key, and new with each `reinstall`. Its sha256 (for the child's arm record) is derived alike.
 */
function hostTokenValue(key: string | undefined, name: string): string {
  if (key === undefined) throw new Error("the stack key is not known yet: a host's install token cannot be derived");
  const token = (n: string) => createHmac("sha256", key).update(`${RESERVED_SECRET_NAME}\0${n}`).digest("base64url");
  const hashed = hashedTokenName(name);
  return hashed !== undefined ? sha256Hex(token(hashed)) : token(name);
}

/**
 * A version per secret value: keyed with the stack key (a random secret made once), so it tells
 * that a value changed, and which, without telling anything about the value.
 */
function secretVersions(key: pulumi.Output<string | undefined>, secrets: pulumi.Output<Record<string, string> | undefined>): pulumi.Output<Record<string, string> | undefined> {
  return pulumi.unsecret(
    pulumi.all([key, secrets]).apply(([k, values]) =>
      values === undefined ? undefined : Object.fromEntries(Object.entries(values).map(([n, v]) => [n, createHmac("sha256", k ?? "").update(`${n}\0${v}`).digest("base64url").slice(0, 16)])),
    ),
  );
}

function serveOf(c: CheckedServer, bmcTools: string[]): pulumi.Output<ServeProps> {
  const s = c.server;
  return pulumi.output(s.bindAddress ?? ((c.args.address ?? s.address) as pulumi.Input<string>)).apply((bindAddress) => ({
    tftpPort: s.tftpPort,
    httpPort: s.httpPort,
    bindAddress,
    install: s.bootstrap?.install ?? true,
    ...(s.bootstrap?.daemons === false ? { daemons: false } : {}),
    ...(s.dhcp ? { dhcp: true } : {}),
    ...(bmcTools.length ? { bmcTools } : {}),
    script: BOOTSTRAP_KEY,
  }));
}

function transportOf(c: CheckedServer, baseDir: string): pulumi.Output<TransportProps> {
  const t = c.server.transport;
  if (t.kind === "local") return pulumi.output({ kind: "local" as const, root: t.root });
  const a = c.args.transport as Extract<ServerArgs["transport"], { kind: "ssh" }>;
  const name = c.server.name;
  return pulumi.all([a.host, a.port ?? t.port, a.user, a.hostKey]).apply(([host, port, user, hostKey]) => {
    checkResolved(name, "host", host);
    checkResolved(name, "port", port);
    checkResolved(name, "user", user);
    if (hostKey !== undefined) checkResolved(name, "hostKey", hostKey);
    const hostKeys = hostKeysOf(name, { host, port, hostKey, knownHosts: t.knownHosts }, baseDir);
    return {
      kind: "ssh" as const,
      host,
      port,
      user,
      root: t.root,
      ...(hostKeys.length ? { hostKeys } : {}),
      ...(t.insecureAcceptAnyHostKey ? { insecureAcceptAnyHostKey: true } : {}),
    };
  });
}

function credentialsOf(c: CheckedServer, credentialOf: (name: string) => pulumi.Input<string>): pulumi.Output<Credentials> {
  const a = c.args.transport as Extract<ServerArgs["transport"], { kind: "ssh" }>;
  const value = (v: SshSecret | undefined) => {
    const name = v === undefined || isInput(v) ? undefined : secretRefName(v);
    return name !== undefined ? credentialOf(name) : (v as pulumi.Input<string> | undefined);
  };
  const passphrase = value(a.passphrase);
  return pulumi.secret(
    pulumi.all([value(a.privateKey)!, passphrase]).apply(([privateKey, pass]) => ({ privateKey, ...(pass !== undefined ? { passphrase: pass } : {}) })),
  );
}

type SshSecret = Extract<ServerArgs["transport"], { kind: "ssh" }>["privateKey"];
