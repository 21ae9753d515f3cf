// The first ten minutes, as a newcomer runs them in a fresh clone: `npm install`, then the
// commands the README shows, in its order and out of it. Every one works (the toolchain sets
// itself up, a cached no-op once built), none prints a stack trace; `npm start` says how to stop
// and what to try next, runs twice in a row, and refuses clearly when another program holds its
// ports; `npm stop` leaves nothing listening.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { freeTcpPort, freeUdpPort } from "../support/ports";
import { repoRoot, type RunResult } from "../support/pulumi";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "newcomer-"));
const clone = path.join(work, "pulumi-provisioning");

/** A command as the newcomer types it in the clone: a clean environment of their own. */
function sh(command: string, args: string[], timeoutMs = 600_000): Promise<RunResult> {
  const { PULUMI_CONFIG_PASSPHRASE: _p, PULUMI_BACKEND_URL: _b, NODE_OPTIONS: _n, PULUMI_HOME: _h, VITEST: _v, VITEST_POOL_ID: _vp, VITEST_WORKER_ID: _vw, NODE_ENV: _ne, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: clone, env, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const noStackTrace = (r: RunResult) => expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1").once("connect", () => (s.destroy(), resolve(true))).once("error", () => resolve(false));
  });
}

describe("a newcomer's first commands in a fresh clone", () => {
  let ports: { tftp: number; http: number }[];

  beforeAll(async () => {
    execFileSync("git", ["clone", "--quiet", repoRoot, clone]);
    const install = await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"]);
    expect(install.code, install.stdout + install.stderr).toBe(0);
  });
  afterAll(async () => {
    await sh("npm", ["stop"]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("`npx provision --help` lists every command with an example; each command's --help its options", async () => {
    const help = await sh("npx", ["provision", "--help"]);
    expect(help.code).toBe(0);
    for (const command of ["validate", "select", "impact", "plan", "up", "pulumi"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
      expect(help.stdout).toContain(`e.g. provision ${command} `);
    }
    const plan = await sh("npx", ["provision", "plan", "--help"]);
    expect(plan.stdout).toMatch(/^Usage: provision plan --stack S/);
    for (const option of ["--json", "--markdown", "--html FILE", "--refresh"]) expect(plan.stdout).toContain(option);
    expect(plan.stdout).toMatch(/^Example: provision plan /m);
  });

  it("commands that need the Pulumi CLI set it up themselves, before `npm start` too", async () => {
    const ls = await sh("npm", ["run", "pulumi", "--", "stack", "ls"]);
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);
    noStackTrace(ls);
    // Planning a stack that does not exist yet: one clear line, no stack trace.
    const plan = await sh("npx", ["provision", "plan", "--stack", "dev"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("the stack dev does not exist yet: `npm start` creates the demo's");
    noStackTrace(plan);
  });

  it("`npm start` refuses clearly when another program holds the demo's ports", async () => {
    const stack = parse(fs.readFileSync(path.join(clone, "stacks", "Pulumi.dev.yaml"), "utf8"));
    const port = stack.config["provisioning:servers"][0].httpPort as number;
    const blocker = net.createServer();
    const held = await new Promise<boolean>((resolve) => blocker.once("error", () => resolve(false)).listen(port, "127.0.0.1", () => resolve(true)));
    try {
      const start = await sh("npm", ["start"]);
      expect(start.code).not.toBe(0);
      expect(start.stderr).toContain(`demo: ports of the demo are taken by another program: HTTP ${port}`);
      expect(start.stderr).toContain("Stop it there with `npm stop`");
      noStackTrace(start);
    } finally {
      if (held) blocker.close();
    }
  });

  it("`npm start` serves the demo and says what to try next and how to stop; a second run just works; `npm stop` leaves nothing listening", async () => {
    // The demo's own ports may be in use on this machine (this repository's demo): the clone's go elsewhere.
    const file = path.join(clone, "stacks", "Pulumi.dev.yaml");
    const stack = parse(fs.readFileSync(file, "utf8"));
    ports = [];
    for (const s of stack.config["provisioning:servers"]) {
      s.tftpPort = await freeUdpPort();
      s.httpPort = await freeTcpPort();
      ports.push({ tftp: s.tftpPort, http: s.httpPort });
    }
    fs.writeFileSync(file, stringify(stack));

    const first = await sh("npm", ["start"]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain("as on the child");
    expect(first.stdout).not.toContain("NOT SERVED");
    expect(first.stdout).toContain("npm stop                            take the demo down");
    expect(first.stdout).toContain("npm run plan");
    for (const p of ports) expect(await listening(p.http)).toBe(true);

    const second = await sh("npm", ["start"]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/\d+ unchanged/);
    expect(second.stdout).not.toMatch(/pulumi-nodejs:dynamic:Resource \S+ (created|updated|deleted|replaced)/);

    const stop = await sh("npm", ["stop"]);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(stop.stdout).toContain("demo: stopped; nothing listens on the demo's ports");
    for (const p of ports) expect(await listening(p.http)).toBe(false);
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(path.join(clone, ".children"));
  });
});
