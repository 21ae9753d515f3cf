// The stack program: the catalog named by `provisioning:catalog`, placed on the children listed
// in `provisioning:servers` (both in stacks/Pulumi.<stack>.yaml). Invalid input stops here,
// before any resource exists, so nothing is written to any server.
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { CatalogError, formatIssue, loadCatalog, readStackConfig, resolveCatalog, unmatchedPatterns } from "../src";
import { CentralServer } from "../components";

const projectDir = process.cwd();
const config = new pulumi.Config("provisioning");

function loadInputs() {
  try {
    const stack = readStackConfig(projectDir, pulumi.getStack());
    if (!stack.catalogPath) throw new Error(`${stack.file}: provisioning:catalog is not set`);
    const catalog = resolveCatalog(loadCatalog(stack.catalogPath));
    for (const w of unmatchedPatterns(stack, [...catalog.profiles.keys()])) pulumi.log.warn(formatIssue(w));
    // Local children live where the stack file says, relative to the project.
    const servers = stack.servers.map((s) =>
      s.transport.kind === "local" ? { ...s, transport: { ...s.transport, root: path.resolve(projectDir, s.transport.root) } } : s,
    );
    return { catalog, servers };
  } catch (e) {
    if (e instanceof CatalogError) {
      throw new Error(`invalid provisioning input:\n${e.issues.filter((i) => i.severity === "error").map(formatIssue).join("\n")}`);
    }
    throw e;
  }
}

const { catalog, servers } = loadInputs();
const central = new CentralServer("central", { catalog, servers, secret: (name) => config.requireSecret(name) });

/** Per server: what it holds and where it serves it. */
export const provisioningServers = central.servers;
