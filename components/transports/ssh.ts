import { createHash } from "node:crypto";
import { createReadStream, promises as fsp } from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { resolveUnderRoot, validateEnvName, validateMode, validateSha256 } from "./paths";
import { limiter } from "../limit";
import { shellJoin } from "./shellQuote";
import type { ScriptResult, Transport } from "./transport";
import { TransportError, readLimit } from "./transport";

export interface SshTransportOptions {
  /** Name of the child server, used in every error message. */
  serverName: string;
  host: string;
  port?: number; // default 22
  user: string;
  /** Private key text (OpenSSH or PEM). Treat as a secret. */
  privateKey: string;
  passphrase?: string;
  /**
   * Pinned host keys as in a known_hosts line without the host part: "ssh-ed25519 AAAA… [comment]".
   * The child must show one of them. Required unless `insecureAcceptAnyHostKey`.
   */
  hostKeys?: readonly string[];
  /** Accept whatever key the child shows (a lab without known keys): nothing proves who answers. */
  insecureAcceptAnyHostKey?: boolean;
  /** Absolute path of the child's root on the child. */
  root: string;
  connectTimeoutMs?: number; // default 20000
  /** Max concurrent exec channels on the one connection (sshd's MaxSessions defaults to 10). */
  maxChannels?: number; // default 8
}

