// The second wall around templates: the renderer process. Suppose a template found a way past
// the engine's confinement (test/core/confinement.test.ts) and ran JavaScript: in the renderer it
// still reads no file, writes none, starts no process, sees no secret and reaches no network.
// Proven by running, under the renderer's exact command line and lock-down, a probe that tries.
// The wall lets the renderer read its own code wherever links put it (a linked node_modules, a
// workspace package), and a read it is refused is one line that names the file.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../components/packageRoot";
import { RenderError, renderFailure, sandboxCommand } from "../../components/sandbox";
import { installPackageInto } from "../support/install";
import { runProvision } from "../support/provisionCli";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-probe-"));
const secretFile = path.join(work, "secret.txt");
const marker = path.join(work, "marker");
const SECRET = "passphrase-in-the-parent-environment";

/** Each attempt prints `name: denied (why)` or `name: ALLOWED (what it got)`. */
const PROBE = `
const lockDown = require(process.argv[2]).lockDown;
const [secretFile, marker, url, readme] = process.argv.slice(3);
lockDown();
const out = [];
const attempt = (name, fn) => {
  try { out.push(name + ": ALLOWED (" + String(fn()).slice(0, 60) + ")"); }
  catch (e) { out.push(name + ": denied (" + (e && (e.code || e.name)) + ")"); }
};
const fs = process.getBuiltinModule ? null : null;
attempt("read a secret file", () => require("node:fs").readFileSync(secretFile, "utf8"));
attempt("read /etc/shadow", () => require("node:fs").readFileSync("/etc/shadow", "utf8"));
attempt("read the package's README", () => require("node:fs").readFileSync(readme, "utf8"));
attempt("write a marker file", () => require("node:fs").writeFileSync(marker, "x"));
attempt("start a process", () => require("node:child_process").execSync("touch " + marker));
attempt("start a worker", () => new (require("node:worker_threads").Worker)("1", { eval: true }));
attempt("new Function", () => new Function("return process")());
attempt("eval", () => eval("1 + 1"));
attempt("Function from a constructor chain", () => ({}).constructor.constructor("return 1")());
attempt("process.binding", () => process.binding("spawn_sync"));
attempt("process.dlopen", () => process.dlopen({ exports: {} }, "/lib/x86_64-linux-gnu/libc.so.6"));
attempt("process.mainModule.require", () => process.mainModule.require("node:net"));
attempt("signal another process", () => process.kill(process.ppid, 0));
attempt("fetch", () => fetch(url));
attempt("the environment", () => { const v = process.env.PULUMI_CONFIG_PASSPHRASE; if (v === undefined) throw Object.assign(new Error(), { code: "unset" }); return v; });
attempt("WebAssembly", () => new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
process.stdout.write(out.join("\\n"));
`;

