/// <reference lib="dom" />
// The HTML report in a real headless browser (Debian chromium driven by playwright-core): the
// impact matrix has one cell per changed (server, object) classed and coloured by op, the site
// and wave filters hide rows, each file change shows once as a masked diff with its servers, and
// a screenshot is kept under test-output/ for review.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ServerSchema, groupChanges, impactReview, loadCatalog, resolveCatalog, type ChangeGroup, type Impact, type Op } from "../../src";
import { impactHtml } from "../../src/report/htmlReport";
import { placesOf } from "../../src/report/reportContext";
import { repoRoot } from "../support/pulumi";

const OUT = path.join(repoRoot, "test-output");
const EXAMPLE_CATALOG = path.join(repoRoot, "stacks", "catalogs", "example");

const servers = [
  ["pxe-east-1", "east", 0, ["web*"], ["x86_64"]],
  ["pxe-east-2", "east", 1, ["db", "base"], ["x86_64"]],
  ["pxe-west-1", "west", 1, ["web", "db"], ["x86_64"]],
  ["pxe-west-2", "west", 2, ["build-*"], ["x86_64"]],
  ["pxe-edge-1", "edge", 2, ["edge-*"], ["aarch64"]],
  ["pxe-edge-2", "edge", 2, ["web-frontend"], ["x86_64"]],
] as const;

/** The example catalog with a template edit (update), a new profile (create) and one removed (delete). */
function editedCatalog(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-after-"));
  fs.cpSync(EXAMPLE_CATALOG, dir, { recursive: true });
  const ks = path.join(dir, "templates", "ks-base.ks.j2");
  fs.writeFileSync(ks, fs.readFileSync(ks, "utf8").replace("selinux --enforcing\n", "selinux --permissive\n"));
  const file = path.join(dir, "profiles.yaml");
  const doc = parse(fs.readFileSync(file, "utf8")) as { profiles: { name: string; parent?: string }[] };
  doc.profiles = doc.profiles.filter((p) => p.name !== "web-frontend");
  doc.profiles.push({ name: "web-canary", parent: "web" });
  fs.writeFileSync(file, stringify(doc));
  return dir;
}

