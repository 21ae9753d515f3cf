// Reviews on the real engine: what changes inside each file. After a kickstart edit on a
// committed catalog, `provision plan` shows the edit as one masked unified diff with the servers
// it reaches, in text, markdown, JSON and HTML, as `provision impact` predicts; a secret's new
// value shows as its marker changing; on a machine whose content store is empty (CI), `--base`
// renders the text before from git; and the pull-request recipe's engine plan (examples/ci/)
// posts one comment and updates it, never a comment by someone else that carries its marker,
// and fences a failed plan's error. No secret value appears in any output.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, ROOT_PASSWORD_HASH, type Fleet } from "../support/fleet";
import { fakeGh, type FakeGh } from "../support/fakeGh";
import { fencedBlocks, markupLines } from "../support/markdownText";
import { repoRoot } from "../support/pulumi";
import { provisionOk, runProvision } from "../support/provisionCli";

const KS = "http/autoinstall/web.cfg";
const DB_KS = "http/autoinstall/db.cfg";
const EDIT = "# reviewed: keep /var separate";
const NEW_HASH = "$6$rounds=4096$newsalt$AnotherValueOnlyForTestsNotRealHash0123456789abcdefghijklmnop";

interface Change {
  paths: string[];
  op: string;
  servers: string[];
  kind: string;
  diff?: string;
  missing?: string;
  origins?: string[];
}

