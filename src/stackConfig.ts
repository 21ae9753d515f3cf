/**
 * A stack's provisioning settings: `provisioning:catalog` (a path relative to the project, or a
 * list of paths: one catalog, names unique across it; it lies in the project, confineCatalog),
 * `provisioning:servers`, `provisioning:payloadRoots`, and for URL payloads
 * `provisioning:payloadUrlAllow` and `provisioning:payloadMaxBytes` (src/payloadUrls.ts). The stack program takes them from
 * `pulumi.Config` (so every way Pulumi sets config works); the CLI reads the stack file. Either
 * way they are checked here, and when they come from a stack file every issue names its line.
 * `provisioning:catalogSecrets` lists the secrets the catalog may name (its namespace: no server
 * credential is one). `provisioning:bmcs` declares hosts' BMCs (src/bmc.ts); a BMC password is a
 * credential, never a catalog secret. Secret values (`secure:` entries) are not read here: the
 * Pulumi program (or `provision power`, through the Pulumi CLI) gets them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import picomatch from "picomatch";
import { type Document, type LineCounter, parseDocument } from "yaml";
import { BMCS_KEY, type Bmc, BmcsSchema, bmcHostNameProblems } from "./bmc";
import { isRefusal, leadsOutside, leavesWhereNamed, readCatalogFile } from "./catalog/catalogFile";
import { type Catalog, MAX_CATALOG_FILE_BYTES } from "./catalog/load";
import { serverAddressProblems } from "./catalog/dhcpSegment";
import { type CatalogIssue, CatalogError, formatPath } from "./catalog/errors";
import { CatalogSecretsSchema, PayloadRootsSchema, type Server, ServersSchema } from "./catalog/schema";
import { namespaceIssues, undeclaredSecrets } from "./catalog/secretNamespace";
import { lineAt } from "./catalog/yamlPositions";
import { parseYaml } from "./catalog/yamlText";
import { zodToIssues } from "./catalog/zodIssues";
import { DEFAULT_PAYLOAD_MAX_BYTES, PayloadMaxBytesSchema, PayloadUrlAllowSchema } from "./payloadUrls";
import { canonicalJson } from "./util/canonical";

export const CATALOG_KEY = "provisioning:catalog";
export const SERVERS_KEY = "provisioning:servers";
export const PAYLOAD_ROOTS_KEY = "provisioning:payloadRoots";
export const PAYLOAD_URL_ALLOW_KEY = "provisioning:payloadUrlAllow";
export const PAYLOAD_MAX_BYTES_KEY = "provisioning:payloadMaxBytes";
export const CATALOG_SECRETS_KEY = "provisioning:catalogSecrets";

export interface StackConfig {
  readonly stack: string;
  /** Stack file as messages name it (or "(config)" when the values did not come from one). */
  readonly file: string;
  /** Catalog path(s) as written, and resolved against the project dir (empty when unset). */
  readonly catalogSetting: string | readonly string[] | undefined;
  readonly catalogPaths: readonly string[];
  /** Line of each catalog path (0 when not from the stack file). */
  readonly catalogLines: readonly number[];
  readonly servers: Server[];
  readonly payloadRoots: string[];
  /** Line of each payload root (0 when not from the stack file). */
  readonly payloadRootLines: readonly number[];
  /** Subnets and host:ports a URL payload may reach besides public addresses. */
  readonly payloadUrlAllow: string[];
  /** The size cap of one URL payload, in bytes. */
  readonly payloadMaxBytes: number;
  /** The names `{ secret: NAME }` in the catalog may use (each read from secret config `provisioning:NAME`). */
  readonly catalogSecrets: string[];
  /** Line of each catalog secret's first declaration, by name. */
  readonly catalogSecretLines: Readonly<Record<string, number>>;
  /** Hosts' BMCs by host name (`provisioning:bmcs`). */
  readonly bmcs: Readonly<Record<string, Bmc>>;
  /** Line of each BMC entry, by host name, for messages about it. */
  readonly bmcLines: Readonly<Record<string, number>>;
  /** Line of `transport.insecureAcceptAnyHostKey` of each server that sets it, by server name. */
  readonly insecureHostKeyLines: Readonly<Record<string, number>>;
  /** Line of each server's served patterns (`[server][pattern]`), for messages about them. */
  readonly patternLines: number[][];
}

