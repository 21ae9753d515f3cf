// Bench-only variant: one dynamic resource per server holding its whole tree (path → sha256,
// mode, bytes), with a per-file detailed diff. Measured against the product's one-resource-per-file
// shape; not used by the product.
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../../components/provider/dynamicProvider";

const provider = dynamicProvider("bench/engine/treeProvider.ts");

export class ServerTree extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, props, { ...opts, additionalSecretOutputs: ["privateKey"] });
  }
}
