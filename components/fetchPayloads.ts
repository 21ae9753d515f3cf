// Downloads URL payloads into the content store, each checked against its sha256: run as a
// process of its own (ContentStore.putUrlsSync) so that a program can wait for it before it
// declares any resource. Reads `{items: [{url, sha256}], policy}` as JSON on stdin, writes
// `[error | null]` for each. A few downloads at a time; whatever way it ends (an error, a signal,
// the program that started it gone) it leaves no partial file, and it first removes those of
// runs that were killed outright.
import { limiter } from "./limit";
import type { DownloadPolicy } from "./payloadDownload";
import { ContentStore } from "./store";
import { DOWNLOADS_AT_ONCE } from "../src/payloadUrls";

const store = new ContentStore();
const cancel = new AbortController();

function stop(code: number): void {
  cancel.abort();
  store.removeTemporaries();
  process.exit(code);
}
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) process.once(signal, () => stop(code));
// The program that waits for this process may be killed without a word to it.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop(1), 500).unref();

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const { items, policy } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { items: { url: string; sha256: string }[]; policy: DownloadPolicy };
  store.sweepTemporaries();
  const gate = limiter(DOWNLOADS_AT_ONCE);
  const results = await Promise.all(items.map((i) => gate(() => store.putUrl(i.url, i.sha256, policy, { signal: cancel.signal })).then(() => null, (e: Error) => e.message)));
  process.stdout.write(JSON.stringify(results));
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  stop(1);
});
