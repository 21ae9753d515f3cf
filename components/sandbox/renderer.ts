// The confined renderer process (see index.ts): reads one render job as JSON on stdin, writes its
// result as JSON on stdout. It loads the pure core first, then gives up every way out it has left
// under Node's permission model: no module loading, no network globals, no signals to others.
import { runRenderJob } from "../../src/renderJob";

function lockDown(): void {
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

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on("data", (c: Buffer) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

void (async () => {
  const input = await readStdin();
  const stdout = process.stdout; // created before lock-down: it loads internals of its own
  lockDown();
  const result = runRenderJob(JSON.parse(input));
  stdout.write(JSON.stringify(result));
})().catch((e: unknown) => {
  process.stderr.write(`renderer: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
