import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";

/** The type Pulumi's Node provider host serves; every file and bootstrap resource has it. */
export const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";

/**
 * The provider module the host runs for a resource: Pulumi keeps it in the resource's
 * `__provider` input and the host evaluates it, calling its `handler()` for the CRUD methods.
 *
 * `pulumi.dynamic.Resource` would produce this text by serializing a closure, which loads the
 * TypeScript compiler into the program on every run (0.7 s here, before the first resource can
 * register) and stores 2 KB per resource, twice, in a state rewritten after every step. This
 * text is fixed and less than half of that. Its methods load the implementation by path when
 * they run, so the state pins no old code: from the host's directory upwards first (the engine
 * starts the host in the program's directory, so a state shared by a team works from any
 * checkout), then where this checkout has it. `tsx/cjs` lets the host load the TypeScript
 * sources.
 *
 * @param modulePath the implementation, relative to the repository root
 */
export function providerModule(modulePath: string): string {
  const fallback = path.resolve(__dirname, "..", modulePath);
  return `const modulePath = ${JSON.stringify(modulePath)};
const fallback = ${JSON.stringify(fallback)};
let loaded;
function load() {
  if (loaded) return loaded;
  require("tsx/cjs");
  const path = require("path");
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, modulePath);
    if (require("fs").existsSync(candidate)) return (loaded = require(candidate));
    if (dir === path.dirname(dir)) return (loaded = require(fallback));
  }
}
exports.handler = () => ({
  create: (inputs) => load().create(inputs),
  diff: (id, olds, news) => load().diff(id, olds, news),
  update: (id, olds, news) => load().update(id, olds, news),
  delete: (id, props) => load().remove(id, props),
  read: (id, props) => load().read(id, props),
});
`;
}

/** A resource that Pulumi's Node provider host runs with the implementation at `modulePath`. */
export abstract class DynamicResource extends pulumi.CustomResource {
  constructor(modulePath: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(DYNAMIC_RESOURCE_TYPE, name, { ...props, __provider: providerModule(modulePath) }, opts);
  }
}
