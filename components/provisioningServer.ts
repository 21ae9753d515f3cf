import * as pulumi from "@pulumi/pulumi";
import { PXELINUX_HOST_DIR, macOfEntry } from "../src/render/layout";
import type { ServerTree } from "../src/render/render";
import { byDirectory } from "../src/state/fileEntries";
import { stateFiles } from "../src/state/serverState";
import { TYPE, serverResourceName } from "./names";
import type { Credentials, TransportProps } from "./provider/connection";
import type { ServeProps } from "./provider/serverProvider";
import { putObjectList } from "./objectLists";
import { ServerResource } from "./serverResource";
import { ContentStore } from "./store";
import { hideCallSites } from "./untraced";

export interface ProvisioningServerArgs {
  /** The child's rendered tree (secrets as tokens); an Output when it waits on another resource (an address). */
  readonly tree: pulumi.Input<ServerTree>;
  /** How to reach the child. */
  readonly transport: pulumi.Input<TransportProps>;
  /** SSH private key and passphrase. @default - none (a local child) */
  readonly credentials?: pulumi.Input<Credentials>;
  /** Ports and bind address of its daemons, and the bootstrap script's key. */
  readonly serve: pulumi.Input<ServeProps>;
  /** Address PXE clients reach the child at. */
  readonly address: pulumi.Input<string>;
  /** Fingerprint of every catalog object (`kind/name`): the server records the version of each it holds. */
  readonly fingerprints: Readonly<Record<string, string>>;
  /**
   * Whether the tree prints secrets: the manifest's sha256 then covers the real bytes of those
   * files and is a secret too. @default true (when not known yet)
   */
  readonly printsSecrets?: boolean;
  /** Values of the secrets the tree prints. @default - none */
  readonly secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Their versions (keyed hashes): a new value rewrites the files that print it. @default - none */
  readonly secretVersions?: pulumi.Input<Record<string, string>>;
  /** Why the secrets may not be placed: one of them is a credential of the stack (names only, no value). @default - none */
  readonly credentialConflict?: pulumi.Input<string | undefined>;
}

/**
 * One child provisioning server: one resource (`<server>`) for its daemons and every file it holds,
 * each file named in the inputs by the content key of its bytes, so the engine's diff touches
 * exactly the servers, and names exactly the files, whose rendered output changed.
 */
export class ProvisioningServer extends pulumi.ComponentResource {
  /** sha256 of the manifest.json the child holds. */
  public readonly manifestSha256: pulumi.Output<string>;
  /** Files the child holds besides its manifest. */
  public readonly fileCount: pulumi.Output<number>;
  /** The profiles it serves in its menus. */
  public readonly profiles: pulumi.Output<string[]>;
  /** The hosts it holds (machines by MAC), with their MACs. */
  public readonly hosts: pulumi.Output<{ name: string; macs: string[] }[]>;
  public readonly tftpUrl: pulumi.Output<string>;
  public readonly httpUrl: pulumi.Output<string>;
  /** The resource that places the child's daemons and files (waves depend on it). */
  public readonly resource: ServerResource;

  constructor(name: string, args: ProvisioningServerArgs, opts?: pulumi.ComponentResourceOptions) {
    const restore = hideCallSites();
    try {
      super(TYPE.server, name, {}, opts);
    } finally {
      restore();
    }
    const tree = pulumi.output(args.tree) as pulumi.Output<ServerTree>;
    const store = new ContentStore();
    const child = new ServerResource(
      serverResourceName(name),
      {
        server: name,
        transport: args.transport,
        ...(args.credentials !== undefined ? { credentials: args.credentials } : {}),
        serve: args.serve,
        files: tree.apply((t) => byDirectory(stateFiles(t))),
        // The fingerprints stay a plain object in this closure: passed through pulumi.all, the SDK
        // would wrap each of the catalog's entries in an Output, for every server (quadratic).
        objects: tree.apply((t) => putObjectList(store, t, args.fingerprints)),
        ...(args.secrets !== undefined ? { secrets: args.secrets as pulumi.Input<Record<string, string>> } : {}),
        ...(args.secretVersions !== undefined ? { secretVersions: args.secretVersions } : {}),
        ...(args.credentialConflict !== undefined ? { credentialConflict: args.credentialConflict } : {}),
      },
      // A component's dependencies do not reach its children by themselves: the rollout order does.
      { parent: this, ...(opts?.dependsOn !== undefined ? { dependsOn: opts.dependsOn } : {}), ...(args.printsSecrets === false ? {} : { additionalSecretOutputs: ["manifestSha256"] }) },
    );
    this.resource = child;
    this.manifestSha256 = child.manifestSha256;
    this.fileCount = tree.apply((t) => t.files.length);
    this.profiles = tree.apply((t) => [...t.selection.profiles]);
    this.hosts = tree.apply((t) =>
      t.selection.objects
        .filter((o) => o.kind === "host")
        .map((o) => ({ name: o.name, macs: t.files.filter((f) => f.origin.kind === "host" && f.origin.name === o.name && f.path.startsWith(PXELINUX_HOST_DIR)).map((f) => macOfEntry(f.path)) })),
    );
    const host = pulumi.output(args.address).apply((a) => (a.includes(":") ? `[${a}]` : a));
    const ports = pulumi.output(args.serve);
    this.tftpUrl = pulumi.interpolate`tftp://${host}:${ports.tftpPort}/`;
    this.httpUrl = pulumi.interpolate`http://${host}:${ports.httpPort}/`;
    // Nothing more in the state: it is rewritten after every step of an update.
    this.registerOutputs({});
  }
}
