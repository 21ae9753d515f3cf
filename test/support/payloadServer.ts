// A local HTTP server for URL payloads (no internet here): serves the given bytes by path, logs
// each request, and can hold its answers until released (to keep an update in its program).
import * as http from "node:http";

export interface PayloadServer {
  readonly url: string;
  /** Paths requested, in order. */
  readonly requests: string[];
  /** Answers held so far, and every later request, are answered. */
  release(): void;
  close(): Promise<void>;
}

export async function startPayloadServer(files: Record<string, Buffer>, opts: { held?: boolean } = {}): Promise<PayloadServer> {
  const requests: string[] = [];
  let open!: () => void;
  const released = opts.held ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    void released.then(() => {
      const body = files[req.url ?? ""];
      if (!body) {
        res.writeHead(404).end("not found\n");
        return;
      }
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    release: () => open?.(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
