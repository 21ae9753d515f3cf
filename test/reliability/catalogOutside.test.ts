// In the review every pull request gets (`provision impact --base`), the pull request's tree is
// data, its stack file included. A payload root it adds is not honoured until the stack file at
// the base names it too, so no file of the runner is read, hashed or sized through it; a catalog
// path it names, or a catalog folder it replaces by a symbolic link, must lie in the project. The
// same catalog rule holds for validate, select, plan and the stack program. Each refusal is one
// located line that quotes nothing of what lies outside.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { EXAMPLE_CATALOG, STACK_PROGRAM } from "../support/fleet";
import { runProvision } from "../support/provisionCli";
import { createProject, type RunResult } from "../support/pulumi";

const MARKER = "MARKERVALUE7Q";
/** The marker file's size: not a number the review could show for anything else. */
const MARKER_SIZE = 31337;
const TIME_BOUND_MS = 60_000;
const KERNEL = "kernel: { path: payloads/rocky9-x86_64/vmlinuz, sha256: e0c7960275233675ee65637a29ae50142772a86f7a62a2f8d1362f15f03f78fe }";
const SERVERS = [{ name: "s1", site: "a", transport: { kind: "local", root: "/nonexistent/s1" }, arch: ["x86_64"], profiles: ["web*", "db"], tftpPort: 6969, httpPort: 8080 }];

let work: string;
let outside: string;
let markerFile: string;
let markerSha: string;
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-outside-"));
  // A folder of the runner outside every checkout: a catalog-shaped YAML file and a payload-sized file, both holding the marker.
  outside = path.join(work, "outside");
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, "leak.yaml"), `profiles:\n  - name: ${MARKER}\n    distribution: ${MARKER}\n`);
  markerFile = path.join(outside, "marker.bin");
  const bytes = Buffer.alloc(MARKER_SIZE, `${MARKER}\n`);
  fs.writeFileSync(markerFile, bytes);
  markerSha = createHash("sha256").update(bytes).digest("hex");
});

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { encoding: "utf8" }).trim();

/** A checkout whose base commit holds `baseConfig` in stacks/Pulumi.prod.yaml (none: no stack file then) and the example catalog. */
function checkout(baseConfig: Record<string, unknown> | undefined): { repo: string; base: string; stackFile: string } {
  const repo = fs.mkdtempSync(path.join(work, "pr-"));
  git(repo, "init", "-q", "-b", "main");
  fs.cpSync(EXAMPLE_CATALOG, path.join(repo, "catalog"), { recursive: true });
  const stackFile = path.join(repo, "stacks", "Pulumi.prod.yaml");
  fs.mkdirSync(path.dirname(stackFile));
  if (baseConfig) writeStack(stackFile, baseConfig);
  else fs.writeFileSync(path.join(repo, "stacks", ".keep"), "");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "base");
  return { repo, base: git(repo, "rev-parse", "HEAD"), stackFile };
}

function writeStack(file: string, config: Record<string, unknown>): void {
  fs.writeFileSync(file, stringify({ config: { "provisioning:catalog": "catalog", "provisioning:catalogSecrets": ["root_password_hash"], "provisioning:servers": SERVERS, ...config } }));
}

/** The pull request's commit: what `change` leaves in the checkout. */
function pullRequest(repo: string, change: () => void): void {
  change();
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "pull request");
}

const lineOf = (file: string, needle: string) => fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(needle)) + 1;

/** The review as the CI recipe runs it: the base branch's provision over the checkout, no Pulumi variable, no secret. */
const impact = (repo: string, base: string) => runProvision(["impact", "--base", base, "--stack", "prod", "--project", repo, "--markdown"], { cwd: repo, env: { PATH: process.env.PATH, HOME: work }, timeoutMs: TIME_BOUND_MS });

/** Exit 1, exactly the expected lines on stderr, nothing on stdout, nothing of the marker file (content, hash, size) nor of /etc/hostname. */
function expectRefused(r: RunResult, lines: readonly string[]): void {
  const out = r.stdout + r.stderr;
  expect(r.code, out).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n"), out).toEqual(lines);
  expect(out).not.toContain(MARKER);
  // The markdown shows a sha256 by its first 12 digits.
  expect(out).not.toContain(markerSha.slice(0, 12));
  expect(out).not.toContain(String(MARKER_SIZE));
  if (fs.existsSync("/etc/hostname")) expect(out).not.toContain(createHash("sha256").update(fs.readFileSync("/etc/hostname")).digest("hex").slice(0, 12));
  expect(out).not.toMatch(/\n\s+at /);
}

