import { runCurl } from "./curl";

/** Fetches `path` from a TFTP server with `curl -s tftp://host:port/path`; throws on failure. */
export async function tftpGet(port: number, path: string, host = "127.0.0.1"): Promise<Buffer> {
  const url = `tftp://${host}:${port}/${path.replace(/^\/+/, "")}`;
  const r = await tryTftpGet(port, path, host);
  if (r.code !== 0) throw new Error(`curl ${url} failed with exit code ${r.code}: ${r.stderr.trim()}`);
  return r.body;
}

/** Like tftpGet but returns curl's exit code instead of throwing. */
export function tryTftpGet(port: number, path: string, host = "127.0.0.1") {
  const url = `tftp://${host}:${port}/${path.replace(/^\/+/, "")}`;
  return runCurl(["-sS", "--max-time", "10", url]);
}
