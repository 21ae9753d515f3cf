/**
 * One URL payload's download, under the rules of src/payloadUrls.ts: the host name is resolved
 * once and every address it gives is checked, the connection goes to the checked address (no
 * second lookup that a DNS answer could change), redirects are followed here, hop by hop, each
 * checked the same way, and the body is cut off at the size cap.
 */
import { createHash } from "node:crypto";
import * as dns from "node:dns";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { pipeline } from "node:stream/promises";
import { MAX_REDIRECTS, checkAddress, hostOf } from "../src/payloadUrls";

export interface DownloadPolicy {
  /** Subnets and host:ports allowed besides public addresses (`provisioning:payloadUrlAllow`). */
  readonly allow: readonly string[];
  readonly maxBytes: number;
}

export interface Downloaded {
  readonly sha256: string;
  /** The URL the body came from (after redirects). */
  readonly url: string;
  /** Whether that URL has the origin (scheme, host, port) of the URL as written. */
  readonly sameOrigin: boolean;
}

const ALLOW_HINT = "payload URLs reach only public addresses unless the stack allows one (provisioning:payloadUrlAllow)";
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Downloads `url` into `file`; throws a message that names the refused address, redirect or cap. */
export async function download(url: string, file: string, policy: DownloadPolicy, signal: AbortSignal): Promise<Downloaded> {
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; ; hop++) {
    const via = hop === 0 ? "" : `redirected to ${current}: `;
    const u = new URL(current);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`refused: ${via}only http and https URLs are downloaded`);
    const host = hostOf(u.host)!;
    const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
    const address = await checkedAddress(host, port, policy.allow, via);
    const res = await get(u, address, signal);
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status) && res.headers.location !== undefined) {
      res.destroy();
      if (hop >= MAX_REDIRECTS) throw new Error(`${via}more than ${MAX_REDIRECTS} redirects`);
      current = new URL(res.headers.location, current).href;
      continue;
    }
    if (status !== 200) {
      res.destroy();
      throw new Error(`${via}HTTP ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd());
    }
    const length = Number(res.headers["content-length"] ?? NaN);
    if (length > policy.maxBytes) {
      res.destroy();
      throw new Error(`${via}${length} bytes (Content-Length) exceed the size cap of ${policy.maxBytes} bytes (provisioning:payloadMaxBytes)`);
    }
    const hash = createHash("sha256");
    let size = 0;
    await pipeline(
      res,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > policy.maxBytes) throw new Error(`${via}more than the size cap of ${policy.maxBytes} bytes (provisioning:payloadMaxBytes); stopped there`);
          hash.update(chunk);
          yield chunk;
        }
      },
      fs.createWriteStream(file, { mode: 0o600 }),
      { signal },
    );
    return { sha256: hash.digest("hex"), url: current, sameOrigin: u.origin === origin };
  }
}

/** The address to connect to for `host`: resolved once, every address checked. */
async function checkedAddress(host: string, port: number, allow: readonly string[], via: string): Promise<{ address: string; family: number }> {
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await dns.promises.lookup(host, { all: true, verbatim: true });
    } catch (e) {
      throw new Error(`${via}cannot resolve ${host} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  for (const a of addresses) {
    const verdict = checkAddress({ address: a.address, host, port }, allow);
    if (!verdict.allowed) throw new Error(`refused: ${via}${isIP(host) ? "" : `${host} resolves to ${a.address}; `}${verdict.reason}: ${ALLOW_HINT}`);
  }
  return addresses[0]!;
}

/** A GET of `u` on a connection to `to` only (TLS still checks the URL's host name). */
function get(u: URL, to: { address: string; family: number }, signal: AbortSignal): Promise<http.IncomingMessage> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [to]);
    else callback(null, to.address, to.family);
  };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === "https:" ? https : http).request(u, {
      lookup,
      agent: false,
      signal,
      headers: { "accept-encoding": "identity", "user-agent": "pulumi-provisioning" },
    });
    req.once("response", (res) => {
      // The connection went where it was checked to go, or the body is not read.
      if (res.socket.remoteAddress !== undefined && res.socket.remoteAddress.replace(/^::ffff:/, "") !== to.address.replace(/^::ffff:/, "")) {
        res.destroy();
        reject(new Error(`connected to ${res.socket.remoteAddress}, not the checked ${to.address}`));
      } else resolve(res);
    });
    req.once("error", (e: NodeJS.ErrnoException) => reject(e.name === "AbortError" ? e : new Error(`cannot connect to ${u.host} (${e.code ?? e.message})`)));
    req.end();
  });
}
