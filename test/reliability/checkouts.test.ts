// Team state works from any checkout: the state names payloads by content and files by content
// key, never by a path of the machine or checkout that last ran. Two checkouts at different paths
// (each with its own copy of the catalog and its own install of the package) share one backend:
// the second one's preview is empty and its `up` touches nothing. Real engine, local children.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { runShScript } from "../../components/transports/local";
import { EXAMPLE_CATALOG, ROOT_PASSWORD_HASH, treeOnDisk } from "../support/fleet";
import { installPackageInto, toolchainPath } from "../support/install";
import { freeTcpPort, freeUdpPort } from "../support/ports";
import { repoRoot, TEST_PASSPHRASE, type RunResult } from "../support/pulumi";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "checkouts-"));
const backend = path.join(work, "state");
const children = path.join(work, "children");

interface Checkout {
  dir: string;
  pulumi(args: string[], input?: string): Promise<RunResult>;
}

/**
 * A checkout: the project, its catalog copy, its own install of the package. Its program is the
 * package's stack program over the YAML catalog, or its own (`index.js`, with its payloads).
 */
function checkout(name: string, servers: object[], program?: string, stack = "site"): Checkout {
  const dir = path.join(work, name, "repo");
  fs.mkdirSync(path.join(dir, "stacks"), { recursive: true });
  fs.cpSync(EXAMPLE_CATALOG, path.join(dir, "catalog"), { recursive: true });
  const own = installPackageInto(dir);
  if (program !== undefined) {
    fs.writeFileSync(path.join(dir, "index.js"), program);
    fs.cpSync(path.join(repoRoot, "examples", "typed-catalog", "payloads"), path.join(dir, "payloads"), { recursive: true });
  }
  const main = program !== undefined ? "index.js" : path.relative(dir, path.join(own, "dist", "stacks", "index.js"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify({ name: "provisioning", runtime: "nodejs", main, stackConfigDir: "stacks" }));
  fs.writeFileSync(path.join(dir, "stacks", `Pulumi.${stack}.yaml`), stringify({ config: { ...(program === undefined ? { "provisioning:catalog": "catalog", "provisioning:catalogSecrets": ["root_password_hash"] } : {}), "provisioning:servers": servers } }));
  const env = { ...process.env, PATH: `${toolchainPath()}:${process.env.PATH}`, PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: "true" };
  return {
    dir,
    pulumi: (args, input) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(own, "bin", "provision.js"), "pulumi", ...args], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.end(input ?? "");
      }),
  };
}

async function ok(c: Checkout, args: string[], input?: string): Promise<RunResult> {
  const r = await c.pulumi(args, input);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} in ${c.dir} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

function stamps(root: string): Map<string, string> {
  return new Map([...treeOnDisk(root).keys()].map((rel) => {
    const st = fs.statSync(path.join(root, rel));
    return [rel, `${st.ino}:${st.mtimeMs}`];
  }));
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("two checkouts at different paths, one backend", () => {
  let a: Checkout;
  let b: Checkout;
  let servers: { name: string; transport: { root: string } }[];

  beforeAll(async () => {
    fs.mkdirSync(backend, { recursive: true });
    servers = [];
    for (const [name, profiles, arch] of [["co-a", ["web*"], "x86_64"], ["co-b", ["edge-*"], "aarch64"]] as const) {
      const root = path.join(children, name);
      fs.mkdirSync(root, { recursive: true, mode: 0o755 });
      servers.push({ name, site: "s", arch: [arch], profiles: [...profiles], transport: { kind: "local", root }, tftpPort: await freeUdpPort(), httpPort: await freeTcpPort() } as never);
    }
    fs.chmodSync(work, 0o755);
    fs.chmodSync(children, 0o755);
    a = checkout("alice", servers);
    b = checkout("ci-runner", servers);
    await ok(a, ["stack", "init", "site"]);
    await ok(a, ["config", "set", "--secret", "--stack", "site", "provisioning:root_password_hash"], ROOT_PASSWORD_HASH);
    // The stack file is part of the repository: the other checkout has the same one.
    fs.copyFileSync(path.join(a.dir, "stacks", "Pulumi.site.yaml"), path.join(b.dir, "stacks", "Pulumi.site.yaml"));
    await ok(a, ["up", "--yes", "--skip-preview", "--stack", "site"]);
  });
  afterAll(async () => {
    await a?.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "site"]);
    for (const s of servers ?? []) await runShScript(STOP_SERVICES_SCRIPT, { ...process.env, ROOT: s.transport.root }).catch(() => undefined);
  });

  it("the state names no path of either checkout", async () => {
    const state = (await ok(a, ["stack", "export", "--stack", "site"])).stdout;
    expect(state).not.toContain(path.join(work, "alice"));
    expect(state).not.toContain(path.join(work, "ci-runner"));
    expect(state).not.toContain(os.homedir() === "/" ? "\0" : `${os.homedir()}/`);
  });

  it("the second checkout's preview is empty and its up touches nothing", async () => {
    const before = new Map(servers.map((s) => [s.name, stamps(s.transport.root)]));
    const preview = JSON.parse((await ok(b, ["preview", "--json", "--stack", "site"])).stdout) as { steps: { op: string }[] };
    expect(preview.steps.filter((s) => s.op !== "same")).toEqual([]);
    const up = await ok(b, ["up", "--yes", "--skip-preview", "--stack", "site"]);
    expect(up.stdout).not.toMatch(/[~+-] {2}pulumi-nodejs/);
    for (const s of servers) expect(stamps(s.transport.root), s.name).toEqual(before.get(s.name));
  });
});

