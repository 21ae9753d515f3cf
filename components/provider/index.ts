// The implementations Pulumi's Node dynamic-provider host runs for this package's resources. A
// resource's `__provider` module (dynamicResource.ts) requires this file by package name and
// asks for its kind, so the state names no path: any install of the package serves it.
import * as bootstrap from "./bootstrapProvider";
import * as placedFile from "./placedFileProvider";
import * as placedTree from "./placedTreeProvider";

const IMPLEMENTATIONS = { bootstrap, placedFile, placedTree } as const;
export type ProviderKind = keyof typeof IMPLEMENTATIONS;

interface Implementation {
  create(inputs: never): Promise<unknown>;
  diff(id: string, olds: never, news: never): Promise<unknown>;
  update(id: string, olds: never, news: never): Promise<unknown>;
  remove(id: string, props: never): Promise<unknown>;
  read(id: string, props: never): Promise<unknown>;
}

export function handler(kind: ProviderKind) {
  const impl = IMPLEMENTATIONS[kind] as unknown as Implementation;
  if (!impl) throw new Error(`unknown provider kind ${JSON.stringify(kind)}`);
  return {
    create: (inputs: never) => impl.create(inputs),
    diff: (id: string, olds: never, news: never) => impl.diff(id, olds, news),
    update: (id: string, olds: never, news: never) => impl.update(id, olds, news),
    delete: (id: string, props: never) => impl.remove(id, props),
    read: (id: string, props: never) => impl.read(id, props),
  };
}
