import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "./dynamicResource";
import type { ServerProps } from "./provider/serverProvider";

export type ServerResourceInputs = { [K in keyof ServerProps]: pulumi.Input<ServerProps[K]> };

/** One child's daemons and files, as one resource (components/provider/serverProvider.ts). */
export class ServerResource extends DynamicResource {
  declare public readonly manifestSha256: pulumi.Output<string>;
  declare public readonly serving: pulumi.Output<boolean>;

  constructor(name: string, props: ServerResourceInputs, opts?: pulumi.CustomResourceOptions) {
    // The credentials and secret values stay secrets in the outputs the provider echoes.
    super("server", name, { ...props, manifestSha256: undefined, serving: undefined }, { ...opts, additionalSecretOutputs: ["credentials", "secrets", ...(opts?.additionalSecretOutputs ?? [])] });
  }
}