describe("reviews show what changes inside each file", () => {
  let fleet: Fleet;
  let gh: FakeGh;
  let emptyStore: string;
  /** The commit the stack was brought up from: the pull request's merge base. */
  let baseCommit: string;
  const git = (...args: string[]) => execFileSync("git", ["-C", fleet.catalogDir, ...args], { encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.org", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.org" } }).trim();
  const plan = (args: string[], env: NodeJS.ProcessEnv = {}) => runProvision(["plan", "--stack", "test", "--project", fleet.project.dir, ...args], { cwd: fleet.project.dir, env: { ...fleet.project.env, ...env } });
  const changesOf = (stdout: string) => (JSON.parse(stdout) as { changes: Change[] }).changes;
  const noSecretIn = (...texts: string[]) => {
    for (const t of texts) for (const value of [ROOT_PASSWORD_HASH, NEW_HASH, "testsalt", "newsalt"]) expect(t).not.toContain(value);
  };

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "web-1", site: "east", arch: ["x86_64"], profiles: ["web"], wave: 0 },
        { name: "web-2", site: "east", arch: ["x86_64"], profiles: ["web"], wave: 1 },
        { name: "web-3", site: "west", arch: ["x86_64"], profiles: ["web"], wave: 1 },
        { name: "db-1", site: "west", arch: ["x86_64"], profiles: ["db"], wave: 2 },
      ],
    });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    baseCommit = git("rev-parse", "HEAD");
    await fleet.project.up();
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), `${EDIT}\n`);
    git("commit", "-q", "-am", "kickstart: keep /var separate");
    gh = fakeGh();
    emptyStore = fs.mkdtempSync(path.join(os.tmpdir(), "review-empty-store-"));
  });
  afterAll(async () => {
    await fleet?.dispose();
    gh?.dispose();
    if (emptyStore) fs.rmSync(emptyStore, { recursive: true, force: true });
  });

  it("a kickstart edit: one masked diff with the servers it reaches, in every format, as impact predicts", async () => {
    const html = path.join(fleet.project.dir, "review.html");
    const md = await plan(["--markdown", "--html", html]);
    const json = await plan(["--json"]);
    const text = await plan([]);
    for (const r of [md, json, text]) expect(r.code, r.stderr).toBe(0);

    // One template edit, the same line added to both profiles' kickstarts on four servers: one change.
    const changes = changesOf(json.stdout);
    expect(changes.map((c) => c.kind).sort()).toEqual(["manifest", "text"]);
    const ks = changes.find((c) => c.kind === "text")!;
    expect(ks).toMatchObject({ op: "update", paths: [DB_KS, KS], servers: ["db-1", "web-1", "web-2", "web-3"], origins: ["profile/db", "profile/web"], sameContext: false });
    expect(ks.diff).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@\n/);
    expect(ks.diff).toContain(`\n+${EDIT}`);

    // Markdown: the diff once, with the files and servers it reaches and counts per site and wave.
    expect(md.stdout).toContain("#### 2 files updated on 4 servers");
    expect(md.stdout).toContain(`\`${DB_KS}\`, \`${KS}\``);
    expect(md.stdout).toContain("from `profile/db`, `profile/web` · site east: 2, site west: 2; wave 0: 1, wave 1: 2, wave 2: 1");
    expect(md.stdout.split(`+${EDIT}`)).toHaveLength(2);
    expect(text.stdout).toContain("2 files updated on 4 servers (from profile/db, profile/web) [site east: 2, site west: 2; wave 0: 1, wave 1: 2, wave 2: 1]: db-1, web-1, web-2, web-3");
    expect(text.stdout.split(`+${EDIT}`)).toHaveLength(2);
    const page = fs.readFileSync(html, "utf8");
    expect(page).toContain(`data-paths="${DB_KS} ${KS}" data-servers="db-1 web-1 web-2 web-3"`);
    expect(page.split(`<span class="add">+${EDIT}</span>`)).toHaveLength(2);
    noSecretIn(md.stdout, md.stderr, json.stdout, text.stdout, page);

    // The pure prediction from the two catalogs shows the same diffs.
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "review-base-"));
    try {
      execFileSync("sh", ["-c", `git -C "$1" archive "$3" | tar -x -C "$2"`, "sh", fleet.catalogDir, baseDir, baseCommit]);
      const predicted = await provisionOk(fleet.project, ["impact", baseDir, fleet.catalogDir, "--stack", "test", "--project", fleet.project.dir, "--json"]);
      const strip = (cs: Change[]) => cs.map(({ origins: _o, ...c }) => c);
      expect(strip(changesOf(predicted.stdout))).toEqual(strip(changes));
      const predictedMd = await provisionOk(fleet.project, ["impact", baseDir, fleet.catalogDir, "--stack", "test", "--project", fleet.project.dir, "--markdown"]);
      expect(predictedMd.stdout).toContain("#### 2 files updated on 4 servers");
    } finally {
      fs.rmSync(baseDir, { recursive: true, force: true });
    }
  });

  it("a secret's new value: its marker changes in the diff of every file that prints it, and no value shows", async () => {
    await fleet.project.setConfig("provisioning:root_password_hash", NEW_HASH, true);
    try {
      const json = await plan(["--json"]);
      const md = await plan(["--markdown", "--html", path.join(fleet.project.dir, "secret.html")]);
      const text = await plan([]);
      expect(json.code, json.stderr).toBe(0);
      const ks = changesOf(json.stdout).find((c) => c.paths.includes(KS) && c.kind === "text")!;
      const [removed, added] = [/\n-rootpw --iscrypted \[secret:root_password_hash@([\w-]{6})\]/.exec(ks.diff!), /\n\+rootpw --iscrypted \[secret:root_password_hash@([\w-]{6})\]/.exec(ks.diff!)];
      expect(removed?.[1]).toBeDefined();
      expect(added?.[1]).toBeDefined();
      expect(added![1]).not.toBe(removed![1]);
      expect(md.stdout).toContain(`+rootpw --iscrypted [secret:root_password_hash@${added![1]}]`);
      expect(text.stdout).toContain(`+rootpw --iscrypted [secret:root_password_hash@${added![1]}]`);
      expect(text.stdout).toContain("secret root_password_hash changed");
      noSecretIn(json.stdout, json.stderr, md.stdout, md.stderr, text.stdout, text.stderr, fs.readFileSync(path.join(fleet.project.dir, "secret.html"), "utf8"));
    } finally {
      await fleet.project.setConfig("provisioning:root_password_hash", ROOT_PASSWORD_HASH, true);
    }
  });

  it("with an empty content store (CI), the text before comes from --base; without it the report says how to get it", async () => {
    const ci = { PROVISIONING_STORE: emptyStore };
    const without = await plan(["--json"], ci);
    expect(without.code, without.stderr).toBe(0);
    expect(changesOf(without.stdout).find((c) => c.paths.includes(KS))).toMatchObject({ kind: "unavailable", missing: "before", paths: [DB_KS, KS], servers: ["db-1", "web-1", "web-2", "web-3"] });
    expect((await plan([], ci)).stdout).toContain("`provision plan --base <git-ref>`");

    const withBase = await plan(["--json", "--base", baseCommit], ci);
    expect(withBase.code, withBase.stderr).toBe(0);
    const fromStore = await plan(["--json"]);
    expect(changesOf(withBase.stdout)).toEqual(changesOf(fromStore.stdout));

    // The review without engine, state or secrets (the pull request's first tier) predicts the same from the same revision.
    const predicted = await runProvision(["impact", "--base", baseCommit, "--stack", "test", "--project", fleet.project.dir, "--json"], { cwd: fleet.project.dir, env: { PATH: process.env.PATH, HOME: emptyStore } });
    expect(predicted.code, predicted.stderr).toBe(0);
    const strip = (cs: Change[]) => cs.map(({ origins: _o, ...c }) => c);
    expect(strip(changesOf(predicted.stdout))).toEqual(strip(changesOf(withBase.stdout)));

    for (const [ref, message] of [
      ["no-such-branch", 'is not a commit of'],
      ["--upload-pack=touch /tmp/pwned", "takes a git revision"],
    ] as const) {
      const bad = await plan(["--json", `--base=${ref}`], ci);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(message);
      expect(bad.stdout).toBe("");
    }
  });

  it("the pull-request recipe's engine plan is made with no token and posted by another step as one comment, updated later, never a comment someone else wrote with its marker; a failed plan's error stays in its fence", async () => {
    const marker = "<!-- provisioning-plan stack=test -->";
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "review-plan-out-"));
    /** As provisioning-plan.yml runs it: plan.sh in the job with the backend and no GitHub token, then post-comment.sh with the token and no secret. */
    const run = () => {
      const callsBefore = gh.calls().length;
      const planned = spawnSync(path.join(repoRoot, "examples", "ci", "plan.sh"), [], {
        cwd: fleet.catalogDir,
        encoding: "utf8",
        env: {
          ...fleet.project.env,
          PATH: `${gh.bin}:${process.env.PATH}`,
          STACK: "test",
          BASE_REF: baseCommit,
          PROJECT_DIR: fleet.project.dir,
          PROVISION: `${process.execPath} ${path.join(repoRoot, "bin", "provision.js")}`,
          PROVISIONING_STORE: emptyStore,
          OUT: out,
        },
      });
      // The plan step reaches no GitHub API (it has no token to).
      expect(gh.calls().length).toBe(callsBefore);
      const posted = spawnSync(path.join(repoRoot, "examples", "ci", "post-comment.sh"), [], {
        encoding: "utf8",
        env: { PATH: `${gh.bin}:${process.env.PATH}`, ...gh.env, PR_NUMBER: "7", MARKER: marker, BODY: path.join(out, "body.md"), GH_TOKEN: "test" },
      });
      expect(posted.status, posted.stderr).toBe(0);
      return { status: planned.status, stderr: planned.stderr, stdout: posted.stdout };
    };
    // Someone else's comment carrying the marker, posted first: it is not the bot's, so it is never edited.
    const forged = gh.addComment(`${marker}\n**0 of 4 servers touched: no file changes** (forged)`, "mallory");
    const bots = () => gh.comments().filter((c) => c.user.login === "github-actions[bot]");
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain("posted a comment on #7");
    let comments = bots();
    expect(comments).toHaveLength(1);
    expect(comments[0]!.route).toBe("repos/{owner}/{repo}/issues/7/comments");
    expect(comments[0]!.body.startsWith(`${marker}\n`)).toBe(true);
    expect(comments[0]!.body).toContain("#### 2 files updated on 4 servers");
    expect(comments[0]!.body).toContain(`+${EDIT}`);
    expect(gh.comments().find((c) => c.id === forged.id)).toEqual(forged);

    // Another push: the same comment shows the new plan.
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), "# second push\n");
    git("commit", "-q", "-am", "second push");
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain(`updated comment ${comments[0]!.id} on #7`);
    comments = bots();
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("+# second push");
    expect(comments[0]!.body).toContain(`+${EDIT}`);
    expect(gh.calls().filter((c) => c.includes("--method POST"))).toHaveLength(1);
    noSecretIn(...comments.map((c) => c.body));

    // A catalog file named to close the error's fence and forge the summary (backtick runs 3..10): the plan fails, the comment says so, the name stays inside the fence.
    const FAKE = "**0 of 4 servers touched: no file changes** @octocat LGTM";
    for (const n of [3, 4, 5, 6, 7, 8, 9, 10]) fs.writeFileSync(path.join(fleet.catalogDir, `x${n}\n${"`".repeat(n)}\n${FAKE}\n${"`".repeat(n)}\n.yaml`), "profiles: [\n");
    git("add", "-A");
    git("commit", "-q", "-m", "catalog files named to forge the comment");
    try {
      const failed = run();
      expect(failed.status).toBe(1);
      comments = bots();
      expect(comments).toHaveLength(1);
      const body = comments[0]!.body;
      expect(body).toContain("#### Provisioning plan: stack `test` failed");
      // Each file's issue (the engine repeats its diagnostics in its log) inside the fence, the
      // file's name on one line with its newlines shown as \n.
      expect(fencedBlocks(body).flat().filter((l) => l.includes(`\\n${FAKE}\\n`)).length).toBeGreaterThanOrEqual(8);
      for (const line of markupLines(body)) {
        expect(line).not.toContain("servers touched: no file changes**");
        expect(line).not.toContain("@octocat");
      }
      expect(gh.comments().find((c) => c.id === forged.id)).toEqual(forged);
    } finally {
      git("reset", "-q", "--hard", "HEAD^");
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
