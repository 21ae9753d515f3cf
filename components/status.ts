/**
 * Where every machine is (`provision status`): each child of a stack read in one run of its
 * status script, in parallel (a bounded number at a time), each within a time bound. A child
 * that cannot be reached, or does not answer in time, is its own line, never the failure of
 * the others.
 */
import * as path from "node:path";
import { knownList } from "../src/catalog/errors";
import { hostGeneration, holds } from "../src/catalog/hosts";
import { loadCatalogInput } from "../src/catalog/load";
import type { Server } from "../src/catalog/schema";
import { type ChildStatus, childStatus } from "../src/state/childStatus";
import { readStackConfig } from "../src/stackConfig";
import { childTransport } from "./bmc";
import { limiter } from "./limit";
import { CHILD_STATUS_SCRIPT } from "./scripts";
import type { Transport } from "./transports/transport";

export const DEFAULT_STATUS_TIMEOUT_MS = 10_000;
export const DEFAULT_STATUS_PARALLEL = 16;

/** A `--host` the catalog does not have. */
export class StatusError extends Error {
  override readonly name = "StatusError";
}

export interface WantedHost {
  readonly name: string;
  readonly netboot: boolean;
  readonly generation: string;
}

export interface StatusTarget {
  readonly server: Server;
  /** The catalog's hosts this child holds. */
  readonly hosts: readonly WantedHost[];
}

/** The children of a stack and the hosts each holds (only those named, when `hosts` is given: a name no child holds is a located error). */
export function statusTargets(projectDir: string, stack: string, only?: readonly string[]): StatusTarget[] {
  const config = readStackConfig(projectDir, stack);
  const catalogHosts = config.catalogPaths.length ? loadCatalogInput([...config.catalogPaths], { payloadRoots: config.payloadRoots, readPayloads: false, baseDir: projectDir }).hosts : [];
  const unknown = (only ?? []).filter((h) => !catalogHosts.some((c) => c.name === h));
  if (unknown.length) throw new StatusError(`--host ${unknown.join(", ")}: no such host in the catalog of stack ${stack} (${knownList(catalogHosts.map((h) => h.name))})`);
  return config.servers.map((server) => ({
    server,
    hosts: catalogHosts
      .filter((h) => holds(server, h) && (only === undefined || only.includes(h.name)))
      .map((h) => ({ name: h.name, netboot: h.netboot !== false, generation: hostGeneration(h.name, h.reinstall) })),
  }));
}

/** One child's status; never throws: a failure is the child's line. */
export async function readChildStatus(target: StatusTarget, root: string, open: () => Promise<Transport>, timeoutMs = DEFAULT_STATUS_TIMEOUT_MS): Promise<ChildStatus> {
  const server = target.server.name;
  let transport: Transport | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settled: Promise<unknown> = Promise.resolve();
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const run = (async () => {
      transport = await open();
      const r = await transport.runScript(CHILD_STATUS_SCRIPT, { ROOT: root });
      if (r.code !== 0) throw new Error(`its status script failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-2).join("; ").slice(0, 300)}`);
      return r.stdout;
    })();
    settled = run.catch(() => undefined);
    return childStatus(server, await Promise.race([run, timedOut]), target.hosts);
  } catch (e) {
    return { server, reachable: false, error: (e as Error).message.slice(0, 500) };
  } finally {
    clearTimeout(timer);
    // A child that answers late still has its connection closed once it does.
    void settled.then(() => transport?.close().catch(() => undefined));
    await transport?.close().catch(() => undefined);
  }
}

const rootOf = (server: Server, projectDir: string) => (server.transport.kind === "ssh" ? server.transport.root : path.resolve(projectDir, server.transport.root));

export interface FleetStatusOptions {
  readonly projectDir: string;
  readonly targets: readonly StatusTarget[];
  /** A secret of the stack's config: the children's SSH keys. */
  readonly secret: (name: string) => Promise<string>;
  readonly timeoutMs?: number;
  readonly parallel?: number;
}

/** Every child's status, in the stack's order. */
export async function readFleetStatus(o: FleetStatusOptions): Promise<ChildStatus[]> {
  // The children's keys are read first, each once: a child's time bound is the child's own.
  const names = new Set(o.targets.flatMap(({ server: { transport: t } }) => (t.kind === "ssh" ? [t.privateKey.secret, ...(t.passphrase ? [t.passphrase.secret] : [])] : [])));
  const read = new Map([...names].map((n) => [n, o.secret(n)] as const));
  await Promise.allSettled(read.values());
  const secret = (n: string) => read.get(n) ?? o.secret(n);
  const gate = limiter(o.parallel ?? DEFAULT_STATUS_PARALLEL);
  return Promise.all(o.targets.map((t) => gate(() => readChildStatus(t, rootOf(t.server, o.projectDir), () => childTransport(t.server, o.projectDir, secret, { connectTimeoutMs: o.timeoutMs ?? DEFAULT_STATUS_TIMEOUT_MS }), o.timeoutMs))));
}
