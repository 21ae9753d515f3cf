// The ready stack program: the catalog named by `provisioning:catalog`, placed on the children
// listed in `provisioning:servers`, with the secrets `provisioning:catalogSecrets` names for the
// catalog, taken from the stack's Pulumi config (a stack file, `pulumi config set`, `--config`,
// an ESC environment). Invalid input stops here, before any resource exists, so nothing is
// written to any server; issues name the stack file's lines when it holds the values.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import { CatalogError, bmcPlacementIssues, checkStackConfig, confineCatalog, formatIssue, loadCatalogInput, stackFilePath, unmatchedPatterns } from "../src";
import { readProjectFile } from "../src/stackConfig";
import { CentralServer } from "../components";
import { DEV_PASSPHRASE, DEV_PASSPHRASE_KEY } from "../components/cli/toolchain";

const projectDir = process.cwd();
const config = new pulumi.Config("provisioning");

/** A config value as given: structured values arrive as JSON text, plain strings as they are. */
function configValue(key: string): unknown {
  const raw = config.get(key);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Bad input: its lines, without a stack trace (CentralServer does the same for what it loads). */
function failed(e: unknown): never {
  if (e instanceof CatalogError) throw new pulumi.RunError(`invalid provisioning input:\n${e.issues.filter((i) => i.severity === "error").map(formatIssue).join("\n")}`);
  throw e;
}

/** The catalog's hosts; undefined when it is invalid (the CentralServer reports all of its issues). */
function catalogHosts(paths: readonly string[]) {
  try {
    return loadCatalogInput([...paths], { payloadRoots: [], readPayloads: false, baseDir: projectDir }).hosts;
  } catch (e) {
    if (e instanceof CatalogError) return undefined;
    throw e;
  }
}

function inputs() {
  // The development passphrase is public: only the demo stacks may hold secrets under it.
  if (process.env.PULUMI_CONFIG_PASSPHRASE === DEV_PASSPHRASE && !config.getBoolean(DEV_PASSPHRASE_KEY.slice("provisioning:".length))) {
    throw new pulumi.RunError(`stack ${pulumi.getStack()} is encrypted with the public development passphrase, which only the demo stacks may use (${DEV_PASSPHRASE_KEY}: true); set PULUMI_CONFIG_PASSPHRASE(_FILE) to a passphrase of its own, or use another secrets provider`);
  }
  try {
    const file = stackFilePath(projectDir, pulumi.getStack());
    const stack = checkStackConfig(
      {
        catalog: configValue("catalog"),
        servers: configValue("servers"),
        payloadRoots: configValue("payloadRoots"),
        payloadUrlAllow: configValue("payloadUrlAllow"),
        payloadMaxBytes: configValue("payloadMaxBytes"),
        catalogSecrets: configValue("catalogSecrets"),
        bmcs: configValue("bmcs"),
      },
      projectDir,
      pulumi.getStack(),
      // Read as the CLI reads it: a regular file of the project, of bounded size (a FIFO would hang the program).
      fs.existsSync(file) ? { file, text: readProjectFile(file, projectDir, "stack config") } : undefined,
    );
    confineCatalog(stack, projectDir);
    if (stack.catalogPaths.length === 0) throw new CatalogError([{ file: stack.file, line: 0, path: "provisioning:catalog", message: "is not set: the path of the catalog (a YAML file or folder, or a list of them)", severity: "error" }]);
    // BMCs (`provision power`) are for hosts the catalog has and a child holds, located in the stack file.
    if (Object.keys(stack.bmcs).length > 0) {
      const hosts = catalogHosts(stack.catalogPaths);
      const bmcIssues = hosts ? bmcPlacementIssues(stack.bmcs, hosts, stack.servers, stack.file, (h) => stack.bmcLines[h] ?? 0) : [];
      if (bmcIssues.length) throw new CatalogError(bmcIssues);
    }
    return stack;
  } catch (e) {
    failed(e);
  }
}

const stack = inputs();
const central = new CentralServer("central", {
  catalog: [...stack.catalogPaths],
  servers: stack.servers,
  payloadRoots: stack.payloadRoots,
  payloadUrlAllow: stack.payloadUrlAllow,
  payloadMaxBytes: stack.payloadMaxBytes,
  // Two namespaces over one config: the catalog gets exactly the names the stack declares for it;
  // server entries' credentials are read by this program alone.
  secrets: { names: stack.catalogSecrets, lookup: (name) => config.requireSecret(name) },
  credentials: (name) => config.requireSecret(name),
  bmcs: stack.bmcs,
});
for (const w of unmatchedPatterns(stack, central.catalog.profiles.map((p) => p.name))) pulumi.log.warn(formatIssue(w));

/** Per server: what it holds and where it serves it. */
export const provisioningServers = central.servers;
