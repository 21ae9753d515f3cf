import type * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";

/**
 * A dynamic provider whose methods load their implementation by path when they run.
 *
 * Pulumi serializes a dynamic provider's functions into the state of every resource it manages.
 * Serializing the whole implementation (transports, ssh2) would be large and would pin old code
 * into state; this serializes one-line functions and a path instead. The path is looked up from
 * the provider host's directory upwards first (the engine starts it in the program's directory,
 * so a state shared by a team works from any checkout), then where this checkout has it.
 * `tsx/cjs` lets the host load the TypeScript sources.
 *
 * @param modulePath the implementation, relative to the repository root
 */
export function dynamicProvider(modulePath: string): pulumi.dynamic.ResourceProvider {
  const fallback = path.resolve(__dirname, "..", "..", modulePath);
  const load = () => {
    require("tsx/cjs");
    const path = require("path");
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, modulePath);
      if (require("fs").existsSync(candidate)) return require(candidate);
      if (dir === path.dirname(dir)) return require(fallback);
    }
  };
  return {
    create: (inputs: any) => load().create(inputs),
    diff: (id: string, olds: any, news: any) => load().diff(id, olds, news),
    update: (id: string, olds: any, news: any) => load().update(id, olds, news),
    delete: (id: string, props: any) => load().remove(id, props),
    read: (id: string, props: any) => load().read(id, props),
  };
}
