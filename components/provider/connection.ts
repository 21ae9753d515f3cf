// Where a child's files live and how to reach it, as the dynamic providers receive it.
// Plain data: it is part of each resource's inputs and outputs (the private key as a secret).
import { LocalTransport } from "../transports/local";
import { SshTransport } from "../transports/ssh";
import type { Transport } from "../transports/transport";

export interface ConnectionProps {
  server: string;
  kind: "local" | "ssh";
  root: string;
  host?: string;
  port?: number;
  user?: string;
  privateKey?: string;
  /** Passphrase of an encrypted private key (a secret like the key). */
  passphrase?: string;
  hostKey?: string;
}

/** The part of a connection that identifies the target: a change here moves the file elsewhere. */
export function targetOf(c: ConnectionProps): string {
  return c.kind === "local" ? `local:${c.root}` : `ssh:${c.user}@${c.host}:${c.port}:${c.root}`;
}

// One transport per target for the life of the provider process: an SSH connection is opened
// once per server and shared by all of that server's files.
const open = new Map<string, Transport>();

export function transportFor(c: ConnectionProps): Transport {
  const key = targetOf(c);
  let transport = open.get(key);
  if (!transport) {
    transport =
      c.kind === "local"
        ? new LocalTransport(c.root, { serverName: c.server })
        : new SshTransport({
            serverName: c.server,
            host: c.host ?? "",
            port: c.port ?? 22,
            user: c.user ?? "root",
            privateKey: c.privateKey ?? "",
            passphrase: c.passphrase,
            hostKey: c.hostKey,
            root: c.root,
          });
    open.set(key, transport);
  }
  return transport;
}

/** Outputs without undefined values: the provider host cannot encode them. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
