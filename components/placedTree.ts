import * as pulumi from "@pulumi/pulumi";
import type { PlacedTreeProps } from "./provider/placedTreeProvider";
import { dynamicProvider } from "./provider/dynamicProvider";

export interface PlacedTreeArgs {
  /** Connection to the child and every file it holds; `secretFiles` (and the key) may be secrets. */
  readonly props: { [K in keyof PlacedTreeProps]: pulumi.Input<PlacedTreeProps[K]> };
}

const provider = dynamicProvider("components/provider/placedTreeProvider.ts");

/** Every file one child holds, named `<server>/files`; its diff names each changed file. */
export class PlacedTree extends pulumi.dynamic.Resource {
  constructor(name: string, args: PlacedTreeArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, args.props, { ...opts, additionalSecretOutputs: ["privateKey", "passphrase", "secretFiles"] });
  }
}
