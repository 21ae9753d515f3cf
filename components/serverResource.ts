import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "./dynamicResource";
import type { ServerProps } from "./provider/serverProvider";

export type ServerResourceInputs = { [K in keyof ServerProps]: pulumi.Input<ServerProps[K]> };

/** One child's daemons and files, as one resource (components/provider/serverProvider.ts). */
export class ServerResource extends DynamicResource {
  declare public readonly manifestSha256: pulumi.Output<string>;
  declare public readonly serving: pulumi.Output<boolean>;

  constructor(name: string, props: ServerResourceInputs, opts?: pulumi.CustomResourceOptions) {
    // The credentials and secret values stay secrets in the outputs the provider echoes (named
    // only where given: the state keeps the list for every server).
    const echoed = (["credentials", "secrets"] as const).filter((k) => props[k] !== undefined);
    super("server", name, { ...props, manifestSha256: undefined, serving: undefined }, { ...opts, additionalSecretOutputs: [...echoed, ...(opts?.additionalSecretOutputs ?? [])] });
  }
}
