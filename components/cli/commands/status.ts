/**
 * `provision status --stack S [--json] [--html FILE] [--host NAME…]`: where every machine is.
 * Each child read once (daemons, files against its manifest, every host record), in parallel,
 * each within `--timeout` seconds. Exit 0 when every child answered, 1 when one did not (its
 * line says why; the others are still printed) or the stack cannot be read.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CatalogError } from "../../../src/catalog/errors";
import { statusHtml } from "../../../src/report/htmlReport";
import { statusJson, statusText } from "../../../src/report/statusReport";
import { DEFAULT_STATUS_PARALLEL, DEFAULT_STATUS_TIMEOUT_MS, StatusError, readFleetStatus, statusTargets } from "../../status";
import { type CommandResult, failureLine, guard } from "../result";
import { stackSecrets } from "../stackSecrets";

export interface StatusOptions {
  readonly stack: string;
  readonly json?: boolean;
  readonly html?: string;
  /** Only these hosts (every child is still read: its daemons and files). */
  readonly hosts?: readonly string[];
  readonly timeoutMs?: number;
  readonly parallel?: number;
  /** @default process.cwd() */
  readonly projectDir?: string;
}

export async function statusCommand(opts: StatusOptions): Promise<CommandResult> {
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  let targets: ReturnType<typeof statusTargets>;
  try {
    targets = statusTargets(projectDir, opts.stack, opts.hosts?.length ? opts.hosts : undefined);
  } catch (e) {
    if (e instanceof StatusError) return { stdout: "", stderr: failureLine(e.message), exitCode: 1 };
    if (!(e instanceof CatalogError)) throw e;
    return guard(() => {
      throw e;
    });
  }
  const children = await readFleetStatus({
    projectDir,
    targets,
    secret: stackSecrets(projectDir, opts.stack),
    timeoutMs: opts.timeoutMs ?? DEFAULT_STATUS_TIMEOUT_MS,
    parallel: opts.parallel ?? DEFAULT_STATUS_PARALLEL,
  });
  if (opts.html !== undefined) fs.writeFileSync(opts.html, statusHtml(children, `Provisioning status: stack ${opts.stack}`));
  const unreachable = children.some((c) => !c.reachable);
  return { stdout: opts.json ? statusJson(children) : statusText(children), stderr: "", exitCode: unreachable ? 1 : 0 };
}
