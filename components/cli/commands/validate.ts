/**
 * `provision validate <catalog> [--payload-root DIR…]`: load, resolve, and render every profile on
 * a server that serves them all; then check each autoinstall file with its installer's validator.
 */
import { leavesWhereNamed } from "../../../src/catalog/catalogFile";
import { CatalogError, formatIssue } from "../../../src/catalog/errors";
import { type LoadOptions, type Catalog, loadCatalog } from "../../../src/catalog/load";
import type { ValidateResult } from "../../../src/renderJob";
import { checkInstallerFiles, validatorsLine } from "../../installerValidators";
import { runSandboxed } from "../../sandbox";
import { type CommandResult, guard, ok } from "../result";

export interface ValidateOptions {
  readonly catalog: string;
  /** Folders besides the catalog's own that local payloads may come from. @default [] */
  readonly payloadRoots?: readonly string[];
}

/**
 * The catalog named on the command line: a path into the current folder must stay in it after
 * following links (a checkout's catalog folder replaced by a link to `/etc` is not read); a path
 * elsewhere is read where it leads.
 */
export function loadCatalogArgument(catalog: string, options: LoadOptions): Catalog {
  const outside = leavesWhereNamed(catalog, process.cwd());
  if (outside) throw new CatalogError([{ file: catalog, line: 0, path: "", message: `cannot read catalog: ${outside.refused} the current folder; name the folder it leads to`, severity: "error" }]);
  return loadCatalog(catalog, options);
}

export function validateCommand(opts: ValidateOptions): CommandResult {
  return guard(() => {
    const { counts: c, warnings, installerFiles } = runSandboxed<ValidateResult>({ kind: "validate", catalog: loadCatalogArgument(opts.catalog, { payloadRoots: opts.payloadRoots ?? [] }) });
    const summary =
      `ok: ${c.distributions} distributions, ${c.profiles} profiles, ${c.templates} templates` +
      `${c.builtinTemplates ? ` (+${c.builtinTemplates} builtin)` : ""}, ${c.configFiles} config files, ${c.distributionProfiles} distribution profiles${c.hosts ? `, ${c.hosts} host${c.hosts === 1 ? "" : "s"}` : ""}; ` +
      `${c.files} files rendered`;
    const checked = checkInstallerFiles(installerFiles);
    const lines = [...warnings, ...checked.issues].map((w) => `${formatIssue(w)}\n`).join("");
    const validators = `validators: ${validatorsLine(checked)}\n`;
    if (checked.issues.some((i) => i.severity === "error")) return { stdout: validators, stderr: lines, exitCode: 1 };
    return ok(`${summary}\n${validators}`, lines);
  });
}
