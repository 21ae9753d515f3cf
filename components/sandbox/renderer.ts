// The confined renderer process (see index.ts): reads one render job as JSON on stdin, writes its
// result as JSON on stdout. It loads the pure core first, then gives up every way out it has left
// under Node's permission model (lockDown.ts).
import { runRenderJob } from "../../src/renderJob";
import { lockDown } from "./lockDown";

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
