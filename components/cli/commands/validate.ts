/** `provision validate <catalog> [--payload-root DIR…]`: load, resolve, and render every profile on a server that serves them all. */
import { formatIssue } from "../../../src/catalog/errors";
import { loadCatalog } from "../../../src/catalog/load";
import type { ValidateResult } from "../../../src/renderJob";
import { runSandboxed } from "../../sandbox";
import { type CommandResult, guard, ok } from "../result";

export interface ValidateOptions {
  readonly catalog: string;
  /** Folders besides the catalog's own that local payloads may come from. @default [] */
  readonly payloadRoots?: readonly string[];
}

export function validateCommand(opts: ValidateOptions): CommandResult {
  return guard(() => {
    const { counts: c, warnings } = runSandboxed<ValidateResult>({ kind: "validate", catalog: loadCatalog(opts.catalog, { payloadRoots: opts.payloadRoots ?? [] }) });
    const summary =
      `ok: ${c.distributions} distributions, ${c.profiles} profiles, ${c.templates} templates` +
      `${c.builtinTemplates ? ` (+${c.builtinTemplates} builtin)` : ""}, ${c.configFiles} config files, ${c.distributionProfiles} distribution profiles${c.hosts ? `, ${c.hosts} host${c.hosts === 1 ? "" : "s"}` : ""}; ` +
      `${c.files} files rendered`;
    return ok(`${summary}\n`, warnings.map((w) => `${formatIssue(w)}\n`).join(""));
  });
}
