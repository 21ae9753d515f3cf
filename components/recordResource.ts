import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "./dynamicResource";

/** A record that touches no child (components/provider/recordProvider.ts): the stack key, a wave barrier. */
export class RecordResource extends DynamicResource {
  /** The random key of a record made `withKey` (a secret). */
  declare public readonly key: pulumi.Output<string | undefined>;

  constructor(name: string, props: { record: pulumi.Input<unknown>; withKey?: boolean }, opts?: pulumi.CustomResourceOptions) {
    super("record", name, { ...props, key: undefined }, { ...opts, ...(props.withKey ? { additionalSecretOutputs: ["key"] } : {}) });
  }
}
