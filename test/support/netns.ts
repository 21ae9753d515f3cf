// A real network segment for PXE tests, built as root with Linux network namespaces: a bridge
// in the segment's namespace (where a child's daemons run, reached over SSH through a veth pair
// from the host), tap devices on the bridge for qemu guests, and optional extra namespaces
// plugged into the bridge (a site's own DHCP server). Nothing touches the host's interfaces
// beyond one veth pair with a private /30.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });

export interface Segment {
  /** The namespace holding the bridge and the child's daemons. */
  readonly netns: string;
  /** The child's address on the segment (on the bridge). */
  readonly childAddress: string;
  /** Where the host reaches the segment's namespace (its end of the veth pair): the child's SSH address. */
  readonly sshAddress: string;
  /** The bridge's name inside the namespace. */
  readonly bridge: string;
  /** `10.x.y` of the segment's /24. */
  readonly prefix: string;
  /** A tap device on the bridge for one guest. */
  addTap(): string;
  /** A namespace plugged into the bridge at `address` (its interface is named `eth0`). */
  addPeer(address: string): string;
  /** Runs a long-lived command in a namespace; killed on dispose. */
  spawnIn(netns: string, command: string, args: readonly string[], log: string): ChildProcess;
  /** Stops what runs in the peers (a site's DHCP server leaving the segment). */
  stopPeers(): void;
  dispose(): void;
}

const made = new Set<Segment>();
process.once("exit", () => {
  for (const s of made) s.dispose();
});

