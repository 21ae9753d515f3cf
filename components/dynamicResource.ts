import * as pulumi from "@pulumi/pulumi";
import { PACKAGE_NAME } from "./packageRoot";
import type { ProviderKind } from "./provider";
import { hideCallSites } from "./untraced";

/** The type Pulumi's Node provider host serves; every file and bootstrap resource has it. */
export const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";
const DYNAMIC_PACKAGE = "pulumi-nodejs";

/**
 * The provider module the host runs for a resource: Pulumi keeps it in the resource's
 * `__provider` input and the host evaluates it, calling its `handler()` for the CRUD methods.
 *
 * `pulumi.dynamic.Resource` would produce this text by serializing a closure, which loads the
 * TypeScript compiler into the program on every run and stores kilobytes per resource. This text
 * is fixed and short, and requires the implementation by package name when it runs: the host
 * starts in the program's directory, so the installed package (any version, at any path) serves
 * the resource, and the state pins neither old code nor a path of one machine.
 */
export function providerModule(kind: ProviderKind): string {
  return `exports.handler = () => require(${JSON.stringify(`${PACKAGE_NAME}/provider`)}).handler(${JSON.stringify(kind)});\n`;
}

/**
 * A provider of dynamic resources with no configuration. The engine's default one for the
 * package would hold the whole stack configuration (every server's settings) in its state,
 * twice; resources given this one leave that out.
 */
export class DynamicProvider extends pulumi.ProviderResource {
  constructor(name: string, opts?: pulumi.ResourceOptions) {
    super(DYNAMIC_PACKAGE, name, {}, opts);
  }
}

/** A resource that Pulumi's Node provider host runs with the implementation of `kind`. */
export abstract class DynamicResource extends pulumi.CustomResource {
  constructor(kind: ProviderKind, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    const restore = hideCallSites();
    try {
      super(DYNAMIC_RESOURCE_TYPE, name, { ...props, __provider: providerModule(kind) }, opts);
    } finally {
      restore();
    }
  }
}
