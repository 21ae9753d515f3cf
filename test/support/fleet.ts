// A provisioning fleet under test: a temporary Pulumi project running the real stack program
// (stacks/index.ts) with its own copy of a catalog and its own children — local directories or
// real sshd instances on loopback — each bootstrapped to serve over real TFTP and HTTP daemons.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ServerSchema, loadCatalog, parsePreviewJson, planFromPreview, render, resolveCatalog, type ServerInput, type ServerTree } from "../../src";
import { STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { LocalTransport } from "../../components/transports/local";
import { freeTcpPort, freeUdpPort } from "./ports";
import { createProject, repoRoot, type PreviewJson, type PulumiProject } from "./pulumi";
import { startSshChildren, type SshChildren } from "./sshd";

export const EXAMPLE_CATALOG = path.join(repoRoot, "stacks", "catalogs", "example");
/** The ready stack program, compiled (npm test builds it first). */
export const STACK_PROGRAM = path.join(repoRoot, "dist", "stacks", "index.js");
/** The development passphrase also encrypts test stacks' secrets. */
export const ROOT_PASSWORD_HASH = "$6$rounds=4096$testsalt$OnlyForTestsNotARealHashAtAll0123456789abcdefghijklmnopqrstuv";

export interface FleetServer {
  /** Everything of the server entry but transport and ports, which the fleet assigns. */
  name: string;
  site: string;
  arch: string[];
  profiles: string[];
  labels?: Record<string, string>;
  wave?: number;
  /** Address PXE clients use (e.g. 10.0.2.2 from inside a qemu user-net guest). @default "127.0.0.1" */
  address?: string;
  /** Where the daemons listen. @default - the address */
  bindAddress?: string;
  /** @default a free port on 127.0.0.1 */
  tftpPort?: number;
  /** @default a free port on 127.0.0.1 */
  httpPort?: number;
  /** DHCP for PXE on the child (a server entry's `dhcp`). */
  dhcp?: ServerInput["dhcp"];
}

export interface Fleet {
  project: PulumiProject;
  /** The project's own copy of the catalog: edit it, then preview/up. */
  catalogDir: string;
  /** Server entries as written to stack config. */
  servers: ServerInput[];
  /** Child roots by server name. */
  roots: Record<string, string>;
  ssh?: SshChildren;
  /** Rewrites the stack's server list (e.g. to change served profiles). */
  writeServers(servers: ServerInput[]): void;
  /** Sets a plain config value in the stack file (`provisioning:payloadRoots`, …). */
  setConfig(key: string, value: unknown): void;
  /** What render() says a server should hold, from the current catalog copy (secrets as tokens). */
  expectedTree(server: string): ServerTree;
  /** The stack's secret values, by name. */
  secrets: Record<string, string>;
  /** Destroys the stack, stops daemons and sshd, removes temp dirs. */
  dispose(): Promise<void>;
}

export async function createFleet(opts: {
  servers: FleetServer[];
  transport: "local" | "ssh";
  catalog?: string;
  stack?: string;
  /** Extra environment of every Pulumi run, e.g. another PULUMI_BACKEND_URL. */
  env?: NodeJS.ProcessEnv;
  /** The program. @default STACK_PROGRAM */
  main?: string;
  /** The secrets the catalog may name (provisioning:catalogSecrets). @default ["root_password_hash"] */
  catalogSecrets?: string[];
  /** Folders besides the catalog's own that payloads may come from (provisioning:payloadRoots). @default [] */
  payloadRoots?: string[];
  /** More ports each SSH child listens on. @default 0 */
  extraPorts?: number;
  /** Folder for the local children's roots. @default a folder of the fleet's, readable to all */
  localRootsIn?: string;
  /** SSH children on a test segment: each sshd runs in this namespace, listening on this address. */
  sshIn?: { netns: string; address: string };
}): Promise<Fleet> {
  const stack = opts.stack ?? "test";
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-fleet-"));
  // Local children live below it, and their nginx workers (www-data) must traverse it.
  fs.chmodSync(work, 0o755);
  const catalogDir = path.join(work, "catalog");
  fs.cpSync(opts.catalog ?? EXAMPLE_CATALOG, catalogDir, { recursive: true });

  const ssh = opts.transport === "ssh" ? await startSshChildren(opts.servers.length, { namePrefix: "sshd", extraPorts: opts.extraPorts ?? 0, ...(opts.sshIn ?? {}) }) : undefined;
  const roots: Record<string, string> = {};
  const secrets: Record<string, string> = { root_password_hash: ROOT_PASSWORD_HASH };
  const servers: ServerInput[] = [];
  for (const [i, s] of opts.servers.entries()) {
    const child = ssh?.children[i];
    const root = child ? child.root : path.join(opts.localRootsIn ?? path.join(work, "children"), s.name);
    fs.mkdirSync(root, { recursive: true });
    roots[s.name] = root;
    if (child) secrets[`ssh_key_${i}`] = child.privateKey;
    servers.push({
      ...s,
      labels: s.labels ?? {},
      address: s.address ?? "127.0.0.1",
      tftpPort: s.tftpPort ?? (await freeUdpPort()),
      httpPort: s.httpPort ?? (await freeTcpPort()),
      transport: child
        ? { kind: "ssh", host: child.host, port: child.port, user: child.user, privateKey: { secret: `ssh_key_${i}` }, hostKey: child.hostKey, root }
        : { kind: "local", root },
    });
  }

  const project = await createProject({
    stack,
    main: opts.main ?? STACK_PROGRAM,
    config: { "provisioning:catalog": catalogDir, "provisioning:catalogSecrets": opts.catalogSecrets ?? ["root_password_hash"], "provisioning:servers": servers, ...(opts.payloadRoots ? { "provisioning:payloadRoots": opts.payloadRoots } : {}) },
    env: opts.env,
  });
  for (const [name, value] of Object.entries(secrets)) await project.setConfig(`provisioning:${name}`, value, true);

  const stackFile = path.join(project.dir, "stacks", `Pulumi.${stack}.yaml`);
  const fleet: Fleet = {
    project,
    catalogDir,
    servers,
    roots,
    ssh,
    secrets: { root_password_hash: ROOT_PASSWORD_HASH },
    writeServers(next) {
      fleet.setConfig("provisioning:servers", next);
      fleet.servers = next;
    },
    setConfig(key, value) {
      const doc = parseYaml(fs.readFileSync(stackFile, "utf8"));
      doc.config[key] = value;
      fs.writeFileSync(stackFile, stringifyYaml(doc));
    },
    expectedTree(name) {
      const server = fleet.servers.find((s) => s.name === name);
      if (!server) throw new Error(`no server ${name}`);
      const payloadRoots = (parseYaml(fs.readFileSync(stackFile, "utf8")).config["provisioning:payloadRoots"] ?? []) as string[];
      return render(resolveCatalog(loadCatalog(catalogDir, { payloadRoots })), ServerSchema.parse(server));
    },
    async dispose() {
      await project.destroy();
      // Daemons outlive a failed destroy: stop every child's explicitly.
      for (const root of Object.values(roots)) await new LocalTransport(root).runScript(STOP_SERVICES_SCRIPT, { ROOT: root }).catch(() => undefined);
      await ssh?.stop();
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(project.dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

/** Every regular file under a child's root (relative paths), excluding the daemons' own dirs. */
export function treeOnDisk(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        if (!["run", "log", "etc"].includes(rel)) walk(full);
      } else if (entry.isFile()) {
        files.set(rel, fs.readFileSync(full));
      }
    }
  };
  walk(root);
  return files;
}

/** The server whose resource (`…$pulumi-nodejs:dynamic:Resource::<server>`, below its ProvisioningServer) a URN names. */
export function serverResourceOf(urn: string): string | undefined {
  return /\$provisioning:index:ProvisioningServer\$pulumi-nodejs:dynamic:Resource::([^:]+)$/.exec(urn)?.[1];
}

/** Every file a preview changes, `server/path → op`, as `provision plan` reads it (src/plan). */
export function changedFilesOf(preview: PreviewJson): Map<string, string> {
  const plan = planFromPreview(parsePreviewJson(JSON.stringify(preview)));
  return new Map(Object.entries(plan.files).flatMap(([server, files]) => files.map((f) => [`${server}/${f.path}`, f.op] as const)));
}
