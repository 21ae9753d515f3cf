// The implementations Pulumi's Node dynamic-provider host runs for this package's resources. A
// resource's `__provider` module (dynamicResource.ts) requires this file by package name and
// asks for its kind, so the state names no path: any install of the package serves it.
import { visibleText } from "../../src/util/visibleText";
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

/**
 * A failure's message quotes what a child said (a script's output, its manifest, an SSH
 * error): the engine prints it to a terminal, so its controls are written out visibly.
 */
async function shown<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof Error) {
      e.message = visibleText(e.message, "\n\t");
      if (e.stack !== undefined) e.stack = visibleText(e.stack, "\n\t");
    }
    throw e;
  }
}

export function handler(kind: ProviderKind) {
  const impl = IMPLEMENTATIONS[kind] as unknown as Implementation | undefined;
  if (!impl) throw new Error(`unknown provider kind ${visibleText(JSON.stringify(kind))}: a state made by a newer version of pulumi-provisioning?`);
  return {
    create: (inputs: never) => shown(() => impl.create(inputs)),
    diff: (id: string, olds: never, news: never) => shown(() => impl.diff(id, olds, news)),
    update: (id: string, olds: never, news: never) => shown(() => impl.update(id, olds, news)),
    delete: (id: string, props: never) => shown(() => impl.remove(id, props)),
    read: (id: string, props: never) => shown(() => impl.read(id, props)),
  };
}
