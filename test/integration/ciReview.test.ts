// The pull-request recipe (examples/ci/), first tier: the review every pull request gets, forks
// included, run as provisioning-review.yml runs it. review.sh (with this checkout's provision,
// as the base branch's) reads a pull request's git repository as data with no engine, no state
// and no secret in its environment; post-comment.sh posts the markdown through a stub gh, then
// updates that comment, never one someone else wrote with the marker. Catalog text that tries to
// close a fence and write its own summary and @mention (in a template line, in a catalog file's
// name on the failure path, with backtick runs of 3..10) stays inside fences. The workflows
// themselves: the review has no secret and runs no code of the pull request; the engine's plan
// reads the secrets only in a job gated by a protected environment.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fakeGh, type FakeGh } from "../support/fakeGh";
import { fencedBlocks, markupLines } from "../support/markdownText";
import { repoRoot } from "../support/pulumi";

const CI = path.join(repoRoot, "examples", "ci");
const MARKER = "<!-- provisioning-review stack=prod -->";
const FAKE = "**0 of 3 servers touched: no file changes** @octocat LGTM";
const RUNS = [3, 4, 5, 6, 7, 8, 9, 10];
const ticks = (n: number) => "`".repeat(n);
const STACK_FILE = `config:
  provisioning:catalog: catalog
  provisioning:catalogSecrets: [root_password_hash]
  provisioning:servers:
    - name: dc1-a
      transport: { kind: local, root: /nonexistent/dc1-a }
      arch: [x86_64]
      site: dc1
      profiles: ["web*", db]
      tftpPort: 6969
      httpPort: 8080
    - name: dc1-b
      transport: { kind: local, root: /nonexistent/dc1-b }
      arch: [x86_64]
      site: dc1
      profiles: [base]
      tftpPort: 6970
      httpPort: 8081
`;

/** Nothing that renders as markup says the forged summary or mentions anyone. */
function expectNoForgery(md: string) {
  for (const line of markupLines(md)) {
    expect(line).not.toContain("servers touched: no file changes**");
    expect(line).not.toContain("@octocat");
  }
}

