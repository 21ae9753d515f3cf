// A local HTTP server for URL payloads (no internet here): serves the given bytes by path, logs
// each request, answers some paths with a redirect, and can hold its answers until released (to
// keep an update in its program). It listens on loopback: a stack that downloads from it allows
// its address (provisioning:payloadUrlAllow: [hostPort]).
import * as http from "node:http";

export interface PayloadServer {
  readonly url: string;
  /** `127.0.0.1:port`, the entry a stack's payloadUrlAllow needs to reach it. */
  readonly hostPort: string;
  /** Paths requested, in order. */
  readonly requests: string[];
  /** Answers held so far, and every later request, are answered. */
  release(): void;
  close(): Promise<void>;
}

/** `redirects`: paths answered 302 with the given Location. */
export async function startPayloadServer(files: Record<string, Buffer>, opts: { held?: boolean; redirects?: Record<string, string> } = {}): Promise<PayloadServer> {
  const requests: string[] = [];
  let open!: () => void;
  const released = opts.held ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    void released.then(() => {
      const location = opts.redirects?.[req.url ?? ""];
      if (location !== undefined) {
        res.writeHead(302, { location }).end();
        return;
      }
      const body = files[req.url ?? ""];
      if (!body) {
        res.writeHead(404).end("not found\n");
        return;
      }
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const hostPort = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: `http://${hostPort}`,
    hostPort,
    requests,
    release: () => open?.(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