/** A segment `10.<n>.<m>.0/24` with the child at `.2`; `n`, `m` random to keep parallel runs apart. */
export function createSegment(): Segment {
  const id = randomBytes(3).toString("hex");
  const [a, b] = [64 + (parseInt(id.slice(0, 2), 16) % 64), parseInt(id.slice(2, 4), 16)];
  const prefix = `10.${a}.${b}`;
  const transfer = `172.${16 + (parseInt(id.slice(4, 6), 16) % 16)}.${b}`;
  const netns = `pv-${id}`;
  const bridge = "br0";
  const hostVeth = `pvh-${id}`;
  const peers: string[] = [];
  const procs: ChildProcess[] = [];
  let taps = 0;
  ip("netns", "add", netns);
  ip("-n", netns, "link", "set", "lo", "up");
  ip("-n", netns, "link", "add", bridge, "type", "bridge");
  ip("-n", netns, "addr", "add", `${prefix}.2/24`, "dev", bridge);
  ip("-n", netns, "link", "set", bridge, "up");
  ip("link", "add", hostVeth, "type", "veth", "peer", "name", `pvs-${id}`);
  ip("link", "set", `pvs-${id}`, "netns", netns);
  ip("addr", "add", `${transfer}.1/30`, "dev", hostVeth);
  ip("link", "set", hostVeth, "up");
  ip("-n", netns, "addr", "add", `${transfer}.2/30`, "dev", `pvs-${id}`);
  ip("-n", netns, "link", "set", `pvs-${id}`, "up");

  const segment: Segment = {
    netns,
    childAddress: `${prefix}.2`,
    sshAddress: `${transfer}.2`,
    bridge,
    prefix,
    addTap() {
      const tap = `tap${taps++}`;
      ip("-n", netns, "tuntap", "add", "dev", tap, "mode", "tap");
      ip("-n", netns, "link", "set", tap, "master", bridge);
      ip("-n", netns, "link", "set", tap, "up");
      return tap;
    },
    addPeer(address) {
      const peer = `${netns}-p${peers.length}`;
      ip("netns", "add", peer);
      ip("-n", peer, "link", "set", "lo", "up");
      ip("-n", netns, "link", "add", `peer${peers.length}`, "type", "veth", "peer", "name", "eth0", "netns", peer);
      ip("-n", netns, "link", "set", `peer${peers.length}`, "master", bridge);
      ip("-n", netns, "link", "set", `peer${peers.length}`, "up");
      ip("-n", peer, "addr", "add", `${address}/24`, "dev", "eth0");
      ip("-n", peer, "link", "set", "eth0", "up");
      peers.push(peer);
      return peer;
    },
    spawnIn(ns, command, args, log) {
      const out = fs.openSync(log, "a");
      const p = spawn("ip", ["netns", "exec", ns, command, ...args], { stdio: ["ignore", out, out] });
      fs.closeSync(out);
      procs.push(p);
      return p;
    },
    stopPeers() {
      for (const ns of peers) {
        for (const pid of execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGKILL");
      }
    },
    dispose() {
      made.delete(segment);
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
      // Anything still running in the namespaces (daemons the child started) goes with them.
      for (const ns of [...peers, netns]) {
        try {
          for (const pid of execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGKILL");
        } catch {
          /* gone already */
        }
        try {
          ip("netns", "del", ns);
        } catch {
          /* gone already */
        }
      }
      try {
        ip("link", "del", hostVeth);
      } catch {
        /* went with the namespace */
      }
    },
  };
  made.add(segment);
  return segment;
}

/** Lines of an nginx access log (the child's provisioning format) for one path, from `offset`. */
export function accessLines(log: string, urlPath: string, offset = 0): { client: string; status: number; bytes: number }[] {
  if (!fs.existsSync(log)) return [];
  return fs
    .readFileSync(log, "utf8")
    .slice(offset)
    .split("\n")
    .map((l) => /^(\S+) \[[^\]]*\] "GET (\S+) [^"]*" (\d{3}) (\d+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[2] === urlPath)
    .map((m) => ({ client: m[1]!, status: Number(m[3]), bytes: Number(m[4]) }));
}

export const logPath = (root: string, name: string) => path.join(root, "log", name);

export interface SealedNamespace {
  readonly netns: string;
  /** Runs a command in the namespace (its /etc/hosts the one given); killed on dispose. */
  spawnIn(command: string, args: readonly string[], opts?: SpawnOptions): ChildProcess;
  dispose(): void;
}

const sealed = new Set<SealedNamespace>();
process.once("exit", () => {
  for (const s of sealed) s.dispose();
});

/**
 * A namespace nothing can leave: its only interface is `lo`, holding `addresses` besides its own
 * (hosts of the namespace: a public-looking one, a private one, …); no route anywhere else.
 * `hosts` becomes its /etc/hosts (`ip netns exec` mounts /etc/netns/<name>/ over /etc), and
 * `nameserver` (one of its own addresses) its only name server, if given.
 */
export function createSealedNamespace(addresses: readonly string[], names: { hosts: Readonly<Record<string, string>>; nameserver?: string }): SealedNamespace {
  const netns = `pvs-${randomBytes(3).toString("hex")}`;
  const etc = path.join("/etc/netns", netns);
  const procs: ChildProcess[] = [];
  const ns: SealedNamespace = {
    netns,
    spawnIn(command, args, opts = {}) {
      const p = spawn("ip", ["netns", "exec", netns, command, ...args], opts);
      procs.push(p);
      return p;
    },
    dispose() {
      sealed.delete(ns);
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
      try {
        for (const pid of execFileSync("ip", ["netns", "pids", netns], { encoding: "utf8" }).split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGKILL");
        ip("netns", "del", netns);
      } catch {
        /* gone already */
      }
      fs.rmSync(etc, { recursive: true, force: true });
    },
  };
  sealed.add(ns);
  try {
    ip("netns", "add", netns);
    // Its hosts' addresses on lo: local to the namespace, and no interface that leads anywhere.
    for (const a of addresses) ip("-n", netns, "addr", "add", a.includes(":") ? `${a}/128` : `${a}/32`, "dev", "lo");
    ip("-n", netns, "link", "set", "lo", "up");
    fs.mkdirSync(etc, { recursive: true });
    fs.writeFileSync(path.join(etc, "hosts"), Object.entries(names.hosts).map(([name, address]) => `${address} ${name}\n`).join(""));
    fs.writeFileSync(path.join(etc, "resolv.conf"), names.nameserver ? `nameserver ${names.nameserver}\noptions attempts:1 timeout:2\n` : "");
  } catch (e) {
    ns.dispose();
    throw e;
  }
  return ns;
}