const unreviewed = (stackFile: string, i: number, root: string, base: string) =>
  `${stackFile}:${lineOf(stackFile, `- ${root}`)} provisioning:payloadRoots[${i}]: payload root ${root} is not in this stack file at ${base}: a payload root takes effect once the change naming it is reviewed and merged`;

const unreviewedSecret = (stackFile: string, i: number, name: string, base: string) =>
  `${stackFile}:${lineOf(stackFile, `- ${name}`)} provisioning:catalogSecrets[${i}]: catalog secret "${name}" is not in this stack file at ${base}: a catalog secret takes effect once the change naming it is reviewed and merged`;

/** The example's rocky9 kernel pointed at `kernelPath`, with no sha256: a review would read and hash it. */
function pointKernel(repo: string, kernelPath: string): void {
  const file = path.join(repo, "catalog", "distributions.yaml");
  const text = fs.readFileSync(file, "utf8");
  expect(text).toContain(KERNEL);
  fs.writeFileSync(file, text.replace(KERNEL, `kernel: { path: ${kernelPath} }`));
}

describe("impact --base honours only the payload roots the base's stack file names", () => {
  const ROOT_CASES: { name: string; baseRoots: string[] | undefined; roots: () => string[]; kernel: () => string; refused: () => number[] }[] = [
    { name: "a folder of the runner holding the marker", baseRoots: [], roots: () => [outside], kernel: () => markerFile, refused: () => [0] },
    { name: "/etc, for /etc/hostname", baseRoots: [], roots: () => ["/etc"], kernel: () => "/etc/hostname", refused: () => [0] },
    { name: "the folder above the checkout, reached by a relative payload path", baseRoots: [], roots: () => [work], kernel: () => "../../outside/marker.bin", refused: () => [0] },
    { name: "a new root beside one the base names: only the new one is refused", baseRoots: ["/usr/share"], roots: () => ["/usr/share", outside], kernel: () => markerFile, refused: () => [1] },
    { name: "two new roots: both reported at once", baseRoots: [], roots: () => ["/etc", outside], kernel: () => markerFile, refused: () => [0, 1] },
    { name: "a stack file the base did not have yet", baseRoots: undefined, roots: () => [outside], kernel: () => markerFile, refused: () => [0] },
  ];

  it.each(ROOT_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { repo, base, stackFile } = checkout(c.baseRoots === undefined ? undefined : { "provisioning:payloadRoots": c.baseRoots });
    pullRequest(repo, () => {
      writeStack(stackFile, { "provisioning:payloadRoots": c.roots() });
      pointKernel(repo, c.kernel());
    });
    // A stack file new in the pull request declares its catalog secret unreviewed too.
    const secrets = c.baseRoots === undefined ? [unreviewedSecret(stackFile, 0, "root_password_hash", base)] : [];
    expectRefused(await impact(repo, base), [...c.refused().map((i) => unreviewed(stackFile, i, c.roots()[i]!, base)), ...secrets]);
  });

  it("plan --base refuses it the same way, before the engine runs", async () => {
    const { repo, base, stackFile } = checkout({});
    pullRequest(repo, () => {
      writeStack(stackFile, { "provisioning:payloadRoots": [outside] });
      pointKernel(repo, markerFile);
    });
    const store = fs.mkdtempSync(path.join(work, "store-"));
    const r = await runProvision(["plan", "--stack", "prod", "--project", repo, "--base", base], { cwd: repo, env: { ...process.env, PROVISIONING_STORE: store }, timeoutMs: TIME_BOUND_MS });
    expectRefused(r, [unreviewed(stackFile, 0, outside, base)]);
  });

  it("a root the base's stack file names is honoured: its payload is reviewed", async () => {
    const { repo, base, stackFile } = checkout({ "provisioning:payloadRoots": [outside] });
    pullRequest(repo, () => pointKernel(repo, markerFile));
    const r = await impact(repo, base);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(fs.readFileSync(stackFile, "utf8")).toContain(outside);
    expect(r.stdout).toContain(`${MARKER_SIZE} bytes, sha256 ${markerSha.slice(0, 12)}`);
  });
});