/** A catalog declared in code, its payloads named by absolute paths from the program's folder. */
const CODE_PROGRAM = `
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const { CentralServer } = require("pulumi-provisioning");
const config = new pulumi.Config("provisioning");
const payload = (file) => ({ path: path.join(__dirname, "payloads", file) });
new CentralServer("central", {
  catalog: {
    distributions: [
      { name: "tiny", arch: "x86_64", breed: "generic", kernel: payload("vmlinuz"), initrd: payload("initrd.img"), installTree: "http://mirror.example.org/tiny" },
      { name: "tiny-sum", arch: "x86_64", breed: "generic", kernel: { ...payload("vmlinuz"), sha256: "${sha256File("vmlinuz")}" }, initrd: payload("initrd.img"), installTree: "http://mirror.example.org/tiny" },
    ],
    profiles: [
      { name: "web", distribution: "tiny", autoinstall: "ks", variables: { root_password_hash: { secret: "root_password_hash" } } },
      { name: "web-sum", distribution: "tiny-sum", autoinstall: "ks" },
    ],
    templates: [{ name: "ks", kind: "autoinstall", text: "# {{ profile.name }}\\n" }],
  },
  servers: config.requireObject("servers"),
  secrets: { root_password_hash: config.requireSecret("root_password_hash") },
});
`;

function sha256File(name: string): string {
  return createHash("sha256").update(fs.readFileSync(path.join(repoRoot, "examples", "typed-catalog", "payloads", name))).digest("hex");
}

describe("a catalog in code with payloads at path.join(__dirname, …): two checkouts at different paths, one backend", () => {
  let a: Checkout;
  let b: Checkout;
  let servers: { name: string; transport: { root: string } }[];

  beforeAll(async () => {
    fs.mkdirSync(backend, { recursive: true });
    const root = path.join(children, "co-code");
    fs.mkdirSync(root, { recursive: true, mode: 0o755 });
    servers = [{ name: "co-code", site: "s", arch: ["x86_64"], profiles: ["web*"], transport: { kind: "local", root }, tftpPort: await freeUdpPort(), httpPort: await freeTcpPort() } as never];
    fs.chmodSync(work, 0o755);
    fs.chmodSync(children, 0o755);
    a = checkout("alice-code", servers, CODE_PROGRAM, "code");
    b = checkout("ci-runner-code", servers, CODE_PROGRAM, "code");
    await ok(a, ["stack", "init", "code"]);
    await ok(a, ["config", "set", "--secret", "--stack", "code", "provisioning:root_password_hash"], ROOT_PASSWORD_HASH);
    fs.copyFileSync(path.join(a.dir, "stacks", "Pulumi.code.yaml"), path.join(b.dir, "stacks", "Pulumi.code.yaml"));
    await ok(a, ["up", "--yes", "--skip-preview", "--stack", "code"]);
    expect([...treeOnDisk(root).keys()].filter((k) => k.endsWith("/vmlinuz")).length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await a?.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "code"]);
    for (const s of servers ?? []) await runShScript(STOP_SERVICES_SCRIPT, { ...process.env, ROOT: s.transport.root }).catch(() => undefined);
  });

  it("the state names no path of either checkout, and the second checkout's preview is empty and its up touches nothing", async () => {
    const state = (await ok(a, ["stack", "export", "--stack", "code"])).stdout;
    expect(state).not.toContain(path.join(work, "alice-code"));
    const before = new Map(servers.map((s) => [s.name, stamps(s.transport.root)]));
    const preview = JSON.parse((await ok(b, ["preview", "--json", "--stack", "code"])).stdout) as { steps: { op: string; urn: string }[] };
    expect(preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.slice(s.urn.lastIndexOf("::") + 2)}`)).toEqual([]);
    const up = await ok(b, ["up", "--yes", "--skip-preview", "--stack", "code"]);
    expect(up.stdout).not.toMatch(/[~+-] {2}pulumi-nodejs/);
    for (const s of servers) expect(stamps(s.transport.root), s.name).toEqual(before.get(s.name));
  });
});
