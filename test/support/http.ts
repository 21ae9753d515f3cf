import { runCurl } from "./curl";

/** Fetches `path` with `curl -sf http://host:port/path`; throws on a failure or HTTP error status. */
export async function httpGet(port: number, path: string, host = "127.0.0.1"): Promise<Buffer> {
  const url = `http://${host}:${port}/${path.replace(/^\/+/, "")}`;
  const r = await runCurl(["-sSf", "--max-time", "10", url]);
  if (r.code !== 0) throw new Error(`curl ${url} failed with exit code ${r.code}: ${r.stderr.trim()}`);
  return r.body;
}

/** HTTP status code of GET path (0 when the connection failed). */
export async function httpStatus(port: number, path: string, host = "127.0.0.1"): Promise<number> {
  const url = `http://${host}:${port}/${path.replace(/^\/+/, "")}`;
  const r = await runCurl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", url]);
  return r.code === 0 ? Number(r.body.toString("utf8").trim()) : 0;
}