/** The stack's settings as plain values: what `pulumi.Config` gives, or a stack file holds. */
export interface StackValues {
  readonly catalog?: unknown;
  readonly servers?: unknown;
  readonly payloadRoots?: unknown;
  readonly payloadUrlAllow?: unknown;
  readonly payloadMaxBytes?: unknown;
  readonly catalogSecrets?: unknown;
  readonly bmcs?: unknown;
}

/** Where settings were written, to point each issue at its line. */
export interface StackFile {
  readonly file: string;
  readonly text: string;
}

/** The stack file of a project: `<stackConfigDir>/Pulumi.<stack>.yaml` (Pulumi.yaml's stackConfigDir). */
export function stackFilePath(projectDir: string, stack: string): string {
  let dir = "stacks";
  for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
    const file = path.join(projectDir, name);
    if (!fs.existsSync(file)) continue;
    const project = parseDocument(readProjectFile(file, projectDir, "project file")).toJS() as { stackConfigDir?: string } | null;
    dir = project?.stackConfigDir ?? ".";
    break;
  }
  return path.join(projectDir, dir, `Pulumi.${stack}.yaml`);
}

/**
 * A file of the project (Pulumi.yaml, a stack file) as a review reads a checkout: a regular file
 * inside the project, up to the catalog files' size limit. A link to `/dev/zero`, a FIFO or a
 * file elsewhere on the machine is refused unread.
 */
export function readProjectFile(file: string, projectDir: string, what: string): string {
  const read = readCatalogFile(file, [projectDir], MAX_CATALOG_FILE_BYTES);
  if (isRefusal(read)) throw new CatalogError([{ file, line: 0, path: "", message: `cannot read ${what}: ${read.refused.replace("the catalog folder", "the project folder")}`, severity: "error" }]);
  return read.bytes.toString("utf8");
}

/** Reads and checks a stack file (the CLI's way). */
export function readStackConfig(projectDir: string, stack: string): StackConfig {
  const file = stackFilePath(projectDir, stack);
  const text = readProjectFile(file, projectDir, "stack config");
  const config = parseStackConfig(text, file, projectDir, stack);
  confineCatalog(config, projectDir);
  return config;
}

export function parseStackConfig(text: string, file: string, projectDir: string, stack: string): StackConfig {
  const parsed = parseStackFile({ file, text });
  // The values are the file's own: every line found is theirs.
  return checkValues(valuesOf(parsed.value), projectDir, stack, { file, doc: parsed.doc, lc: parsed.lc, keys: new Set(Object.values(STACK_KEYS)) });
}

function parseStackFile(f: StackFile): { doc: Document; lc: LineCounter; value: unknown } {
  const parsed = parseYaml(f.file, f.text, { uniqueKeys: false });
  if (!parsed.ok) throw new CatalogError(parsed.issues);
  return parsed;
}

/** Each setting's key in the stack file. */
const STACK_KEYS = {
  catalog: CATALOG_KEY,
  servers: SERVERS_KEY,
  payloadRoots: PAYLOAD_ROOTS_KEY,
  catalogSecrets: CATALOG_SECRETS_KEY,
  payloadUrlAllow: PAYLOAD_URL_ALLOW_KEY,
  payloadMaxBytes: PAYLOAD_MAX_BYTES_KEY,
  bmcs: BMCS_KEY,
} as const satisfies Record<keyof StackValues, string>;
const SETTINGS = Object.keys(STACK_KEYS) as (keyof StackValues)[];

function valuesOf(parsed: unknown): StackValues {
  const config = ((parsed ?? {}) as { config?: Record<string, unknown> }).config ?? {};
  return Object.fromEntries(SETTINGS.map((k) => [k, config[STACK_KEYS[k]]]));
}

