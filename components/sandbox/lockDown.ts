/**
 * What the renderer gives up once it has loaded the pure core, beyond what Node's permission
 * model already denies it (files, processes, workers, addons): loading any further module, the
 * network globals, and the process methods that reach other processes or change its identity.
 */
export function lockDown(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require("node:module") as { _load: (...args: unknown[]) => unknown };
  Module._load = () => {
    throw new Error("the renderer loads no modules");
  };
  for (const name of ["fetch", "WebSocket", "EventSource", "Request", "Response", "Headers", "FormData", "WebAssembly"]) {
    Reflect.deleteProperty(globalThis, name);
  }
  const proc = process as unknown as Record<string, unknown>;
  for (const name of ["kill", "dlopen", "binding", "_linkedBinding", "mainModule", "chdir", "setuid", "setgid", "setgroups", "seteuid", "setegid"]) {
    Reflect.deleteProperty(proc, name);
  }
}
