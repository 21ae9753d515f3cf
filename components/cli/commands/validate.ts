/** `provision validate <catalog>`: load, resolve, and render every profile on a synthetic server. */
import { formatIssue } from "../../../src/catalog/errors";
import { loadCatalog } from "../../../src/catalog/load";
import { resolveCatalog } from "../../../src/catalog/resolve";
import { ServerSchema } from "../../../src/catalog/schema";
import { render } from "../../../src/render/render";
import { type CommandResult, guard, ok } from "../result";

export interface ValidateOptions {
  readonly catalog: string;
}

export function validateCommand(opts: ValidateOptions): CommandResult {
  return guard(() => {
    const resolved = resolveCatalog(loadCatalog(opts.catalog));
    // A server that serves every profile on every arch exercises every reachable template once.
    const arches = [...new Set([...resolved.distributions.values()].map((d) => d.arch))];
    const server = ServerSchema.parse({
      name: "validate",
      transport: { kind: "local", root: "/nonexistent" },
      arch: arches.length ? arches : ["none"],
      site: "validate",
      profiles: ["*"],
      tftpPort: 69,
      httpPort: 80,
    });
    const tree = render(resolved, server);
    const c = resolved.catalog;
    const builtins = [...resolved.templates.values()].filter((t) => t.builtin).length;
    const summary =
      `ok: ${c.distributions.length} distributions, ${c.profiles.length} profiles, ${c.templates.length} templates` +
      `${builtins ? ` (+${builtins} builtin)` : ""}, ${c.configFiles.length} config files, ${resolved.mappings.size} distribution profiles; ` +
      `${tree.files.length} files rendered`;
    return ok(`${summary}\n`, resolved.warnings.map((w) => `${formatIssue(w)}\n`).join(""));
  });
}
