/**
 * `provision power --stack S HOST… status|on|off|cycle`: the console-less emergency. Each host's
 * BMC, as the stack declares it, driven from the child that holds the host; one line per host
 * saying what was done, a located line per failure.
 */
import * as path from "node:path";
import { POWER_ACTIONS, type PowerAction } from "../../../src/bmc";
import { visibleText } from "../../../src/util/visibleText";
import { BmcError, openBmcs, power } from "../../bmc";
import { type CommandResult, UsageError, guard } from "../result";
import { StackSecretError, stackSecrets } from "../stackSecrets";

export interface PowerOptions {
  readonly stack: string;
  readonly hosts: readonly string[];
  readonly action: string;
  /** @default process.cwd() */
  readonly projectDir?: string;
}

export async function powerCommand(opts: PowerOptions): Promise<CommandResult> {
  if (!(POWER_ACTIONS as readonly string[]).includes(opts.action)) throw new UsageError(`power takes ${POWER_ACTIONS.join("|")} after the hosts, got "${opts.action}"`);
  if (opts.hosts.length === 0) throw new UsageError("power takes at least one host");
  const action = opts.action as PowerAction;
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  let opened: Awaited<ReturnType<typeof openBmcs>>;
  try {
    opened = await openBmcs({ projectDir, stack: opts.stack, hosts: [...new Set(opts.hosts)], secret: stackSecrets(projectDir, opts.stack) });
  } catch (e) {
    if (e instanceof BmcError || e instanceof StackSecretError) return { stdout: "", stderr: `provision: ${visibleText(e.message)}\n`, exitCode: 1 };
    return guard(() => {
      throw e;
    });
  }
  const out: string[] = [];
  const err: string[] = opened.warnings.map((w) => `provision: ${w}\n`);
  try {
    for (const link of opened.links) {
      try {
        const r = await power(link, action);
        out.push(`${link.host}: ${r.did} (BMC ${link.bmc.kind} ${link.bmc.address}, from ${link.child})\n`);
      } catch (e) {
        if (!(e instanceof BmcError)) throw e;
        err.push(`provision: ${e.message}\n`);
      }
    }
  } finally {
    await opened.close();
  }
  return { stdout: out.join(""), stderr: err.join(""), exitCode: err.length > opened.warnings.length ? 1 : 0 };
}
