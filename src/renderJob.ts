/**
 * Everything that runs catalog templates, as one job in and one result out: plain data both
 * ways, so the shell can run it in a confined process (components/sandbox) where a template that
 * got past the engine's confinement still finds no file, secret, network or process to reach.
 */
import type { Catalog } from "./catalog/load";
import { serverAddressProblems } from "./catalog/dhcpSegment";
import { type CatalogIssue, CatalogError, formatPath } from "./catalog/errors";
import { hostPlacementIssues, reservationIssues } from "./catalog/hosts";
import { type ResolvedCatalog, resolveCatalog } from "./catalog/resolve";
import { type Server, ServerSchema } from "./catalog/schema";
import { type ImpactReview, impactReview, objectFingerprint } from "./impact";
import { destinationClaimIssues, pathClaimIssues, pathClaims } from "./render/pathClaims";
import { type InstallerFile, installerFiles } from "./render/installerFiles";
import { type ServerTree, render } from "./render/render";
import { otherSecretToken, printsSecretsOpaquely } from "./render/secretTokens";
import type { ObjectKind } from "./select";

export type RenderJob =
  | { readonly kind: "validate"; readonly catalog: Catalog }
  /**
   * `stack`: every server of the stack (name and site), to check that some child holds each host.
   * `pending`: servers whose address is not known yet (a stand-in): rendered only to check their
   * paths, no tree returned. `asItWas: true` renders a base revision as it was.
   * `installerFiles`: also return the autoinstall files for their installers' validators.
   */
  | {
      readonly kind: "trees";
      readonly catalog: Catalog;
      readonly servers: readonly Server[];
      readonly stack?: readonly Pick<Server, "name" | "site">[];
      readonly pending?: readonly Server[];
      readonly asItWas?: boolean;
      readonly installerFiles?: boolean;
    }
  | { readonly kind: "impact"; readonly before: Catalog; readonly after: Catalog; readonly servers: readonly Server[]; readonly afterServers?: readonly Server[] };

export interface ValidateResult {
  readonly counts: { distributions: number; profiles: number; templates: number; builtinTemplates: number; configFiles: number; distributionProfiles: number; hosts: number; files: number };
  readonly warnings: CatalogIssue[];
  /** Every autoinstall file rendered, for the installers' validators. */
  readonly installerFiles: InstallerFile[];
}

export interface TreesResult {
  readonly trees: ServerTree[];
  /** `kind/name` → fingerprint of every catalog object (what `impact` compares). */
  readonly fingerprints: Record<string, string>;
  readonly warnings: CatalogIssue[];
  /** When the job asked for them. */
  readonly installerFiles?: InstallerFile[];
}

export type RenderJobResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: CatalogIssue[] };

/** Every object of the catalog with its fingerprint, by `kind/name`. */
export function catalogFingerprints(resolved: ResolvedCatalog): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (kind: ObjectKind, names: Iterable<string>) => {
    for (const name of names) out[`${kind}/${name}`] = objectFingerprint(resolved, kind, name);
  };
  add("distribution", resolved.distributions.keys());
  add("profile", resolved.profiles.keys());
  add("template", resolved.templates.keys());
  add("configFile", resolved.configFiles.keys());
  add("distributionProfile", [...resolved.mappings.values()].map((m) => m.name));
  add("bootLoader", resolved.bootLoaders.keys());
  add("host", resolved.hosts.keys());
  return out;
}

/**
 * Renders a server and checks that every template prints secrets only as they are: a second
 * rendering with other tokens must differ only by the tokens (secretTokens.ts).
 */
export function renderChecked(resolved: ResolvedCatalog, server: Server): ServerTree {
  const tree = render(resolved, server);
  if (tree.secretNames.length === 0) return tree;
  const other = new Map(render(resolved, server, { secretToken: otherSecretToken, selection: tree.selection }).files.map((f) => [f.path, f.content ?? ""]));
  const issues: CatalogIssue[] = [];
  for (const f of tree.files) {
    if (f.secrets.length === 0 || printsSecretsOpaquely(f.content ?? "", other.get(f.path) ?? "", f.secrets)) continue;
    const templateName = f.origin.kind === "profile" ? resolved.profiles.get(f.origin.name)?.autoinstall : f.origin.kind === "configFile" ? resolved.configFiles.get(f.origin.name)?.template : f.origin.name;
    const t = templateName !== undefined ? resolved.templates.get(templateName) : undefined;
    issues.push({
      file: t?.bodyFile ?? f.origin.name,
      line: t?.origin?.line ?? 0,
      path: `template ${templateName ?? f.origin.name}`,
      message: `transforms the secret ${f.secrets.join(", ")} (rendering ${f.path} for server ${server.name}): a template may print a secret only as it is, e.g. {{ profile.variables.${f.secrets[0]} }}, not slice, filter or compare it`,
      severity: "error",
    });
  }
  if (issues.length > 0) throw new CatalogError(issues);
  return tree;
}

