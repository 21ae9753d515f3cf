import * as pulumi from "@pulumi/pulumi";
import type { PlacedTreeProps } from "./provider/placedTreeProvider";
import { DynamicResource } from "./dynamicResource";

export interface PlacedTreeArgs {
  /** Connection to the child and every file it holds that is neither secret nor the manifest; the key may be a secret. */
  readonly props: { [K in keyof PlacedTreeProps]: pulumi.Input<PlacedTreeProps[K]> };
}


/** The files one child holds, as one resource named `<server>/files`; a preview's old and new `files` maps name each changed file. */
export class PlacedTree extends DynamicResource {
  constructor(name: string, args: PlacedTreeArgs, opts?: pulumi.CustomResourceOptions) {
    super("placedTree", name, args.props, { ...opts, additionalSecretOutputs: ["privateKey", "passphrase"] });
  }
}
