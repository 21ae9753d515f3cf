// How the provider reaches a child, as the server resource's inputs describe it. The private key
// and its passphrase are a separate input (`credentials`), a Pulumi secret end to end.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalJson } from "../../src/util/canonical";
import { LocalTransport } from "../transports/local";
import { SshTransport } from "../transports/ssh";
import type { Transport } from "../transports/transport";

export type TransportProps =
  | { kind: "local"; root: string }
  | {
      kind: "ssh";
      host: string;
      port: number;
      user: string;
      root: string;
      /** Host keys the child must show one of (from `hostKey` or the matching `knownHosts` lines). */
      hostKeys?: string[];
      insecureAcceptAnyHostKey?: boolean;
    };

export interface Credentials {
  privateKey: string;
  passphrase?: string;
}

/** Where the files are, as written: a change here is a move (compare what the child is, see serverProvider). */
export const transportTarget = (t: TransportProps) => canonicalJson(t.kind === "local" ? { kind: t.kind, root: t.root } : { kind: t.kind, host: t.host, port: t.port, user: t.user, root: t.root });

/** Same target reached with the same trust (host keys)? */
export const sameTransport = (a: TransportProps, b: TransportProps) => canonicalJson(a) === canonicalJson(b);

/**
 * A local root as written may be relative to the project (the folder of Pulumi.yaml). The engine
 * starts the provider host in the folder of the program's main file, at or below the project.
 */
export function localRoot(root: string): string {
  if (path.isAbsolute(root)) return root;
  let dir = process.cwd();
  while (!fs.existsSync(path.join(dir, "Pulumi.yaml")) && !fs.existsSync(path.join(dir, "Pulumi.yml")) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return path.resolve(fs.existsSync(path.join(dir, "Pulumi.yaml")) || fs.existsSync(path.join(dir, "Pulumi.yml")) ? dir : process.cwd(), root);
}

// One transport per target and credentials for the life of the provider process: an SSH
// connection is opened once per server and shared by all of that server's work.
const open = new Map<string, Transport>();

export function transportFor(server: string, t: TransportProps, credentials?: Credentials): Transport {
  const key = `${server}\0${canonicalJson(t)}\0${createHash("sha256").update(canonicalJson(credentials ?? null)).digest("hex")}`;
  let transport = open.get(key);
  if (!transport) {
    transport =
      t.kind === "local"
        ? new LocalTransport(localRoot(t.root), { serverName: server })
        : new SshTransport({
            serverName: server,
            host: t.host,
            port: t.port,
            user: t.user,
            privateKey: credentials?.privateKey ?? "",
            ...(credentials?.passphrase !== undefined ? { passphrase: credentials.passphrase } : {}),
            hostKeys: t.hostKeys ?? [],
            insecureAcceptAnyHostKey: t.insecureAcceptAnyHostKey === true,
            root: t.root,
          });
    open.set(key, transport);
  }
  return transport;
}

/** Outputs without undefined values: the provider host cannot encode them. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
