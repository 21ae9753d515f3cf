// A provisioning fleet under test: a temporary Pulumi project running the real stack program
// (stacks/index.ts) with its own copy of a catalog and its own children — local directories or
// real sshd instances on loopback — each bootstrapped to serve over real TFTP and HTTP daemons.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ServerSchema, loadCatalog, render, resolveCatalog, type ServerInput, type ServerTree } from "../../src";
import { STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { LocalTransport } from "../../components/transports/local";
import { freeTcpPort, freeUdpPort } from "./ports";
import { createProject, repoRoot, type PulumiProject } from "./pulumi";
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
  /** What render() says a server should hold, from the current catalog copy. */
  expectedTree(server: string): ServerTree;
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
}): Promise<Fleet> {
  const stack = opts.stack ?? "test";
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-fleet-"));
  // Local children live below it, and their nginx workers (www-data) must traverse it.
  fs.chmodSync(work, 0o755);
  const catalogDir = path.join(work, "catalog");
  fs.cpSync(opts.catalog ?? EXAMPLE_CATALOG, catalogDir, { recursive: true });

  const ssh = opts.transport === "ssh" ? await startSshChildren(opts.servers.length, { namePrefix: "sshd" }) : undefined;
  const roots: Record<string, string> = {};
  const secrets: Record<string, string> = { root_password_hash: ROOT_PASSWORD_HASH };
  const servers: ServerInput[] = [];
  for (const [i, s] of opts.servers.entries()) {
    const child = ssh?.children[i];
    const root = child ? child.root : path.join(work, "children", s.name);
    fs.mkdirSync(root, { recursive: true });
    roots[s.name] = root;
    if (child) secrets[`ssh_key_${i}`] = child.privateKey;
    servers.push({
      ...s,
      labels: s.labels ?? {},
      address: s.address ?? "127.0.0.1",
      tftpPort: await freeUdpPort(),
      httpPort: await freeTcpPort(),
      transport: child
        ? { kind: "ssh", host: child.host, port: child.port, user: child.user, privateKey: { secret: `ssh_key_${i}` }, hostKey: child.hostKey, root }
        : { kind: "local", root },
    });
  }

  const project = await createProject({
    stack,
    main: opts.main ?? STACK_PROGRAM,
    config: { "provisioning:catalog": catalogDir, "provisioning:servers": servers },
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
    writeServers(next) {
      const doc = parseYaml(fs.readFileSync(stackFile, "utf8"));
      doc.config["provisioning:servers"] = next;
      fs.writeFileSync(stackFile, stringifyYaml(doc));
      fleet.servers = next;
    },
    expectedTree(name) {
      const server = fleet.servers.find((s) => s.name === name);
      if (!server) throw new Error(`no server ${name}`);
      return render(resolveCatalog(loadCatalog(catalogDir)), ServerSchema.parse(server), { secrets: { root_password_hash: ROOT_PASSWORD_HASH } });
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

/**
 * `server/path` of a file that is a resource of its own (a secret file, the manifest), from its
 * URN (`…::<server>/<path>`); undefined for anything else, the server's files resource included.
 */
export function placedFileOf(urn: string): { server: string; path: string } | undefined {
  if (!urn.includes("pulumi-nodejs:dynamic:Resource::")) return undefined;
  const name = urn.slice(urn.lastIndexOf("::") + 2);
  const slash = name.indexOf("/");
  const rest = name.slice(slash + 1);
  return rest === "bootstrap" || rest === "files" ? undefined : { server: name.slice(0, slash), path: rest };
}

/** The server whose files resource (`…::<server>/files`) a URN names; undefined otherwise. */
export function filesResourceOf(urn: string): string | undefined {
  return /pulumi-nodejs:dynamic:Resource::([^/]+)\/files$/.exec(urn)?.[1];
}

interface StepLike {
  op: string;
  urn: string;
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { inputs?: Record<string, unknown> };
}

type Entries = Record<string, { sha256?: unknown; mode?: unknown; sourcePath?: unknown }>;

/**
 * Every file a preview's steps change, `server/path → op`: a step of a file of its own is that
 * file's; a step of a server's files resource changes each path whose entry differs between the
 * old state (outputs: what a refresh found) and the new inputs.
 */
export function changedFilesOf(steps: readonly StepLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const step of steps) {
    if (step.op === "same" || step.op === "refresh") continue;
    const own = placedFileOf(step.urn);
    if (own) out.set(`${own.server}/${own.path}`, step.op);
    const server = filesResourceOf(step.urn);
    if (!server) continue;
    const before = ((step.oldState?.outputs ?? step.oldState?.inputs)?.files ?? {}) as Entries;
    const after = (step.op === "delete" ? {} : (step.newState?.inputs?.files ?? {})) as Entries;
    for (const p of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const [b, a] = [before[p], after[p]];
      const op = !b ? "create" : !a ? "delete" : b.sha256 !== a.sha256 || b.mode !== a.mode || b.sourcePath !== a.sourcePath ? "update" : undefined;
      if (op) out.set(`${server}/${p}`, op);
    }
  }
  return out;
}