describe("the review every pull request gets: no engine, no secret", () => {
  let work: string;
  let repo: string;
  let out: string;
  let gh: FakeGh;
  let baseCommit: string;
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.org", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.org" } }).trim();
  const KS = () => path.join(repo, "catalog", "templates", "ks-base.ks.j2");

  /** review.sh as the workflow runs it: only a PATH and a home, no Pulumi variable, no token. */
  const review = () =>
    spawnSync(path.join(CI, "review.sh"), [], {
      cwd: work,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: work, STACK: "prod", BASE_REF: baseCommit, PROJECT_DIR: repo, PROVISION: `${process.execPath} ${path.join(repoRoot, "bin", "provision.js")}`, OUT: out },
    });
  const post = (env: NodeJS.ProcessEnv = {}) =>
    spawnSync(path.join(CI, "post-comment.sh"), [], {
      cwd: work,
      encoding: "utf8",
      env: { PATH: `${gh.bin}:${process.env.PATH}`, ...gh.env, PR_NUMBER: "7", MARKER, BODY: path.join(out, "body.md"), GH_TOKEN: "test", ...env },
    });
  const botComments = () => gh.comments().filter((c) => c.user.login === "github-actions[bot]");

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ci-review-"));
    repo = path.join(work, "pr");
    out = path.join(work, "review");
    fs.cpSync(path.join(repoRoot, "stacks", "catalogs", "example"), path.join(repo, "catalog"), { recursive: true });
    fs.mkdirSync(path.join(repo, "stacks"));
    fs.writeFileSync(path.join(repo, "stacks", "Pulumi.prod.yaml"), STACK_FILE);
    // Already in the base: the diff shows it as context, ` ```…`, a line that could close a fence.
    fs.appendFileSync(KS(), `${ticks(10)}\n${FAKE}\n`);
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    baseCommit = git("rev-parse", "HEAD");
    git("checkout", "-q", "-b", "pr");
    gh = fakeGh();
  });
  afterAll(() => {
    gh?.dispose();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("a template edit: the masked diff with the servers it reaches, posted, then updated; a comment by someone else with the marker is never edited", () => {
    const forged = gh.addComment(`${MARKER}\n**0 of 3 servers touched** (forged by another user)`, "mallory");
    // Lines that try to close the diff's block and write their own summary, with runs of 3..10.
    fs.appendFileSync(KS(), RUNS.map((n) => `${ticks(n)}\n${FAKE}\n${ticks(n)}\n`).join(""));
    git("commit", "-q", "-am", "kickstart: forged summary lines");

    const first = review();
    expect(first.status, first.stderr).toBe(0);
    const body = fs.readFileSync(path.join(out, "body.md"), "utf8");
    expect(body.startsWith("#### Provisioning review: stack `prod` (base ")).toBe(true);
    expect(body).toContain("**2 of 2 servers touched:");
    expect(body).toMatch(/#### 4 files updated on 2 servers: dc1-a, dc1-b/);
    const posted = post();
    expect(posted.status, posted.stderr).toBe(0);
    expect(posted.stdout).toContain("posted a comment on #7");
    expect(gh.comments().find((c) => c.id === forged.id)).toEqual(forged);
    expect(botComments()).toHaveLength(1);
    const comment = botComments()[0]!;
    expect(comment.route).toBe("repos/{owner}/{repo}/issues/7/comments");
    expect(comment.body).toBe(`${MARKER}\n${body}`);
    expectNoForgery(comment.body);
    const diff = fencedBlocks(comment.body).find((b) => b[0]!.startsWith("@@"))!;
    for (const n of RUNS) expect(diff).toContain(`+${ticks(n)}`);
    expect(diff).toContain(` ${ticks(10)}`);
    expect(diff.filter((l) => l === `+${FAKE}`)).toHaveLength(RUNS.length);

    // Another push: the same comment is updated.
    fs.appendFileSync(KS(), "# second push\n");
    git("commit", "-q", "-am", "second push");
    expect(review().status).toBe(0);
    const second = post();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain(`updated comment ${comment.id} on #7`);
    expect(gh.comments().find((c) => c.id === forged.id)).toEqual(forged);
    expect(botComments()).toHaveLength(1);
    const updated = botComments()[0]!.body;
    expect(updated).toContain("+# second push");
    expectNoForgery(updated);
    expect(gh.calls().filter((c) => c.includes("--method POST"))).toHaveLength(1);
    expect(gh.calls().filter((c) => c.includes("--method PATCH") && c.includes(`comments/${forged.id}`))).toEqual([]);
  });

  it("a catalog file named with a newline, backticks and a fake summary: the failed review is posted with the error in a fence nothing inside closes", () => {
    // One broken catalog file per run length 3..10, each named to close a fence and forge a summary.
    for (const n of RUNS) fs.writeFileSync(path.join(repo, "catalog", `x${n}\n${ticks(n)}\n${FAKE}\n${ticks(n)}\n.yaml`), "profiles: [\n");
    git("add", "-A");
    git("commit", "-q", "-m", "catalog files named to forge the comment");

    const failed = review();
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("YAML syntax error");
    const body = fs.readFileSync(path.join(out, "body.md"), "utf8");
    expect(body.startsWith("#### Provisioning review: stack `prod` failed (base ")).toBe(true);
    expect(post().status).toBe(0);
    const comment = botComments()[0]!.body;
    expect(botComments()).toHaveLength(1);
    expectNoForgery(comment);
    // The whole error is one block: every issue (one per file) inside it, the file's name on one
    // line with its newlines shown as \n (provision writes no raw control character).
    const blocks = fencedBlocks(comment);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.filter((l) => l.includes(`\\n${FAKE}\\n`))).toHaveLength(RUNS.length);
    expect(comment).toContain(`\n${ticks(11)}\n`);
    git("reset", "-q", "--hard", "HEAD^");
  });

  it("post-comment.sh takes only a pull request number, and posts a note instead of a body too long for a comment", () => {
    for (const bad of ["7; rm -rf /", "../../x", ""]) {
      const r = post({ PR_NUMBER: bad });
      expect(r.status).not.toBe(0);
    }
    const big = path.join(work, "big.md");
    fs.writeFileSync(big, "x".repeat(70_000));
    expect(post({ BODY: big, PR_NUMBER: "8" }).status).toBe(0);
    const note = gh.comments().find((c) => c.route.endsWith("/8/comments"))!;
    expect(note.body).toBe(`${MARKER}\n**The review is 70000 bytes, more than a comment holds: the workflow run has it in full.**\n`);
  });
});

