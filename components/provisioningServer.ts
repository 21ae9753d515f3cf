import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { PlacedFile as RenderedFile, ResolvedCatalog, Server, ServerTree } from "../src";
import { layout, objectFingerprint } from "../src";
import { Bootstrap } from "./bootstrap";
import type { ConnectionProps } from "./provider/connection";
import type { FileEntry } from "./provider/fileEntry";
import { PlacedFile } from "./placedFile";
import { PlacedTree } from "./placedTree";
import { TYPE, fileResourceName, treeResourceName } from "./names";

export interface ProvisioningServerArgs {
  /** The child's entry from stack config. */
  readonly server: Server;
  /** Its rendered tree; secret files carry placeholders here, so names and counts are known. */
  readonly tree: ServerTree;
  /**
   * The same tree rendered with the real secret values, when any file uses a secret.
   * @default - the tree has no secret files
   */
  readonly secretTree?: pulumi.Output<ServerTree>;
  /** How to reach the child (the SSH private key is a secret output). */
  readonly connection: ConnectionInputs;
  /**
   * The catalog the tree was rendered from: each selected object's definition hash becomes an
   * input of this component, so the engine's diff of the server names the objects that changed.
   * @default - no object inputs
   */
  readonly catalog?: ResolvedCatalog;
}

/** `{"<kind>/<name>": sha256 of the effective definition}` for every object the server holds. */
export function selectedObjectHashes(catalog: ResolvedCatalog, tree: ServerTree): Record<string, string> {
  return Object.fromEntries(
    tree.selection.objects.map((o) => [`${o.kind}/${o.name}`, createHash("sha256").update(objectFingerprint(catalog, o.kind, o.name)).digest("hex")]),
  );
}

/**
 * One child provisioning server: its bootstrap (TFTP and HTTP serving), one resource holding the
 * files it serves, and one per secret file and for the manifest. Each file's entry carries the
 * sha256 of its rendered bytes, so the engine's diff touches exactly the servers, and names
 * exactly the files, whose rendered output changed.
 */
export class ProvisioningServer extends pulumi.ComponentResource {
  public readonly manifestSha256: pulumi.Output<string>;
  public readonly selectedObjects: pulumi.Output<{ kind: string; name: string; reason: string }[]>;
  public readonly tftpUrl: pulumi.Output<string>;
  public readonly httpUrl: pulumi.Output<string>;
  public readonly fileCount: number;

  constructor(name: string, args: ProvisioningServerArgs, opts?: pulumi.ComponentResourceOptions) {
    // The selection as inputs: `provision plan` reads its per-server object changes from this diff.
    super(TYPE.server, name, args.catalog ? { objects: selectedObjectHashes(args.catalog, args.tree) } : {}, opts);
    const { server, tree } = args;
    const bootstrap = new Bootstrap(server.name, { server, connection: args.connection }, { parent: this });

    // The files as one resource: the engine's cost is per resource (see bench/ANALYSIS.md).
    const inTree = (f: RenderedFile) => !f.secret && f.path !== layout.MANIFEST_PATH;
    const files = new PlacedTree(
      treeResourceName(server.name),
      {
        props: {
          ...args.connection,
          files: Object.fromEntries(tree.files.filter(inTree).map((f) => [f.path, entryOf(f)])),
        },
      },
      { parent: this, dependsOn: [bootstrap] },
    );

    // A secret file is a resource of its own: its hash and bytes are secrets, and a preview shows
    // a changed secret only as "[secret]", so only its own step says which secret file changed.
    // The manifest is written last, after every other file: it tells what the server holds, so
    // when a write fails (disk full, a server down) it keeps describing the files still there.
    const secretFiles = args.secretTree?.apply((t) => new Map(t.files.map((f) => [f.path, f])));
    const placeFile = (file: RenderedFile, dependsOn: pulumi.Resource[]) => {
      const real = file.secret && secretFiles
        ? secretFiles.apply((byPath) => {
            const found = byPath.get(file.path);
            if (!found) throw new Error(`${server.name}: ${file.path} vanished when rendered with secrets`);
            return found;
          })
        : undefined;
      return new PlacedFile(
        fileResourceName(server.name, file.path),
        {
          props: {
            ...args.connection,
            ...entryOf(file),
            path: file.path,
            // The rendered hash and text of a secret file are placeholders; the real ones are secrets.
            ...(real ? { sha256: pulumi.secret(real.apply((f) => f.sha256)), content: pulumi.secret(real.apply((f) => f.content ?? "")) } : {}),
          },
        },
        { parent: this, dependsOn },
      );
    };
    // After the files resource: a file that starts using a secret leaves it (and is removed there) first.
    const secrets = tree.files.filter((f) => f.secret && f.path !== layout.MANIFEST_PATH).map((f) => placeFile(f, [bootstrap, files]));
    const manifest = tree.files.find((f) => f.path === layout.MANIFEST_PATH);
    if (manifest) placeFile(manifest, [bootstrap, files, ...secrets]);
    this.fileCount = tree.files.length;
    this.manifestSha256 = pulumi.output(manifest?.sha256 ?? "");
    this.selectedObjects = pulumi.output(tree.selection.objects.map((o) => ({ kind: o.kind, name: o.name, reason: o.reason })));
    this.tftpUrl = pulumi.output(`tftp://${server.address}:${server.tftpPort}/`);
    this.httpUrl = pulumi.output(`http://${server.address}:${server.httpPort}/`);
    this.registerOutputs({
      manifestSha256: this.manifestSha256,
      selectedObjects: this.selectedObjects,
      tftpUrl: this.tftpUrl,
      httpUrl: this.httpUrl,
    });
  }
}

/** A rendered file as the file providers receive it (plain data, no undefined values). */
function entryOf(f: RenderedFile): FileEntry {
  return {
    sha256: f.sha256,
    mode: f.mode,
    originKind: f.origin.kind,
    originName: f.origin.name,
    ...(f.content !== undefined ? { content: f.content } : {}),
    ...(f.sourcePath ? { sourcePath: f.sourcePath } : {}),
  };
}

/** A connection as the stack knows it: plain values, the private key and its passphrase possibly secret Outputs. */
export type ConnectionInputs = Omit<ConnectionProps, "privateKey" | "passphrase"> & { privateKey?: pulumi.Input<string>; passphrase?: pulumi.Input<string> };
