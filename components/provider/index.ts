// The implementations Pulumi's Node dynamic-provider host runs for this package's resources. A
// resource's `__provider` module (dynamicResource.ts) requires this file by package name and
// asks for its kind, so the state names no path: any install of the package serves it.
import * as record from "./recordProvider";
import * as server from "./serverProvider";

const IMPLEMENTATIONS = { server, record } as const;
export type ProviderKind = keyof typeof IMPLEMENTATIONS;

interface Implementation {
  create(inputs: never): Promise<unknown>;
  diff(id: string, olds: never, news: never): Promise<unknown>;
  update(id: string, olds: never, news: never): Promise<unknown>;
  remove(id: string, props: never): Promise<unknown>;
  read(id: string, props: never): Promise<unknown>;
}

export function handler(kind: ProviderKind) {
  const impl = IMPLEMENTATIONS[kind] as unknown as Implementation | undefined;
  if (!impl) throw new Error(`unknown provider kind ${JSON.stringify(kind)}: a state made by a newer version of pulumi-provisioning?`);
  return {
    create: (inputs: never) => impl.create(inputs),
    diff: (id: string, olds: never, news: never) => impl.diff(id, olds, news),
    update: (id: string, olds: never, news: never) => impl.update(id, olds, news),
    delete: (id: string, props: never) => impl.remove(id, props),
    read: (id: string, props: never) => impl.read(id, props),
  };
}