describe("the HTML report in headless chromium", () => {
  let browser: Browser;
  let page: Page;
  let result: Impact;
  let changes: ChangeGroup[];
  let after: string;

  beforeAll(async () => {
    const parsed = servers.map(([name, site, wave, profiles, arch], i) =>
      ServerSchema.parse({ name, site, wave, profiles: [...profiles], arch: [...arch], transport: { kind: "local", root: `/srv/${name}` }, tftpPort: 7000 + i, httpPort: 8000 + i }),
    );
    after = editedCatalog();
    const review = impactReview(resolveCatalog(loadCatalog(EXAMPLE_CATALOG)), resolveCatalog(loadCatalog(after)), parsed);
    result = review.impact;
    changes = groupChanges(review.files, review.contents);
    fs.mkdirSync(OUT, { recursive: true });
    const file = path.join(OUT, "report.html");
    fs.writeFileSync(file, impactHtml(result, { servers: placesOf(parsed), files: review.files, changes }, { title: "Provisioning plan: example" }));
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`file://${file}`);
  });
  afterAll(async () => {
    await browser?.close();
    if (after) fs.rmSync(after, { recursive: true, force: true });
  });

  it("draws one matrix cell per changed object of each server, classed by op", async () => {
    // The edit produced every op, on more than one server.
    const ops = (op: Op) => Object.values(result.servers).reduce((n, s) => n + s.objects.filter((o) => o.op === op).length, 0);
    expect(ops("create")).toBeGreaterThan(0);
    expect(ops("update")).toBeGreaterThan(0);
    expect(ops("delete")).toBeGreaterThan(0);
    for (const op of ["create", "update", "delete"] as const) {
      expect(await page.locator(`#matrix td.cell.op-${op}`).count(), op).toBe(ops(op));
    }
    expect(await page.locator("#matrix tbody tr").count()).toBe(servers.length);
    // Each cell sits in its server's row and its object's column.
    for (const [name, s] of Object.entries(result.servers)) {
      for (const o of s.objects) {
        const cell = page.locator(`#matrix tr[data-server="${name}"] td.cell[data-object="${o.kind}/${o.name}"]`);
        expect(await cell.getAttribute("class")).toBe(`cell op-${o.op}`);
      }
    }
    expect(await page.locator("#summary").textContent()).toMatch(/^\d+ of 6 servers touched: /);
  });

  it("colours the three ops distinctly, on background and text", async () => {
    const styles = await page.evaluate(() =>
      ["create", "update", "delete"].map((op) => {
        const el = document.querySelector(`.legend .op-${op}`)!;
        const cs = getComputedStyle(el);
        return { bg: cs.backgroundColor, fg: cs.color };
      }),
    );
    expect(new Set(styles.map((s) => s.bg)).size).toBe(3);
    expect(new Set(styles.map((s) => s.fg)).size).toBe(3);
    for (const s of styles) expect(s.bg).not.toBe(s.fg);
  });

  it("the site and wave filters hide the other servers' rows and details", async () => {
    const visibleRows = async () => (await page.locator("#matrix tbody tr:visible").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-server")))).sort();
    expect(await visibleRows()).toEqual(servers.map((s) => s[0]).sort());

    await page.selectOption("#filter-site", "west");
    expect(await visibleRows()).toEqual(["pxe-west-1", "pxe-west-2"]);
    expect(await page.locator("#shown").textContent()).toBe("2");
    expect(await page.locator('section.server-details[data-site="east"]:visible').count()).toBe(0);

    await page.selectOption("#filter-wave", "2");
    expect(await visibleRows()).toEqual(["pxe-west-2"]);

    await page.selectOption("#filter-site", "");
    expect(await visibleRows()).toEqual(["pxe-edge-1", "pxe-edge-2", "pxe-west-2"]);

    await page.selectOption("#filter-wave", "");
    expect(await visibleRows()).toHaveLength(servers.length);
  });

  it("shows each file change once, as a diff with its servers, secrets as markers, lines coloured by side", async () => {
    const shown = changes.filter((g) => g.diff.kind !== "manifest");
    expect(await page.locator("section.change").count()).toBe(shown.length);
    // The kickstart edit: one section for every kickstart on every server it reaches.
    const ks = shown.find((g) => g.diff.kind === "text" && g.diff.diff.includes("-selinux --enforcing"))!;
    expect(ks.paths.length).toBeGreaterThan(1);
    expect(ks.servers.length).toBeGreaterThan(1);
    const section = page.locator(`section.change[data-paths="${ks.paths.join(" ")}"][data-servers="${ks.servers.join(" ")}"]`);
    expect(await section.count()).toBe(1);
    expect(await section.locator("pre.diff span.del").allTextContents()).toEqual(["-selinux --enforcing"]);
    expect(await section.locator("pre.diff span.add").allTextContents()).toEqual(["+selinux --permissive"]);
    expect(await section.locator("pre.diff").textContent()).toContain("rootpw --iscrypted [secret:root_password_hash]");
    // Each change once: the edit's section, and files created or deleted whole, each a change of its own.
    const removing = shown.filter((g) => g.diff.kind === "text" && g.diff.diff.split("\n").includes("-selinux --enforcing"));
    expect(await page.locator("pre.diff span.del", { hasText: "-selinux --enforcing" }).count()).toBe(removing.length);
    const colours = await section.evaluate((el) => ["add", "del", "ctx"].map((c) => getComputedStyle(el.querySelector(`pre.diff span.${c}`)!).backgroundColor));
    expect(new Set(colours).size).toBe(3);
    for (const name of ks.servers) expect(await section.locator(".facts").textContent()).toContain(name);
  });

  it("saves a screenshot of the page", async () => {
    const png = path.join(OUT, "report.png");
    await page.screenshot({ path: png, fullPage: true });
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  });
});