/** A parsed stack file, and the keys whose values in it are those being checked (their lines are theirs). */
interface Located {
  readonly file: string;
  readonly doc: Document;
  readonly lc: LineCounter;
  readonly keys: ReadonlySet<string>;
}

/**
 * Checks the settings of a stack (the program's way: values from `pulumi.Config`). Issues point
 * at the stack file's lines when it holds these very values, else at `(config)`.
 */
export function checkStackConfig(values: StackValues, projectDir: string, stack: string, from?: StackFile): StackConfig {
  if (!from) return checkValues(values, projectDir, stack);
  const parsed = parseStackFile(from);
  const written = valuesOf(parsed.value);
  // A line only when the file says what the program got (a --config flag or an ESC environment may
  // say otherwise): compared once per key, up front.
  const keys = new Set(SETTINGS.filter((k) => canonicalJson(written[k]) === canonicalJson(values[k])).map((k) => STACK_KEYS[k]));
  return checkValues(values, projectDir, stack, { file: from.file, doc: parsed.doc, lc: parsed.lc, keys });
}

function checkValues(values: StackValues, projectDir: string, stack: string, located?: Located): StackConfig {
  const file = located ? located.file : "(config)";
  const lineOf = (p: PropertyKey[]) => (located?.keys.has(String(p[0])) ? lineAt(located.doc, located.lc, ["config", ...p]) : 0);
  const issues: CatalogIssue[] = [];
  const isPaths = (v: unknown): v is string | string[] => typeof v === "string" || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string"));
  if (values.catalog !== undefined && !isPaths(values.catalog)) issues.push({ file, line: lineOf([CATALOG_KEY]), path: CATALOG_KEY, message: "expected a path, or a list of paths (one catalog)", severity: "error" });
  const parsed = ServersSchema.safeParse(values.servers ?? []);
  let servers: Server[] = [];
  if (!parsed.success) issues.push(...zodToIssues(parsed.error, ServersSchema, file, lineOf, [SERVERS_KEY]));
  else {
    servers = parsed.data;
    issues.push(...serverConflicts(servers, file, lineOf));
    servers.forEach((srv, i) => {
      for (const p of serverAddressProblems(srv)) issues.push({ file, line: lineOf([SERVERS_KEY, i, ...p.path]), path: formatPath([SERVERS_KEY, i, ...p.path]), message: p.message, severity: "error" });
    });
  }
  const roots = PayloadRootsSchema.safeParse(values.payloadRoots ?? []);
  if (!roots.success) issues.push(...zodToIssues(roots.error, PayloadRootsSchema, file, lineOf, [PAYLOAD_ROOTS_KEY]));
  const allow = PayloadUrlAllowSchema.safeParse(values.payloadUrlAllow ?? []);
  if (!allow.success) issues.push(...zodToIssues(allow.error, PayloadUrlAllowSchema, file, lineOf, [PAYLOAD_URL_ALLOW_KEY]));
  const maxBytes = PayloadMaxBytesSchema.safeParse(values.payloadMaxBytes ?? DEFAULT_PAYLOAD_MAX_BYTES);
  if (!maxBytes.success) issues.push(...zodToIssues(maxBytes.error, PayloadMaxBytesSchema, file, lineOf, [PAYLOAD_MAX_BYTES_KEY]));
  const secrets = CatalogSecretsSchema.safeParse(values.catalogSecrets ?? []);
  if (!secrets.success) issues.push(...zodToIssues(secrets.error, CatalogSecretsSchema, file, lineOf, [CATALOG_SECRETS_KEY]));
  const bmcs = BmcsSchema.safeParse(values.bmcs ?? {});
  if (!bmcs.success) issues.push(...zodToIssues(bmcs.error, BmcsSchema, file, lineOf, [BMCS_KEY]));
  for (const p of bmcHostNameProblems(values.bmcs)) issues.push({ file, line: lineOf([BMCS_KEY, p.host]), path: formatPath([BMCS_KEY, p.host]), message: p.message, severity: "error" });
  // Every problem at once: the names that are strings are checked even when another entry is invalid.
  issues.push(...catalogSecretIssues(Array.isArray(values.catalogSecrets) ? values.catalogSecrets : [], servers, bmcs.success ? bmcs.data : {}, file, lineOf));
  if (issues.length) throw new CatalogError(issues);
  const catalogSetting = values.catalog as string | string[] | undefined;
  const payloadRoots = roots.success ? roots.data : [];
  return {
    stack,
    file,
    catalogSetting,
    catalogPaths: (catalogSetting === undefined ? [] : typeof catalogSetting === "string" ? [catalogSetting] : catalogSetting).map((p) => path.resolve(projectDir, p)),
    catalogLines: catalogSetting === undefined ? [] : typeof catalogSetting === "string" ? [lineOf([CATALOG_KEY])] : catalogSetting.map((_, i) => lineOf([CATALOG_KEY, i])),
    servers,
    payloadRoots,
    payloadRootLines: payloadRoots.map((_, i) => lineOf([PAYLOAD_ROOTS_KEY, i])),
    payloadUrlAllow: allow.success ? allow.data : [],
    payloadMaxBytes: maxBytes.success ? maxBytes.data : DEFAULT_PAYLOAD_MAX_BYTES,
    catalogSecrets: secrets.success ? [...new Set(secrets.data)] : [],
    catalogSecretLines: secrets.success ? Object.fromEntries(secrets.data.map((n, i) => [n, lineOf([CATALOG_SECRETS_KEY, i])]).reverse()) : {},
    bmcs: bmcs.success ? bmcs.data : {},
    bmcLines: Object.fromEntries(Object.keys(bmcs.success ? bmcs.data : {}).map((h) => [h, lineOf([BMCS_KEY, h])])),
    insecureHostKeyLines: Object.fromEntries(
      servers.flatMap((srv, i) => (srv.transport.kind === "ssh" && srv.transport.insecureAcceptAnyHostKey === true ? [[srv.name, lineOf([SERVERS_KEY, i, "transport", "insecureAcceptAnyHostKey"])]] : [])),
    ),
    patternLines: servers.map((srv, i) => srv.profiles.map((_, j) => lineOf([SERVERS_KEY, i, "profiles", j]))),
  };
}

