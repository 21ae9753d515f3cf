import * as pulumi from "@pulumi/pulumi";
import { objectFingerprint, render, type ObjectKind, type ResolvedCatalog, type Server } from "../src";
import { BootLoader, ConfigFile, Distribution, DistributionProfile, Profile, Template } from "./catalogObject";
import { TYPE } from "./names";
import { ProvisioningServer, type ConnectionInputs } from "./provisioningServer";

export interface CentralServerArgs {
  /** The loaded, validated and resolved catalog. */
  readonly catalog: ResolvedCatalog;
  /** The child provisioning servers, as validated from stack config. */
  readonly servers: readonly Server[];
  /**
   * Looks up a secret by name, for `{ secret: NAME }` in catalog variables and SSH private keys
   * (the stack reads `provisioning:NAME` from its secret config). Asked only for names in use.
   * @default - no secrets: using one is an error
   */
  readonly secret?: (name: string) => pulumi.Output<string>;
}

export interface ServerSummary {
  files: number;
  manifestSha256: pulumi.Output<string>;
  tftpUrl: pulumi.Output<string>;
  httpUrl: pulumi.Output<string>;
  objects: pulumi.Output<{ kind: string; name: string; reason: string }[]>;
}

/**
 * The central provisioning server: holds the catalog (one component per object, so the stack
 * mirrors it) and places on each child exactly what the selection gives it. Servers with a
 * `wave` wait for every server of the waves before theirs, so a failing canary stops the rollout.
 */
export class CentralServer extends pulumi.ComponentResource {
  public readonly servers: Record<string, ServerSummary> = {};

  constructor(name: string, args: CentralServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.central, name, {}, opts);
    const secret = args.secret ?? noSecrets;
    this.registerCatalogObjects(args.catalog);

    const byWave = new Map<number, ProvisioningServer[]>();
    const waves = [...new Set(args.servers.map((s) => s.wave ?? 0))].sort((a, b) => a - b);
    for (const wave of waves) {
      const earlier = waves.filter((w) => w < wave).flatMap((w) => byWave.get(w) ?? []);
      const members: ProvisioningServer[] = [];
      for (const server of args.servers.filter((s) => (s.wave ?? 0) === wave)) {
        const tree = render(args.catalog, server);
        const needed = tree.secretNames;
        const secretTree = needed.length
          ? pulumi.all(Object.fromEntries(needed.map((n) => [n, secret(n)]))).apply(
              (values) => render(args.catalog, server, { secrets: values as Record<string, string> }),
            )
          : undefined;
        const child = new ProvisioningServer(
          server.name,
          { server, tree, secretTree, connection: connectionOf(server, secret), catalog: args.catalog },
          { parent: this, dependsOn: earlier },
        );
        members.push(child);
        this.servers[server.name] = {
          files: child.fileCount,
          manifestSha256: child.manifestSha256,
          tftpUrl: child.tftpUrl,
          httpUrl: child.httpUrl,
          objects: child.selectedObjects,
        };
      }
      byWave.set(wave, members);
    }
    this.registerOutputs({ servers: this.servers });
  }

  private registerCatalogObjects(catalog: ResolvedCatalog) {
    const opts = { parent: this };
    const hash = (kind: ObjectKind, name: string) => ({ definitionHash: objectFingerprint(catalog, kind, name) });
    for (const name of catalog.distributions.keys()) new Distribution(name, hash("distribution", name), opts);
    for (const name of catalog.profiles.keys()) new Profile(name, hash("profile", name), opts);
    for (const name of catalog.templates.keys()) new Template(name, hash("template", name), opts);
    for (const name of catalog.configFiles.keys()) new ConfigFile(name, hash("configFile", name), opts);
    for (const m of catalog.mappings.values()) new DistributionProfile(m.name, hash("distributionProfile", m.name), opts);
    for (const name of catalog.bootLoaders.keys()) new BootLoader(name, hash("bootLoader", name), opts);
  }
}

function noSecrets(name: string): pulumi.Output<string> {
  throw new Error(`secret "${name}" is used but no secrets were given to the CentralServer`);
}

function connectionOf(server: Server, secret: (name: string) => pulumi.Output<string>): ConnectionInputs {
  const t = server.transport;
  if (t.kind === "local") return { server: server.name, kind: "local", root: t.root };
  return {
    server: server.name,
    kind: "ssh",
    root: t.root,
    host: t.host,
    port: t.port,
    user: t.user,
    hostKey: t.hostKey,
    privateKey: secret(t.privateKey.secret),
    ...(t.passphrase ? { passphrase: secret(t.passphrase.secret) } : {}),
  };
}