describe("impact and plan --base honour only the catalog secrets the base's stack file declares", () => {
  const SECRET_CASES: { name: string; base: string[] | undefined; now: string[]; refused: number[] }[] = [
    { name: "a name added beside the base's", base: ["root_password_hash"], now: ["root_password_hash", "lab_ssh_key"], refused: [1] },
    { name: "two names added: both reported at once", base: ["root_password_hash"], now: ["root_password_hash", "bmc_pw", "api_token"], refused: [1, 2] },
    { name: "a name replaced by another", base: ["root_password_hash"], now: ["root_hash_2"], refused: [0] },
    { name: "another case of a base's name", base: ["root_password_hash"], now: ["ROOT_PASSWORD_HASH"], refused: [0] },
    { name: "a base that declares none", base: [], now: ["root_password_hash"], refused: [0] },
  ];
  it.each(SECRET_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { repo, base, stackFile } = checkout({ "provisioning:catalogSecrets": c.base });
    pullRequest(repo, () => writeStack(stackFile, { "provisioning:catalogSecrets": c.now }));
    expectRefused(await impact(repo, base), c.refused.map((i) => unreviewedSecret(stackFile, i, c.now[i]!, base)));
  });

  it("plan --base refuses it the same way, before the engine runs", async () => {
    const { repo, base, stackFile } = checkout({});
    pullRequest(repo, () => writeStack(stackFile, { "provisioning:catalogSecrets": ["root_password_hash", "lab_ssh_key"] }));
    const store = fs.mkdtempSync(path.join(work, "store-"));
    const r = await runProvision(["plan", "--stack", "prod", "--project", repo, "--base", base], { cwd: repo, env: { ...process.env, PROVISIONING_STORE: store }, timeoutMs: TIME_BOUND_MS });
    expectRefused(r, [unreviewedSecret(stackFile, 1, "lab_ssh_key", base)]);
  });

  it("the names the base declares are honoured", async () => {
    const { repo, base } = checkout({});
    pullRequest(repo, () => pointKernel(repo, "payloads/rocky9-x86_64/vmlinuz"));
    const r = await impact(repo, base);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe("impact --base reads the pull request's stack file and Pulumi.yaml only as regular files of the project", () => {
  const refusedAs = "it is a symbolic link that leads outside the project folder";
  const CASES: { name: string; change: (repo: string, stackFile: string) => void; line: (repo: string, stackFile: string) => string }[] = [
    { name: "a stack file linked to /dev/zero", change: (_r, f) => (fs.rmSync(f), fs.symlinkSync("/dev/zero", f)), line: (_r, f) => `${f}: cannot read stack config: ${refusedAs}` },
    { name: "a stack file linked to a file of the runner", change: (_r, f) => (fs.rmSync(f), fs.symlinkSync(path.join(outside, "leak.yaml"), f)), line: (_r, f) => `${f}: cannot read stack config: ${refusedAs}` },
    { name: "a stack file that is a FIFO", change: (_r, f) => (fs.rmSync(f), execFileSync("mkfifo", [f])), line: (_r, f) => `${f}: cannot read stack config: it is a FIFO, not a regular file` },
    { name: "Pulumi.yaml linked to /dev/zero", change: (r) => fs.symlinkSync("/dev/zero", path.join(r, "Pulumi.yaml")), line: (r) => `${path.join(r, "Pulumi.yaml")}: cannot read project file: ${refusedAs}` },
  ];
  it.each(CASES.map((c) => [c.name, c] as const))("%s is refused unread, promptly", async (_name, c) => {
    const { repo, base, stackFile } = checkout({});
    // Not committed: git keeps no FIFO, and the review reads the checkout as it finds it.
    c.change(repo, stackFile);
    expectRefused(await impact(repo, base), [c.line(repo, stackFile)]);
  });
});

describe("the stack's catalog lies in the project", () => {
  const linkRefused = (stackFile: string, repo: string, written = "catalog") =>
    `${stackFile}:${lineOf(stackFile, "provisioning:catalog")} provisioning:catalog: cannot read catalog ${JSON.stringify(written)}: it is (or lies in) a symbolic link that leads outside the project folder ${repo}; a catalog must lie in the project`;
  const outsideRefused = (stackFile: string, repo: string, written: string) =>
    `${stackFile}:${lineOf(stackFile, "provisioning:catalog")} provisioning:catalog: cannot read catalog ${JSON.stringify(written)}: it is outside the project folder ${repo}; a catalog must lie in the project`;

  /** The catalog folder replaced by a link, the families a pull request can commit. */
  const LINKS: { name: string; link: (repo: string) => void }[] = [
    { name: "an absolute link to a folder outside", link: (repo) => fs.symlinkSync(outside, path.join(repo, "catalog")) },
    { name: "a relative link up and out", link: (repo) => fs.symlinkSync(path.relative(repo, outside), path.join(repo, "catalog")) },
    { name: "a chain of links through the checkout", link: (repo) => (fs.symlinkSync(outside, path.join(repo, "hop")), fs.symlinkSync("hop", path.join(repo, "catalog"))) },
    { name: "a link to /", link: (repo) => fs.symlinkSync("/", path.join(repo, "catalog")) },
  ];
  const replaced = (link: (repo: string) => void) => {
    const c = checkout({});
    pullRequest(c.repo, () => {
      fs.rmSync(path.join(c.repo, "catalog"), { recursive: true });
      link(c.repo);
    });
    return c;
  };

  it.each(LINKS.map((c) => [c.name, c] as const))("impact --base: %s", async (_name, c) => {
    const { repo, base, stackFile } = replaced(c.link);
    expectRefused(await impact(repo, base), [linkRefused(stackFile, repo)]);
  });

  it.each(LINKS.map((c) => [c.name, c] as const))("validate, select and plan: %s", async (_name, c) => {
    const { repo, stackFile } = replaced(c.link);
    const run = (args: string[]) => runProvision(args, { cwd: repo, env: { ...process.env, PROVISIONING_STORE: path.join(work, "store") }, timeoutMs: TIME_BOUND_MS });
    const argRefused = "catalog: cannot read catalog: it is (or lies in) a symbolic link that leads outside the current folder; name the folder it leads to";
    expectRefused(await run(["validate", "catalog"]), [argRefused]);
    expectRefused(await run(["select", "catalog", "--stack", "prod", "--server", "s1", "--project", repo]), [linkRefused(stackFile, repo)]);
    expectRefused(await run(["plan", "--stack", "prod", "--project", repo]), [linkRefused(stackFile, repo)]);
  });

  const PATHS: { name: string; written: () => string; line: (stackFile: string, repo: string, written: string) => string }[] = [
    { name: "an absolute path outside", written: () => outside, line: outsideRefused },
    { name: "/etc", written: () => "/etc", line: outsideRefused },
    { name: "a relative path up and out", written: () => "RELATIVE", line: outsideRefused },
    { name: "an absolute path into the project through a link", written: () => "/PROJECT/hop", line: linkRefused },
  ];

  it.each(PATHS.map((c) => [c.name, c] as const))("impact --base, a stack file naming %s", async (_name, c) => {
    const { repo, base, stackFile } = checkout({});
    let written = c.written();
    pullRequest(repo, () => {
      if (written.startsWith("/PROJECT/")) {
        written = path.join(repo, written.slice("/PROJECT/".length));
        fs.symlinkSync(outside, written);
      } else if (written === "RELATIVE") written = path.relative(repo, outside);
      writeStack(stackFile, { "provisioning:catalog": written });
    });
    expectRefused(await impact(repo, base), [c.line(stackFile, repo, written)]);
  });

  it("the stack program refuses a catalog folder replaced by a link, before any resource", async () => {
    const project = await createProject({ stack: "t", main: STACK_PROGRAM, config: { "provisioning:catalog": "catalog", "provisioning:servers": [] } });
    try {
      fs.symlinkSync(outside, path.join(project.dir, "catalog"));
      const r = await project.run(["preview", "--stack", "t"]);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.code, out).not.toBe(0);
      const stackFile = path.join(project.dir, "stacks", "Pulumi.t.yaml");
      expect(out).toContain("invalid provisioning input:");
      expect(out).toContain(linkRefused(stackFile, project.dir));
      expect(out).not.toContain(MARKER);
    } finally {
      fs.rmSync(project.dir, { recursive: true, force: true });
    }
  });
});
