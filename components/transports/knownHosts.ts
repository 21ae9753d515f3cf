/**
 * The host keys a known_hosts file (OpenSSH's format) holds for one host and port: plain and
 * hashed (`|1|salt|hash`) host names, `[host]:port` for a port other than 22, comma lists and
 * `*`/`?` patterns. Lines marked `@revoked` remove a key; `@cert-authority` lines are not keys
 * of the host and are skipped.
 */
import { createHmac } from "node:crypto";
import * as fs from "node:fs";

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

/** The keys a known_hosts file on this machine holds for a child; an error naming the server when it cannot be read or holds none. */
export function knownHostsFileKeys(server: string, file: string, host: string, port: number): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${server}: cannot read knownHosts ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const keys = knownHostKeys(text, host, port);
  if (keys.length === 0) throw new Error(`${server}: knownHosts ${file} holds no key for ${port === 22 ? host : `[${host}]:${port}`}`);
  return keys;
}