/** A server that serves every profile on every arch: rendering it exercises every reachable template once. */
function everything(resolved: ResolvedCatalog): Server {
  const arches = [...new Set([...resolved.distributions.values()].map((d) => d.arch))];
  return ServerSchema.parse({ name: "validate", transport: { kind: "local", root: "/nonexistent" }, arch: arches.length ? arches : ["none"], site: "validate", profiles: ["*"], tftpPort: 69, httpPort: 80 });
}

/**
 * Where hosts meet the servers that hold them: each reservation against its server's segment. A
 * server's own address is checked here too, for a program whose address became known only now
 * (a stack file's is checked where it is read, at its line).
 */
function segmentIssues(resolved: ResolvedCatalog, servers: readonly Server[]): CatalogIssue[] {
  return servers.flatMap((s) => [
    ...serverAddressProblems(s).map((p): CatalogIssue => ({ file: "(program)", line: 0, path: `servers.${s.name}.${formatPath(p.path)}`, message: p.message, severity: "error" })),
    ...reservationIssues(resolved.hosts.values(), s),
  ]);
}

function runUnchecked(job: RenderJob): unknown {
  switch (job.kind) {
    case "validate": {
      const resolved = resolveCatalog(job.catalog);
      // Every host rendered too, as if all were held by the one server.
      const withEveryHost: ResolvedCatalog = { ...resolved, hosts: new Map([...resolved.hosts].map(([n, h]) => [n, { ...h, server: "validate", site: undefined }])) };
      const tree = renderChecked(withEveryHost, everything(resolved));
      // The one server holds every profile and host: a clash is one some child could meet.
      throwIfAny([...pathClaimIssues(withEveryHost, [tree], { where: () => "" }), ...destinationClaimIssues(resolved)]);
      const c = job.catalog;
      return {
        counts: {
          distributions: c.distributions.length,
          profiles: c.profiles.length,
          templates: c.templates.length,
          builtinTemplates: [...resolved.templates.values()].filter((t) => t.builtin).length,
          configFiles: c.configFiles.length,
          distributionProfiles: resolved.mappings.size,
          hosts: resolved.hosts.size,
          files: tree.files.length,
        },
        warnings: [...resolved.warnings],
        installerFiles: installerFiles(withEveryHost, [tree]),
      } satisfies ValidateResult;
    }
    case "trees": {
      const resolved = resolveCatalog(job.catalog);
      const asItWas = job.asItWas === true;
      const unplaced = [...(job.stack ? hostPlacementIssues(resolved.hosts.values(), job.stack) : []), ...(asItWas ? [] : segmentIssues(resolved, job.servers))];
      const trees = job.servers.map((s) => renderChecked(resolved, s));
      const clashes = asItWas ? [] : [...pathClaimIssues(resolved, [...trees, ...(job.pending ?? []).map((s) => render(resolved, s))]), ...destinationClaimIssues(resolved)];
      throwIfAny([...unplaced, ...clashes]);
      return { trees, fingerprints: catalogFingerprints(resolved), warnings: [...resolved.warnings], ...(job.installerFiles ? { installerFiles: installerFiles(resolved, trees) } : {}) } satisfies TreesResult;
    }
    case "impact": {
      const after = resolveCatalog(job.after);
      const unplaced = [...hostPlacementIssues(after.hosts.values(), job.afterServers ?? job.servers), ...segmentIssues(after, job.afterServers ?? job.servers)];
      if (unplaced.length > 0) throw new CatalogError(unplaced);
      // Only the side after the change is checked: the change must not bring a clash, whatever the base held.
      const claims = pathClaims(after);
      const review = impactReview(resolveCatalog(job.before), after, job.servers, job.afterServers, (tree) => claims.add(tree));
      throwIfAny([...claims.issues(), ...destinationClaimIssues(after)]);
      return review satisfies ImpactReview;
    }
  }
}

function throwIfAny(issues: CatalogIssue[]): void {
  if (issues.length > 0) throw new CatalogError(issues);
}

/** Runs a job; a bad catalog is a result with its issues, anything else is thrown. */
export function runRenderJob(job: RenderJob): RenderJobResult {
  try {
    return { ok: true, value: runUnchecked(job) };
  } catch (e) {
    if (e instanceof CatalogError) return { ok: false, issues: e.issues };
    throw e;
  }
}