export interface ExecResult {
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** SHA256 fingerprint in OpenSSH's format ("SHA256:" + unpadded base64) of a raw public key blob. */
export function fingerprintOfKeyBlob(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** Parses "ssh-ed25519 AAAA… [comment]" into its type and raw key blob. */
export function parseHostKeyLine(line: string): { type: string; blob: Buffer } {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || !/^[a-z0-9@.-]+$/i.test(parts[0]) || !/^[A-Za-z0-9+/]+=*$/.test(parts[1])) {
    throw new Error(`invalid host key ${JSON.stringify(line)} (expected e.g. "ssh-ed25519 AAAA…")`);
  }
  const blob = Buffer.from(parts[1], "base64");
  // The blob starts with the key type as an SSH string: check it agrees with the first field.
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const inner = len > 0 && 4 + len <= blob.length ? blob.subarray(4, 4 + len).toString("latin1") : "";
  if (inner !== parts[0]) throw new Error(`invalid host key ${JSON.stringify(line)}: key type ${parts[0]} does not match its blob (${inner || "unreadable"})`);
  return { type: parts[0], blob };
}

function hostKeyAlgorithmsFor(type: string): string[] {
  if (type === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [type];
}

// ---- Fixed remote scripts. Parameters arrive only as positional arguments ($1…), each
// shell-quoted by shellJoin; the scripts themselves never change. -------------------------------

/** $1 dir, $2 final path, $3 expected sha256, $4 mode. Bytes on stdin. */
export const REMOTE_WRITE_SCRIPT = `set -eu
dir=$1; final=$2; want=$3; mode=$4
mkdir -p -- "$dir"
tmp=$(mktemp "$dir/.upload.XXXXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 130' HUP INT TERM
cat > "$tmp"
sync -- "$tmp" 2>/dev/null || sync
got=$(sha256sum < "$tmp")
got=\${got%% *}
if [ "$got" != "$want" ]; then
  echo "checksum mismatch: expected $want, got $got" >&2
  exit 3
fi
chmod -- "$mode" "$tmp"
# mv onto a directory would move the file into it and succeed.
if [ -d "$final" ]; then echo "$final is a directory" >&2; exit 2; fi
mv -f -- "$tmp" "$final"
trap - EXIT
`;

/** $1 path. Prints the sha256, or ABSENT; a symbolic link is refused. */
export const REMOTE_HASH_SCRIPT = `if [ -L "$1" ]; then
  echo "a symbolic link, not followed" >&2; exit 2
elif [ -f "$1" ]; then
  h=$(sha256sum < "$1") || exit 2
  printf '%s\\n' "\${h%% *}"
elif [ -e "$1" ] || [ -L "$1" ]; then
  echo "not a regular file" >&2; exit 2
else
  echo ABSENT
fi
`;

/**
 * $1 path, $2 the most bytes to print. Prints the file (at most $2 bytes), or exits 4 when there
 * is none. dd opens it without following a symbolic link (so one swapped in after the test is
 * refused too) and without waiting on a FIFO.
 */
export const REMOTE_READ_SCRIPT = `if [ -L "$1" ]; then echo "a symbolic link, not followed" >&2; exit 2
elif [ -f "$1" ]; then exec dd if="$1" iflag=nofollow,nonblock,count_bytes bs=65536 count="$2" status=none
elif [ -e "$1" ]; then echo "not a regular file" >&2; exit 2
else exit 4; fi
`;

/** $1 root, $2 path. Removes the file and then empty parents strictly below the root. */
export const REMOTE_REMOVE_SCRIPT = `set -u
root=$1; f=$2
if [ -d "$f" ] && [ ! -L "$f" ]; then echo "is a directory" >&2; exit 2; fi
rm -f -- "$f" || exit 2
d=$(dirname -- "$f")
while [ "$d" != "$root" ]; do
  case "$d" in "$root"/*) ;; *) break ;; esac
  if [ -d "$d" ]; then rmdir -- "$d" 2>/dev/null || break; fi
  d=$(dirname -- "$d")
done
exit 0
`;

/**
 * Transport to one child over SSH (ssh2). One connection per instance, opened lazily and reused
 * (re-opened after it drops). The child must show one of the pinned host keys, or nothing is sent.
 */
export class SshTransport implements Transport {
  readonly serverName: string;
  readonly root: string;
  private readonly opts: SshTransportOptions;
  private readonly pinned: { type: string; blob: Buffer }[];
  private conn?: Promise<Client>;
  /** One exec channel per task, at most `maxChannels` at once (sshd's MaxSessions is 10). */
  private readonly channels: <T>(task: () => Promise<T>) => Promise<T>;
  private closed = false;

  constructor(opts: SshTransportOptions) {
    if (!opts.serverName) throw new Error("SshTransport: serverName is required");
    this.serverName = opts.serverName;
    if (!path.posix.isAbsolute(opts.root)) throw new Error(`${this.serverName}: root must be an absolute path, got ${JSON.stringify(opts.root)}`);
    this.root = path.posix.normalize(opts.root).replace(/(.)\/+$/, "$1");
    this.opts = opts;
    this.channels = limiter(opts.maxChannels ?? 8);
    try {
      this.pinned = (opts.hostKeys ?? []).map(parseHostKeyLine);
    } catch (err) {
      throw new Error(`${this.serverName}: ${(err as Error).message}`);
    }
    if (this.pinned.length === 0 && !opts.insecureAcceptAnyHostKey) {
      throw new Error(`${this.serverName}: no pinned host key: nothing would prove who answers at ${opts.host}:${opts.port ?? 22}; set hostKey or knownHosts`);
    }
  }

  private get where(): string {
    return `${this.serverName} (${this.opts.host}:${this.opts.port ?? 22})`;
  }

  private error(message: string, relPath?: string): TransportError {
    return new TransportError(this.serverName, `${this.where}: ${message}`, relPath);
  }

  // ---- connection ------------------------------------------------------------------------

  /** Opens (or returns) the shared connection. */
  connect(): Promise<Client> {
    if (this.closed) return Promise.reject(this.error("transport is closed"));
    if (!this.conn) {
      const p = this.openConnection();
      this.conn = p;
      p.catch(() => {
        if (this.conn === p) this.conn = undefined;
      });
    }
    return this.conn;
  }

  private openConnection(): Promise<Client> {
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyError: string | undefined;
      let settled = false;
      const config: ConnectConfig = {
        host: this.opts.host,
        port: this.opts.port ?? 22,
        username: this.opts.user,
        privateKey: this.opts.privateKey,
        passphrase: this.opts.passphrase,
        readyTimeout: this.opts.connectTimeoutMs ?? 20_000,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
      };
      if (this.pinned.length > 0) {
        const pinned = this.pinned;
        // Offer only the algorithms of the pinned keys, so the child shows one of those.
        config.algorithms = { serverHostKey: [...new Set(pinned.flatMap((p) => hostKeyAlgorithmsFor(p.type)))] as never };
        config.hostVerifier = (key: Buffer): boolean => {
          if (pinned.some((p) => key.equals(p.blob))) return true;
          hostKeyError =
            `host key mismatch for ${this.serverName} (${this.opts.host}:${this.opts.port ?? 22}): ` +
            `expected ${pinned.map((p) => fingerprintOfKeyBlob(p.blob)).join(" or ")}, got ${fingerprintOfKeyBlob(key)}`;
          return false;
        };
      }
      client.on("ready", () => {
        settled = true;
        resolve(client);
      });
      client.on("error", (err: Error & { level?: string }) => {
        if (!settled) {
          settled = true;
          client.end();
          if (hostKeyError) reject(new TransportError(this.serverName, hostKeyError));
          else reject(this.error(`ssh connection to ${this.opts.user}@${this.opts.host}:${this.opts.port ?? 22} failed: ${err.message}${err.level ? ` (${err.level})` : ""}`));
        } else if (this.conn) {
          // A later error: drop the connection so the next call reconnects.
          this.conn = undefined;
        }
      });
      client.on("close", () => {
        if (!settled) {
          settled = true;
          reject(hostKeyError ? new TransportError(this.serverName, hostKeyError) : this.error("ssh connection closed before it was ready"));
        }
        this.conn = undefined;
      });
      client.connect(config);
    });
  }

