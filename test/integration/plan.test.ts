// `provision plan` on the real engine: after a catalog edit, the plan built from the real
// `pulumi preview --json` names exactly the servers, objects and files the edit touches (the
// same as the pure `impact`), and its Markdown form is a pull-request comment without secrets.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerSchema, changesJson, groupChanges, impactReview, loadCatalog, render, resolveCatalog, type Impact } from "../../src";
import { impactSummary } from "../../src/report/impactReport";
import { createFleet, ROOT_PASSWORD_HASH, type Fleet } from "../support/fleet";
import { planJson, provisionOk } from "../support/provisionCli";

describe("provision plan on the real engine", () => {
  let fleet: Fleet;
  let beforeDir: string;
  let plan: Impact & { changes: ReturnType<typeof changesJson> };
  let predicted: typeof plan;

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "rack-a", site: "east", arch: ["x86_64"], profiles: ["web*"], wave: 0 },
        { name: "rack-b", site: "east", arch: ["x86_64"], profiles: ["db", "base"], wave: 1 },
        { name: "rack-c", site: "west", arch: ["aarch64"], profiles: ["edge-*"], wave: 1 },
        { name: "rack-d", site: "west", arch: ["x86_64"], profiles: ["build-*"], wave: 2 },
      ],
    });
    await fleet.project.up();
    beforeDir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-before-"));
    fs.cpSync(fleet.catalogDir, beforeDir, { recursive: true });
    // The kickstart template: held by the EL servers (rack-a, rack-b), not by the Debian ones.
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), "# reviewed: keep /var separate\n");
    plan = (await planJson(fleet.project)) as typeof plan;
    const servers = fleet.servers.map((s) => ServerSchema.parse(s));
    const review = impactReview(resolveCatalog(loadCatalog(beforeDir)), resolveCatalog(loadCatalog(fleet.catalogDir)), servers);
    predicted = { ...review.impact, changes: changesJson(groupChanges(review.files, review.contents)) };
  });
  afterAll(async () => {
    await fleet?.dispose();
    if (beforeDir) fs.rmSync(beforeDir, { recursive: true, force: true });
  });

  it("--json names exactly the servers and files whose rendered bytes changed", () => {
    expect(plan.touched).toEqual(["rack-a", "rack-b"]);
    expect(Object.keys(plan.servers).sort()).toEqual(["rack-a", "rack-b", "rack-c", "rack-d"]);
    for (const s of fleet.servers) {
      // Expected from rendering both catalogs: every path whose bytes differ, and then the manifest.
      const before = render(resolveCatalog(loadCatalog(beforeDir)), ServerSchema.parse(s));
      const old = new Map(before.files.map((f) => [f.path, f.sha256]));
      const changed = fleet.expectedTree(s.name).files.filter((f) => old.get(f.path) !== f.sha256).map((f) => f.path);
      expect(plan.servers[s.name]!.files.map((f) => f.path), s.name).toEqual(changed.length ? [...changed, "manifest.json"].sort() : []);
      expect(plan.servers[s.name]!.files.every((f) => f.op === "update")).toBe(true);
    }
    expect(plan.servers["rack-a"]!.files.map((f) => f.path)).toContain("http/autoinstall/web.cfg");
    expect(plan.servers["rack-a"]!.objects).toEqual([{ kind: "template", name: "ks-base", op: "update" }]);
    expect(plan.servers["rack-b"]!.objects).toEqual([{ kind: "template", name: "ks-base", op: "update" }]);
    expect(plan.servers["rack-c"]).toEqual({ status: "same", objects: [], files: [] });
    expect(plan.servers["rack-d"]).toEqual({ status: "same", objects: [], files: [] });
  });

  it("equals the pure impact of the catalogs before and after, diffs included", () => {
    // The validators' report is the plan's own (impact runs none): the kickstarts pass.
    const { validators, ...engine } = plan as typeof plan & { validators?: { summary: string; problems: unknown[] } };
    expect(engine).toEqual(predicted);
    expect(validators).toEqual({ summary: "ksvalidator (RHEL9) ran on 4 files; debconf-set-selections ran on 2 files", problems: [] });
    // The text before came from the content store the first up filled: every kickstart shows its diff.
    // One edit of the kickstart template, the same added line in every kickstart: one change.
    const ks = plan.changes.find((g) => g.paths.includes("http/autoinstall/web.cfg"))!;
    expect(ks).toMatchObject({ servers: ["rack-a", "rack-b"], kind: "text", paths: ["http/autoinstall/base.cfg", "http/autoinstall/db.cfg", "http/autoinstall/web-frontend.cfg", "http/autoinstall/web.cfg"] });
    expect((ks as { diff: string }).diff).toContain("\n+# reviewed: keep /var separate");
  });

  it("--markdown: summary line, a table per touched server, a content change for files that print secrets, never the secret", async () => {
    const html = path.join(fleet.project.dir, "plan.html");
    const { stdout, stderr } = await provisionOk(fleet.project, ["plan", "--stack", "test", "--project", fleet.project.dir, "--markdown", "--html", html]);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(`**${impactSummary(plan)}**`);
    expect(lines[0]).toMatch(/^\*\*2 of 4 servers touched: \d+ files updated\*\*$/);
    expect(stdout).toContain("Rollout order: wave 0: rack-a → wave 1: rack-b");
    expect(lines.filter((l) => l.startsWith("### "))).toEqual(["### rack-a (site east, wave 0)", "### rack-b (site east, wave 1)"]);
    expect(stdout).toContain("<summary>2 servers untouched</summary>");
    // The kickstarts carry the root password hash, as a token: the diff shows its marker, and the edit.
    const ks = lines.find((l) => l.startsWith("| `update` | `file` | `http/autoinstall/web.cfg`"))!;
    expect(ks).toContain("| `profile/web` | `content changed` |");
    expect(stdout).toContain("#### 4 files updated on 2 servers: rack-a, rack-b");
    expect(stdout).toMatch(/```diff\n@@ [^\n]+ @@\n(?: [^\n]*\n)*\+# reviewed: keep \/var separate\n/);
    const page = fs.readFileSync(html, "utf8");
    expect(stderr).toContain(`wrote ${html}`);
    for (const text of [stdout, stderr, page, JSON.stringify(plan)]) {
      expect(text).not.toContain(ROOT_PASSWORD_HASH);
      expect(text).not.toContain("testsalt");
    }
    expect(page).toContain('data-object="template/ks-base" data-op="update"');
    expect(page).toContain('<span class="add">+# reviewed: keep /var separate</span>');
  });
});