/**
 * The stack's catalog stays in the project (the folder holding Pulumi.yaml): a relative path, or
 * an absolute one naming a place in the project, must lie inside it after following links, so a
 * catalog folder of the tree replaced by a link to `/` or `/etc` is not read. An absolute path
 * elsewhere names the operator's own folder, in a stack file someone reviewed; `everyPath` (a
 * review whose stack file is itself under review) holds every path to the project.
 */
export function confineCatalog(stack: StackConfig, projectDir: string, everyPath = false): void {
  const written = stack.catalogSetting === undefined ? [] : typeof stack.catalogSetting === "string" ? [stack.catalogSetting] : stack.catalogSetting;
  const project = path.resolve(projectDir);
  const issues = stack.catalogPaths.flatMap((p, i): CatalogIssue[] => {
    const outside = everyPath || !path.isAbsolute(written[i] ?? p) ? leadsOutside(p, project) : leavesWhereNamed(p, project);
    const at = typeof stack.catalogSetting === "string" ? CATALOG_KEY : `${CATALOG_KEY}[${i}]`;
    return outside ? [{ file: stack.file, line: stack.catalogLines[i] ?? 0, path: at, message: `cannot read catalog ${JSON.stringify(written[i] ?? p)}: ${outside.refused} the project folder ${project}; a catalog must lie in the project`, severity: "error" }] : [];
  });
  if (issues.length > 0) throw new CatalogError(issues);
}

/**
 * Served patterns that name no profile of the catalog: a warning (the server still converges to
 * what the other patterns select), located at the pattern in the stack file.
 */
