import * as dgram from "node:dgram";
import * as net from "node:net";

/** Ports already handed out in this process, so two calls never return the same one. */
const handedOut = new Set<number>();

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    sock.once("error", () => {
      sock.close();
      resolve(false);
    });
    sock.bind({ port, address: host, exclusive: true }, () => sock.close(() => resolve(true)));
  });
}

export interface FreePortOptions {
  /** Check TCP (default true). */
  tcp?: boolean;
  /** Check UDP (default false). */
  udp?: boolean;
  host?: string; // default 127.0.0.1
}

/** A port that is currently free on 127.0.0.1 for the requested protocols (and not handed out before). */
export async function freePort(opts: FreePortOptions = {}): Promise<number> {
  const host = opts.host ?? "127.0.0.1";
  const wantTcp = opts.tcp ?? true;
  const wantUdp = opts.udp ?? false;
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below Linux's ephemeral range (32768-60999): an outgoing connection (ssh, gRPC, curl) can
    // take an ephemeral port between this check and the daemon's bind, as a flaky CI run showed.
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port)) continue;
    if (wantTcp && !(await tcpFree(port, host))) continue;
    if (wantUdp && !(await udpFree(port, host))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("could not find a free port on " + host);
}

export const freeTcpPort = (host?: string): Promise<number> => freePort({ tcp: true, host });
export const freeUdpPort = (host?: string): Promise<number> => freePort({ tcp: false, udp: true, host });

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForTcpPort(port: number, host = "127.0.0.1", timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
