// The package as a Pulumi team installs it: `npm pack`, then each project under examples/ installs
// the tarball (not a path into this repository) and runs on the real engine against local
// children, with the Pulumi CLI a consumer has on PATH. Then the project moves to another folder:
// the preview is empty and `destroy` works. The typed example also type-checks against the
// package's declarations, and its child's address comes from another resource's output.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeOnDisk } from "../support/fleet";
import { httpGet } from "../support/http";
import { toolchainPath } from "../support/install";
import { freeTcpPort, freeUdpPort } from "../support/ports";
import { repoRoot, TEST_PASSPHRASE, type RunResult } from "../support/pulumi";
import { tftpGet } from "../support/tftp";
import { STOP_SERVICES_SCRIPT } from "../../components/scripts";
import { runShScript } from "../../components/transports/local";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "examples-"));
const backend = path.join(work, "state");
let tarball: string;

/** A command in the example's folder, as its user runs it (the Pulumi CLI on PATH, a backend and a passphrase of theirs). */
function run(cwd: string, command: string, args: string[], input = ""): Promise<RunResult> {
  const { NODE_OPTIONS: _n, VITEST: _v, VITEST_POOL_ID: _vp, VITEST_WORKER_ID: _vw, ...base } = process.env;
  const env = { ...base, PATH: `${toolchainPath()}:${process.env.PATH}`, PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: "true" };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function ok(cwd: string, command: string, args: string[], input = ""): Promise<RunResult> {
  const r = await run(cwd, command, args, input);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} in ${cwd} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const pulumi = (cwd: string, args: string[], input = "") => ok(cwd, "npx", ["provision", "pulumi", ...args, "--non-interactive"], input);

/** A copy of examples/<name> that depends on the packed tarball, installed. */
async function installed(name: string): Promise<string> {
  const dir = path.join(work, name);
  fs.cpSync(path.join(repoRoot, "examples", name), dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  manifest.dependencies["pulumi-provisioning"] = `file:${tarball}`;
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  await ok(dir, "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"]);
  // An installed copy: compiled code, declarations, no TypeScript sources.
  const own = path.join(dir, "node_modules", "pulumi-provisioning");
  expect(fs.existsSync(path.join(own, "dist", "components", "index.js"))).toBe(true);
  expect(fs.existsSync(path.join(own, "dist", "components", "index.d.ts"))).toBe(true);
  expect(fs.existsSync(path.join(own, "src"))).toBe(false);
  expect(fs.existsSync(path.join(own, "test"))).toBe(false);
  return dir;
}

/** Moves a project to another folder, as a colleague's checkout or a CI runner has it. */
function moved(dir: string): string {
  const to = path.join(work, "elsewhere", path.basename(dir));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.renameSync(dir, to);
  return to;
}

const noChanges = async (dir: string) => {
  const preview = JSON.parse((await pulumi(dir, ["preview", "--json", "--stack", "test"])).stdout) as { steps: { op: string }[] };
  expect(preview.steps.filter((s) => s.op !== "same")).toEqual([]);
};

describe("the packed package in consumer projects, on the real engine", () => {
  const roots: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(backend, { recursive: true });
    fs.chmodSync(work, 0o755);
    const out = execFileSync("npm", ["pack", "--pack-destination", work, "--json"], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const packed = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(work, packed[0]!.filename);
    // What the tarball ships: compiled code, scripts, the README; no tests, bench or fixtures.
    const files = packed[0]!.files.map((f) => f.path);
    expect(files.filter((f) => /^(test|bench|examples|scripts|src|stacks)\//.test(f) || f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });
  afterAll(async () => {
    for (const root of roots) await runShScript(STOP_SERVICES_SCRIPT, { ...process.env, ROOT: root }).catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("the YAML catalog with its servers from Pulumi config: up, then from another folder an empty preview and a destroy", async () => {
    let dir = await installed("yaml-catalog");
    const root = path.join(work, "children", "yaml-a");
    roots.push(root);
    const server = { name: "yaml-a", site: "lab", arch: ["x86_64"], profiles: ["web*"], transport: { kind: "local", root }, tftpPort: await freeUdpPort(), httpPort: await freeTcpPort() };
    await pulumi(dir, ["stack", "init", "test"]);
    await pulumi(dir, ["config", "set", "--stack", "test", "provisioning:catalog", "catalog"]);
    await pulumi(dir, ["config", "set", "--path", "--stack", "test", "provisioning:catalogSecrets[0]", "root_password_hash"]);
    await pulumi(dir, ["config", "set", "--secret", "--stack", "test", "provisioning:root_password_hash"], "$6$example$hash");
    // The servers through --config, as a CI job or the Automation API would give them.
    await pulumi(dir, ["up", "--yes", "--skip-preview", "--stack", "test", "--config", `provisioning:servers=${JSON.stringify([server])}`]);
    expect(treeOnDisk(root).has("http/autoinstall/web.cfg")).toBe(true);
    expect((await httpGet(server.httpPort, "/autoinstall/web.cfg")).toString("utf8")).toContain("rootpw --iscrypted $6$example$hash");
    await noChanges(dir);

    dir = moved(dir);
    await noChanges(dir);
    await pulumi(dir, ["destroy", "--yes", "--skip-preview", "--stack", "test"]);
    expect([...treeOnDisk(root).keys()]).toEqual([]);
  });

  it("a typed catalog in code, an address from another resource's output: type-checks, places, follows the address", async () => {
    let dir = await installed("typed-catalog");
    await ok(dir, "npx", ["tsc", "--noEmit", "-p", "."]);
    const root = path.join(work, "children", "typed-a");
    roots.push(root);
    const [tftpPort, httpPort] = [await freeUdpPort(), await freeTcpPort()];
    await pulumi(dir, ["stack", "init", "test"]);
    for (const [key, value] of [["root", root], ["tftpPort", String(tftpPort)], ["httpPort", String(httpPort)]] as const) await pulumi(dir, ["config", "set", "--stack", "test", key, value]);
    await pulumi(dir, ["config", "set", "--secret", "--stack", "test", "rootPasswordHash"], "$6$typed$hash");
    await pulumi(dir, ["up", "--yes", "--skip-preview", "--stack", "test"]);
    expect((await tftpGet(tftpPort, "pxelinux.cfg/default")).toString("utf8")).toContain("inst.ks=http://127.0.0.1:");
    expect((await httpGet(httpPort, "/autoinstall/web.cfg")).toString("utf8")).toBe(`# web (web), from http://127.0.0.1:${httpPort}\nrootpw --iscrypted $6$typed$hash\n`);
    await noChanges(dir);

    // The VM's address changes: while it is unknown the preview shows the child as changing.
    await pulumi(dir, ["config", "set", "--stack", "test", "vmAddress", "127.0.0.2"]);
    const preview = JSON.parse((await pulumi(dir, ["preview", "--json", "--stack", "test"])).stdout) as { steps: { op: string; urn: string }[] };
    expect(preview.steps.filter((s) => s.op === "update").map((s) => s.urn.slice(s.urn.lastIndexOf("::") + 2)).sort()).toEqual(["pxe-vm", "pxe-vm"]);
    await pulumi(dir, ["up", "--yes", "--skip-preview", "--stack", "test"]);
    expect(fs.readFileSync(path.join(root, "tftp", "pxelinux.cfg", "default"), "utf8")).toContain(`inst.ks=http://127.0.0.2:${httpPort}/autoinstall/web.cfg`);

    dir = moved(dir);
    await noChanges(dir);
    await pulumi(dir, ["destroy", "--yes", "--skip-preview", "--stack", "test"]);
    expect([...treeOnDisk(root).keys()]).toEqual([]);
  });

  it("a mistake in a catalog declared in code names the object", async () => {
    const dir = path.join(work, "elsewhere", "typed-catalog");
    const index = path.join(dir, "index.ts");
    fs.writeFileSync(index, fs.readFileSync(index, "utf8").replace('{ name: "web", parent: "base"', '{ name: "web", parent: "bsae"'));
    const r = await run(dir, "npx", ["provision", "pulumi", "preview", "--stack", "test", "--non-interactive"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('(code) profiles[web].parent: unknown profile "bsae" (known: base, web)');
  });
});
