import * as pulumi from "@pulumi/pulumi";
import type { PlacedFileProps } from "./provider/placedFileProvider";
import { DynamicResource } from "./dynamicResource";

export interface PlacedFileArgs {
  /** Connection to the child and the file's identity and bytes; `content` may be a secret. */
  readonly props: { [K in keyof PlacedFileProps]: pulumi.Input<PlacedFileProps[K]> };
}


/** A file of a child that is a resource of its own (a secret file, the manifest), named `<server>/<path>`. */
export class PlacedFile extends DynamicResource {
  public readonly sha256!: pulumi.Output<string>;

  constructor(name: string, args: PlacedFileArgs, opts?: pulumi.CustomResourceOptions) {
    super("placedFile", name, { ...args.props, sha256: args.props.sha256 }, {
      ...opts,
      additionalSecretOutputs: ["privateKey", "passphrase"],
    });
  }
}