describe("the workflows keep secrets away from the pull request's code", () => {
  type Step = { run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };
  type Job = { permissions?: Record<string, string>; environment?: string; steps: Step[]; if?: string };
  type Workflow = { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, Job> };
  const workflow = (name: string) => ({ text: fs.readFileSync(path.join(CI, name), "utf8"), doc: parse(fs.readFileSync(path.join(CI, name), "utf8")) as Workflow });

  it("the review runs the base branch's code with no secret; only a job that reads no pull-request file may comment", () => {
    const { text, doc } = workflow("provisioning-review.yml");
    expect(Object.keys(doc.on)).toEqual(["pull_request_target"]);
    expect(text).not.toMatch(/secrets\./);
    expect(doc.permissions).toEqual({});
    const { review, comment } = doc.jobs;
    expect(review!.permissions).toEqual({ contents: "read" });
    expect(comment!.permissions).toEqual({ "pull-requests": "write" });
    // Every checkout keeps no token on disk; the pull request's is data in pr/, the code comes from the base.
    const checkouts = [...review!.steps, ...comment!.steps].filter((s) => s.uses?.startsWith("actions/checkout"));
    for (const c of checkouts) expect(c.with?.["persist-credentials"]).toBe(false);
    expect(checkouts.filter((c) => c.with?.ref === "${{ github.event.pull_request.head.sha }}").map((c) => c.with?.path)).toEqual(["pr"]);
    // Nothing runs from pr/: commands come from trusted/, npm without install scripts, no cache.
    for (const s of review!.steps.filter((x) => x.run)) expect(s.run).toMatch(/^(trusted\/|npm ci --ignore-scripts$)/);
    expect(review!.steps.find((s) => s.uses?.startsWith("actions/setup-node"))!.with?.cache).toBeUndefined();
    // The commenting job checks out only the base branch's scripts and reads no pull-request file.
    expect(comment!.steps.some((s) => s.with?.ref === "${{ github.event.pull_request.head.sha }}")).toBe(false);
    expect(comment!.steps.find((s) => s.run)!.env).toMatchObject({ PR_NUMBER: "${{ github.event.pull_request.number }}", MARKER });
  });

  it("the engine's plan reads the stack's secrets only in a job behind a protected environment", () => {
    const { doc } = workflow("provisioning-plan.yml");
    expect(Object.keys(doc.on).sort()).toEqual(["pull_request", "push"]);
    expect(doc.permissions).toEqual({});
    for (const job of Object.values(doc.jobs)) {
      const usesSecrets = JSON.stringify(job).includes("secrets.");
      if (usesSecrets) expect(job.environment).toBe("provisioning-plan");
      // Forks get no secrets: the job is skipped for them rather than failing.
      expect(job.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
      for (const s of job.steps.filter((x) => x.run?.startsWith("npm"))) expect(s.run).toBe("npm ci --ignore-scripts");
    }
  });

  it("the engine's plan runs the pull request's program with no token that can write; the comment is posted by a job that holds no secret and runs only the base branch's script", () => {
    const { doc } = workflow("provisioning-plan.yml");
    const runsPlan = (s: Step) => /\bplan\.sh\b|\bprovision plan\b/.test(s.run ?? "");
    const TOKEN = /GH_TOKEN|GITHUB_TOKEN|github\.token/;
    const planJobs = Object.values(doc.jobs).filter((j) => j.steps.some(runsPlan));
    expect(planJobs).toHaveLength(1);
    const plan = planJobs[0]!;
    // Where the program runs: read-only contents, and no step of the job is handed a token.
    expect(plan.permissions).toEqual({ contents: "read" });
    expect(plan.steps.filter(runsPlan)).toHaveLength(2);
    for (const s of plan.steps) expect(JSON.stringify(s)).not.toMatch(TOKEN);
    for (const s of plan.steps.filter((x) => x.uses?.startsWith("actions/checkout"))) expect(s.with?.["persist-credentials"]).toBe(false);

    // Only the other job may comment: no environment, no secret, the base branch's scripts only, none of the pull request's code.
    const writers = Object.entries(doc.jobs).filter(([, j]) => Object.values(j.permissions ?? {}).includes("write"));
    expect(writers.map(([name]) => name)).toEqual(["comment"]);
    const comment = writers[0]![1];
    expect(comment.permissions).toEqual({ "pull-requests": "write" });
    expect(comment.environment).toBeUndefined();
    expect(JSON.stringify(comment)).not.toContain("secrets.");
    const checkouts = comment.steps.filter((s) => s.uses?.startsWith("actions/checkout"));
    expect(checkouts.map((c) => c.with)).toEqual([{ ref: "${{ github.event.pull_request.base.sha }}", "sparse-checkout": ".github/scripts", "persist-credentials": false }]);
    expect(comment.steps.filter((s) => s.run).map((s) => s.run)).toEqual([".github/scripts/post-comment.sh"]);
    expect(comment.steps.find((s) => s.run)!.env).toMatchObject({ PR_NUMBER: "${{ github.event.pull_request.number }}", BODY: "plan/body.md", GH_TOKEN: "${{ github.token }}" });
  });
});
