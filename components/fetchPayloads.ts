// Downloads URL payloads into the content store, each checked against its sha256: run as a
// process of its own (storeUrlsSync) so that a program can wait for it before it declares any
// resource. Reads `[{url, sha256}]` as JSON on stdin, writes `[error | null]` for each.
import { ContentStore } from "./store";

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const items = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { url: string; sha256: string }[];
  const store = new ContentStore();
  const results = await Promise.all(items.map((i) => store.putUrl(i.url, i.sha256).then(() => null, (e: Error) => e.message)));
  process.stdout.write(JSON.stringify(results));
}

void main();
