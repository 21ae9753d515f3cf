import { execFile } from "node:child_process";

export interface CurlResult {
  /** curl's exit code (0 = success; 7 = could not connect; 22 = HTTP error with -f). */
  code: number;
  body: Buffer;
  stderr: string;
}

/** Runs curl with the given args (no shell) and returns its raw stdout as a Buffer. */
export function runCurl(args: string[], timeoutMs = 20_000): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      args,
      { encoding: "buffer", maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e && typeof e.code === "string") {
          reject(new Error(`cannot run curl: ${e.message}`));
          return;
        }
        resolve({ code: e ? Number(e.code ?? 1) : 0, body: stdout as Buffer, stderr: (stderr as Buffer).toString("utf8") });
      },
    );
  });
}
