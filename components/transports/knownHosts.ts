/**
 * The host keys a known_hosts file (OpenSSH's format) holds for one host and port: plain and
 * hashed (`|1|salt|hash`) host names, `[host]:port` for a port other than 22, comma lists and
 * `*`/`?` patterns. Lines marked `@revoked` remove a key; `@cert-authority` lines are not keys
 * of the host and are skipped.
 */
import { createHmac } from "node:crypto";
import * as path from "node:path";
import { isRefusal, readCatalogFile } from "../../src/catalog/catalogFile";

/** A known_hosts file larger than this is refused unread (OpenSSH's own files are far smaller). */
export const MAX_KNOWN_HOSTS_BYTES = 4 * 1024 * 1024;

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");

function matches(pattern: string, names: readonly string[]): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    return names.some((n) => createHmac("sha1", Buffer.from(salt, "base64")).update(n).digest("base64") === hash);
  }
  return names.some((n) => glob(pattern).test(n));
}

/** Key lines ("type base64") the file accepts for `host` on `port`. */
export function knownHostKeys(text: string, host: string, port: number): string[] {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  const keys: string[] = [];
  const revoked = new Set<string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith("@") ? fields.shift() : undefined;
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key || marker === "@cert-authority") continue;
    const patterns = hosts.split(",");
    const negated = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
    if (negated.some((p) => matches(p, names)) || !patterns.filter((p) => !p.startsWith("!")).some((p) => matches(p, names))) continue;
    if (marker === "@revoked") revoked.add(`${type} ${key}`);
    else keys.push(`${type} ${key}`);
  }
  return [...new Set(keys)].filter((k) => !revoked.has(k));
}

/**
 * The keys a known_hosts file on this machine holds for a child; an error naming the server when
 * it cannot be read (not a regular file: a FIFO or a device is refused unread; above the size
 * limit) or holds none. The stack's operator names the file: it may lie anywhere on the machine.
 */
export function knownHostsFileKeys(server: string, file: string, host: string, port: number): string[] {
  const read = readCatalogFile(file, [path.parse(path.resolve(file)).root], MAX_KNOWN_HOSTS_BYTES);
  if (isRefusal(read)) throw new Error(`${server}: cannot read knownHosts ${file}: ${read.refused}`);
  const keys = knownHostKeys(read.bytes.toString("utf8"), host, port);
  if (keys.length === 0) throw new Error(`${server}: knownHosts ${file} holds no key for ${port === 22 ? host : `[${host}]:${port}`}`);
  return keys;
}

/** The host keys a child may answer with: its `hostKey` (type and key) and its `knownHosts` file's (relative to `baseDir`). */
export function hostKeysOf(server: string, t: { readonly host: string; readonly port: number; readonly hostKey?: string | undefined; readonly knownHosts?: string | undefined }, baseDir: string): string[] {
  return [...(t.hostKey !== undefined ? [t.hostKey.split(" ").slice(0, 2).join(" ")] : []), ...(t.knownHosts !== undefined ? knownHostsFileKeys(server, path.resolve(baseDir, t.knownHosts), t.host, t.port) : [])];
}