export function unmatchedPatterns(stack: StackConfig, profileNames: readonly string[]): CatalogIssue[] {
  return stack.servers.flatMap((s, i) =>
    s.profiles.flatMap((pattern, j) => {
      const isMatch = picomatch(pattern, { dot: true });
      return profileNames.some((n) => isMatch(n))
        ? []
        : [{ file: stack.file, line: stack.patternLines[i]?.[j] ?? 0, path: `${SERVERS_KEY}[${i}].profiles[${j}]`, message: `'${pattern}' matches no profile`, severity: "warning" as const }];
    }),
  );
}

/**
 * The catalog's namespace holds no server credential, nor a name that reads as one, nor a
 * setting of the stack (`provisioning:servers` is config too, but not the catalog's to print).
 */
function catalogSecretIssues(names: readonly unknown[], servers: readonly Server[], bmcs: Readonly<Record<string, Bmc>>, file: string, lineOf: (p: PropertyKey[]) => number): CatalogIssue[] {
  const declared = names.flatMap((name, i) =>
    typeof name === "string" ? [{ name, file, line: lineOf([CATALOG_SECRETS_KEY, i]), path: `${CATALOG_SECRETS_KEY}[${i}]` }] : [],
  );
  const settings = new Set(STACK_SETTINGS.map((k) => k.toLowerCase()));
  return [
    ...declared
      .filter((d) => settings.has(d.name.toLowerCase()))
      .map((d) => ({ ...d, message: `"${d.name}" is a setting of the stack (provisioning:${d.name}), not a secret`, severity: "error" as const })),
    ...namespaceIssues(declared, servers, bmcs, SERVERS_KEY),
  ];
}

/** Config keys of the stack that are not secrets (names under `provisioning:`). */
const STACK_SETTINGS = [...Object.values(STACK_KEYS).map((k) => k.slice("provisioning:".length)), "devPassphrase"];

/** Rules across entries: unique names, no two daemons on one port of one machine, no shared local root. */
export function serverConflicts(servers: readonly Server[], file: string, lineOf: (p: PropertyKey[]) => number): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const seen = new Map<string, number>();
  const at = (i: number, key: string) => ({ line: lineOf([SERVERS_KEY, i, key]), path: `${SERVERS_KEY}[${i}].${key}` });
  servers.forEach((s, i) => {
    // Local servers share the central machine; SSH servers are distinct per host.
    const machine = s.transport.kind === "local" ? "local" : `ssh:${s.transport.host}`;
    const where = machine === "local" ? "the local machine" : machine.slice(4);
    const checks: [string, string, string][] = [
      ["name", `name:${s.name}`, `duplicate server name "${s.name}"`],
      ["tftpPort", `tftp:${machine}:${s.tftpPort}`, `tftpPort ${s.tftpPort} already used on ${where}`],
      ["httpPort", `http:${machine}:${s.httpPort}`, `httpPort ${s.httpPort} already used on ${where}`],
      ["transport", `root:${machine}:${path.posix.normalize(s.transport.root)}`, `transport root ${s.transport.root} already used on ${where}`],
    ];
    for (const [key, k, msg] of checks) {
      const first = seen.get(k);
      const firstLine = first !== undefined ? lineOf([SERVERS_KEY, first, key]) : 0;
      if (first !== undefined) issues.push({ file, ...at(i, key), message: `${msg} (first: ${servers[first]!.name}${firstLine ? ` at line ${firstLine}` : ""})`, severity: "error" });
      else seen.set(k, i);
    }
  });
  return issues;
}

/**
 * The catalog as the stack will take it: it names only the secrets the stack declares for it
 * (`provisioning:catalogSecrets`), so a review without the engine refuses what the program would.
 */
export function withStackSecrets(catalog: Catalog, stack: Pick<StackConfig, "catalogSecrets">): Catalog {
  const issues = undeclaredSecrets(catalog, stack.catalogSecrets, CATALOG_SECRETS_KEY);
  if (issues.length > 0) throw new CatalogError(issues);
  return catalog;
}