describe("the renderer process: a template that ran code would find nothing to reach", () => {
  let server: http.Server;
  let url: string;
  let requests = 0;
  const probeFile = path.join(work, "probe.js");

  beforeAll(async () => {
    fs.writeFileSync(secretFile, "the content of a secret\n");
    fs.writeFileSync(probeFile, PROBE);
    server = http.createServer((_, res) => {
      requests++;
      res.end("reached");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(() => {
    server?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("denies every way out under the renderer's own command line and lock-down", () => {
    const { node, args } = sandboxCommand(probeFile);
    const lockDown = path.join(packageRoot, "dist", "components", "sandbox", "lockDown.js");
    const r = spawnSync(node, [...args, lockDown, secretFile, marker, url, path.join(packageRoot, "README.md")], {
      // The parent's environment holds a passphrase; the renderer is started with none (as runSandboxed does).
      env: {},
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    const results = r.stdout.split("\n");
    expect(results).toHaveLength(16);
    for (const line of results) expect(line, line).toMatch(/: denied \(/);
    expect(fs.existsSync(marker)).toBe(false);
    expect(requests).toBe(0);
    expect(r.stdout).not.toContain("the content of a secret");
  });

  it("a project whose node_modules, or whose copy of the package, is a link renders, whether Node follows links or keeps them", async () => {
    // A CI cache: the project's node_modules is a link to a folder elsewhere.
    const cache = path.join(work, "ci-cache");
    installPackageInto(cache);
    const cached = path.join(work, "cached-project");
    fs.mkdirSync(cached);
    fs.symlinkSync(path.join(cache, "node_modules"), path.join(cached, "node_modules"));
    // A workspace: the package's folder under node_modules is a link to its folder in the repository.
    const workspace = path.join(work, "workspace");
    const own = installPackageInto(workspace);
    fs.mkdirSync(path.join(workspace, "packages"));
    fs.renameSync(own, path.join(workspace, "packages", "pulumi-provisioning"));
    fs.symlinkSync(path.join("..", "packages", "pulumi-provisioning"), own);
    for (const project of [cached, workspace]) {
      fs.cpSync(path.join(packageRoot, "stacks", "catalogs", "example"), path.join(project, "catalog"), { recursive: true });
      for (const nodeOptions of ["", "--preserve-symlinks", "--preserve-symlinks --preserve-symlinks-main"]) {
        const r = spawnSync(process.execPath, [path.join(project, "node_modules", "pulumi-provisioning", "bin", "provision.js"), "validate", "catalog"], { cwd: project, env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: "utf8" });
        expect({ project: path.basename(project), nodeOptions, code: r.status, stderr: r.stderr }).toEqual({ project: path.basename(project), nodeOptions, code: 0, stderr: "" });
        expect(r.stdout).toMatch(/^ok: /);
      }
    }
  });

  it("a file the renderer is refused is one line naming it, no stack trace", () => {
    const reader = path.join(work, "reader.js");
    fs.writeFileSync(reader, `require("node:fs").readFileSync(${JSON.stringify(secretFile)});\n`);
    const { node, args } = sandboxCommand(reader);
    const r = spawnSync(node, args, { env: {}, encoding: "utf8" });
    expect(r.stderr).toContain("ERR_ACCESS_DENIED");
    const e = renderFailure(r.status, r.signal, r.stderr, 1000);
    expect(e).toBeInstanceOf(RenderError);
    expect(e.message).toBe(`the renderer may not read ${secretFile}: it reads only this package's compiled code and nunjucks, zod, picomatch, each at its real path`);
  });

  it("a hostile catalog through `provision validate`: a located error, no marker, no secret", async () => {
    const catalog = path.join(work, "catalog");
    fs.cpSync(path.join(packageRoot, "stacks", "catalogs", "example"), catalog, { recursive: true });
    fs.appendFileSync(
      path.join(catalog, "templates.yaml"),
      `  - name: evil\n    kind: snippet\n    text: x {{ range.constructor("return process.mainModule.require('child_process').execSync('touch ${marker}').toString()")() }}\n`,
    );
    const r = await runProvision(["validate", catalog], { env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: SECRET } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${path.join(catalog, "templates.yaml").replace(/[.]/g, "\\.")}:\\d+ template evil: the lookup of "constructor" is refused`));
    expect(r.stderr).not.toContain("    at ");
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("a template that never ends, or builds huge output, is stopped with a clear error", async () => {
    const catalog = path.join(work, "loop");
    fs.cpSync(path.join(packageRoot, "stacks", "catalogs", "example"), catalog, { recursive: true });
    const file = path.join(catalog, "templates.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("{{ profile.variables.motd_banner }}", "{% for i in range(100000000) %}{% for j in range(100000000) %}x{% endfor %}{% endfor %}"));
    const r = await runProvision(["validate", catalog], { env: { ...process.env, PROVISIONING_RENDER_TIMEOUT: "5" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rendering the catalog (took longer than 5 s|ran out of memory)/);
    expect(r.stderr).not.toContain("    at ");
  });
});