  /**
   * Runs `argv` on the child, every element shell-quoted (the remote login shell sees a single
   * line of quoted words). `stdin` is sent and then closed. Below path validation: callers are
   * responsible for what they pass; the quoting makes every element one literal word.
   */
  async exec(argv: readonly string[], stdin?: Buffer | string | Readable): Promise<ExecResult> {
    return this.execCommand(shellJoin(argv), stdin);
  }

  private async execCommand(command: string, stdin?: Buffer | string | Readable): Promise<ExecResult> {
    const client = await this.connect();
    return this.channels(
      () =>
        new Promise<ExecResult>((resolve, reject) => {
          client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
            if (err) {
              reject(this.error(`cannot open ssh exec channel: ${err.message}`));
              return;
            }
            const out: Buffer[] = [];
            const errb: Buffer[] = [];
            let code: number | undefined;
            let signal: string | undefined;
            channel.on("data", (c: Buffer) => out.push(c));
            channel.stderr.on("data", (c: Buffer) => errb.push(c));
            channel.on("exit", (c: number | null, sig?: string) => {
              if (typeof c === "number") code = c;
              if (sig) signal = sig;
            });
            channel.on("close", () => {
              resolve({
                code: code ?? (signal ? 128 : 255),
                signal,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(errb).toString("utf8"),
              });
            });
            channel.on("error", (e: Error) => reject(this.error(`ssh channel error: ${e.message}`)));
            if (stdin === undefined) {
              channel.end();
            } else if (stdin instanceof Readable) {
              stdin.on("error", (e) => {
                channel.close();
                reject(this.error(`reading local input failed: ${e.message}`));
              });
              stdin.pipe(channel);
            } else {
              channel.end(stdin);
            }
          });
        }),
    );
  }

  private async runFixed(script: string, args: string[], stdin?: Buffer | Readable): Promise<ExecResult> {
    return this.exec(["sh", "-c", script, "sh", ...args], stdin);
  }

  // ---- Transport -------------------------------------------------------------------------

  async writeFile(relPath: string, data: Buffer, sha256: string, mode: string): Promise<void> {
    const full = resolveUnderRoot(this.root, relPath, this.serverName);
    await this.rawWriteFile(full, data, sha256, mode, relPath);
  }

  async copyFile(relPath: string, sourcePath: string, sha256: string, mode: string): Promise<void> {
    const full = resolveUnderRoot(this.root, relPath, this.serverName);
    try {
      await fsp.access(sourcePath);
    } catch (err) {
      throw this.error(`copy of ${relPath} failed: cannot read source ${sourcePath}: ${(err as Error).message}`, relPath);
    }
    await this.rawWriteFile(full, createReadStream(sourcePath), sha256, mode, relPath);
  }

  async readText(relPath: string, maxBytes?: number): Promise<string | undefined> {
    const max = readLimit(maxBytes);
    // One byte more than the cap tells a file that is larger.
    const r = await this.runFixed(REMOTE_READ_SCRIPT, [resolveUnderRoot(this.root, relPath, this.serverName), String(max + 1)]);
    if (r.code === 4) return undefined;
    if (r.code !== 0) throw this.error(`read ${relPath} failed (exit ${r.code}): ${r.stderr.trim() || "no error output"}`, relPath);
    if (Buffer.byteLength(r.stdout) > max) throw this.error(`read ${relPath} failed: larger than ${max} bytes, not read`, relPath);
    return r.stdout;
  }

  async hashFile(relPath: string): Promise<string | undefined> {
    return this.rawHashFile(resolveUnderRoot(this.root, relPath, this.serverName), relPath);
  }

  async removeFile(relPath: string): Promise<void> {
    await this.rawRemoveFile(resolveUnderRoot(this.root, relPath, this.serverName), relPath);
  }

  async runScript(script: string, env: Record<string, string>, input?: string): Promise<ScriptResult> {
    const assignments = Object.entries(env).map(([k, v]) => `${validateEnvName(k, this.serverName)}=${v}`);
    // `env 'K=v' … sh -s`: every assignment is one quoted word; the script travels on stdin,
    // or, with an input (a secret), the script is the argument and the input the stdin.
    const r = await this.exec(["env", ...assignments, "sh", ...(input === undefined ? ["-s"] : ["-c", script, "sh"])], input ?? script);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.conn;
    this.conn = undefined;
    if (!p) return;
    const client = await p.catch(() => undefined);
    if (!client) return;
    await new Promise<void>((resolve) => {
      client.once("close", () => resolve());
      client.end();
      setTimeout(resolve, 2000).unref();
    });
  }

  // ---- Below validation (absolute child paths; used by the methods above and by tests that
  // prove the quoting layer on its own). -------------------------------------------------------

  /** @internal Atomic write to an absolute child path; no path validation. */
  async rawWriteFile(full: string, data: Buffer | Readable, sha256: string, mode: string, label = full): Promise<void> {
    validateSha256(sha256, this.serverName);
    validateMode(mode, this.serverName);
    const r = await this.runFixed(REMOTE_WRITE_SCRIPT, [path.posix.dirname(full), full, sha256, mode], data);
    if (r.code !== 0) {
      throw this.error(`write ${label} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ""}): ${r.stderr.trim() || "no error output"}`, label);
    }
  }

  /** @internal */
  async rawHashFile(full: string, label = full): Promise<string | undefined> {
    const r = await this.runFixed(REMOTE_HASH_SCRIPT, [full]);
    const out = r.stdout.trim();
    if (r.code === 0 && out === "ABSENT") return undefined;
    if (r.code === 0 && /^[0-9a-f]{64}$/.test(out)) return out;
    throw this.error(`hash ${label} failed (exit ${r.code}): ${r.stderr.trim() || out || "no output"}`, label);
  }

  /** @internal */
  async rawRemoveFile(full: string, label = full): Promise<void> {
    const r = await this.runFixed(REMOTE_REMOVE_SCRIPT, [this.root, full]);
    if (r.code !== 0) throw this.error(`remove ${label} failed (exit ${r.code}): ${r.stderr.trim() || "no error output"}`, label);
  }
}

