// What a review shows inside each changed file: masked unified diffs, payload facts, one group
// per change across servers, and a markdown comment that stays under GitHub's limit at 1,000
// servers. Pure: plain entries and texts in, text out.
import { describe, expect, it } from "vitest";
import type { Impact } from "../../src/impact";
import { changesJson, groupChanges } from "../../src/review/changeGroups";
import { type Contents, asRenderedText } from "../../src/review/contents";
import { fileDiff, unifiedDiff } from "../../src/review/fileDiff";
import { plannedFile } from "../../src/review/plannedFile";
import { impactHtml } from "../../src/report/htmlReport";
import { COMMENT_LIMIT, impactMarkdown, impactText } from "../../src/report/impactReport";
import type { ReportContext } from "../../src/report/reportContext";
import { secretToken } from "../../src/render/secretTokens";
import { encodeEntry } from "../../src/state/fileEntries";
import { contentKey, sha256Hex } from "../../src/state/contentKey";

const KS = "http/autoinstall/web.cfg";
const keyOf = (text: string) => contentKey(sha256Hex(text));
const entry = (text: string, secrets: string[] = [], mode = "0644") => encodeEntry({ key: keyOf(text), mode, secrets });
const contentsOf = (...texts: string[]): Contents => ({ texts: Object.fromEntries(texts.map((t) => [keyOf(t), t])), blobs: {} });

/** A kickstart naming its server's address, printing the root password hash as a token. */
const kickstart = (address: string, extra = "") =>
  `install\nurl --url http://${address}/install\nrootpw --iscrypted ${secretToken("root_password_hash")}\nnetwork --bootproto dhcp\n${extra}reboot\n`;

describe("a changed file's diff", () => {
  it("shows the text change as unified hunks, each secret as its marker", () => {
    const before = kickstart("10.0.0.1");
    const after = kickstart("10.0.0.1", "firewall --enabled\n");
    const f = plannedFile(KS, "update", { before: entry(before, ["root_password_hash"]), after: entry(after, ["root_password_hash"]) });
    const d = fileDiff(f, contentsOf(before, after));
    expect(d.kind).toBe("text");
    const text = d.kind === "text" ? d.diff : "";
    expect(text).toContain("+firewall --enabled");
    expect(text).toContain(" rootpw --iscrypted [secret:root_password_hash]");
    expect(text).not.toContain("\u0000");
    expect(text.split("\n")[0]).toBe("@@ -2,4 +2,5 @@");
  });

  it("a secret whose value changed shows as its marker changing, with each side's version, never a value", () => {
    const text = kickstart("10.0.0.1");
    const e = entry(text, ["root_password_hash"]);
    const f = plannedFile(KS, "update", { before: e, after: e, secretChanges: { root_password_hash: { before: "v1aaaaaaaaaa", after: "v2bbbbbbbbbb" }, other: { before: "x", after: "y" } } });
    expect(f.changes).toEqual(["secret root_password_hash changed"]);
    expect(Object.keys(f.secretChanges ?? {})).toEqual(["root_password_hash"]);
    const d = fileDiff(f, contentsOf(text));
    expect(d).toEqual({ kind: "text", diff: unifiedDiff(text.replace(secretToken("root_password_hash"), "[secret:root_password_hash@v1aaaa]"), text.replace(secretToken("root_password_hash"), "[secret:root_password_hash@v2bbbb]")) });
    expect(d.kind === "text" && d.diff).toContain("-rootpw --iscrypted [secret:root_password_hash@v1aaaa]\n+rootpw --iscrypted [secret:root_password_hash@v2bbbb]");
  });

  it("a payload shows size and sha256 on both sides; a mode change, a drift, the manifest and a missing side say so", () => {
    const [a, b] = ["a".repeat(64), "b".repeat(64)];
    const [ka, kb] = [contentKey(a), contentKey(b)];
    const blobs: Contents = { texts: {}, blobs: { [ka]: { sha256: a, size: 10 }, [kb]: { sha256: b, size: 12 } } };
    expect(fileDiff(plannedFile("tftp/vmlinuz", "update", { before: encodeEntry({ key: ka, mode: "0644", secrets: [] }), after: encodeEntry({ key: kb, mode: "0644", secrets: [] }) }), blobs)).toEqual({
      kind: "binary",
      before: { sha256: a, size: 10 },
      after: { sha256: b, size: 12 },
    });
    // A short payload from the content store reads as text too: the other side, a rendered payload, decides.
    const fromStore: Contents = { texts: { [ka]: "initrd of dist0\n" }, blobs: blobs.blobs };
    const kernelUpdate = plannedFile("tftp/initrd.img", "update", { before: encodeEntry({ key: ka, mode: "0644", secrets: [] }), after: encodeEntry({ key: kb, mode: "0644", secrets: [] }) });
    expect(fileDiff(kernelUpdate, { texts: fromStore.texts, blobs: { [ka]: blobs.blobs[ka]!, [kb]: blobs.blobs[kb]! } })).toMatchObject({ kind: "binary" });
    // And a text whose side before came from the store (known both ways) is a text.
    const [t1, t2] = ["a\n", "b\n"];
    expect(fileDiff(plannedFile(KS, "update", { before: entry(t1), after: entry(t2) }), { texts: { [keyOf(t1)]: t1, [keyOf(t2)]: t2 }, blobs: { [keyOf(t1)]: { sha256: sha256Hex(t1), size: 2 } } })).toEqual({ kind: "text", diff: "@@ -1,1 +1,1 @@\n-a\n+b" });
    const t = "#!/bin/sh\n";
    expect(fileDiff(plannedFile("http/x.sh", "update", { before: entry(t), after: entry(t, [], "0755") }), contentsOf(t))).toEqual({ kind: "text", diff: "", mode: "0644 → 0755" });
    expect(fileDiff(plannedFile(KS, "update", { before: entry(t), after: entry(t), drift: "absent" }), contentsOf(t))).toEqual({ kind: "drift", found: "absent" });
    expect(fileDiff(plannedFile("manifest.json", "update", {}), contentsOf())).toEqual({ kind: "manifest" });
    const after = "new\n";
    expect(fileDiff(plannedFile(KS, "update", { before: entry("old\n"), after: entry(after) }), contentsOf(after))).toEqual({ kind: "unavailable", missing: "before" });
    // A created file: every line added.
    expect(fileDiff(plannedFile(KS, "create", { after: entry(after) }), contentsOf(after))).toEqual({ kind: "text", diff: "@@ -0,0 +1,1 @@\n+new" });
  });

  it("bytes from the content store are text only when they are UTF-8 whose NULs are secret tokens", () => {
    expect(asRenderedText(Buffer.from(kickstart("10.0.0.1")))).toBe(kickstart("10.0.0.1"));
    expect(asRenderedText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]))).toBeUndefined();
    expect(asRenderedText(Buffer.from([0xff, 0xfe, 0x41]))).toBeUndefined();
  });
});

/** `n` servers `s0000…`, each with its own address in its kickstart; the edit adds a line to all. */
function fleetChange(n: number, opts: { uniqueEvery?: number } = {}) {
  const servers = Array.from({ length: n }, (_, i) => `s${String(i).padStart(4, "0")}`);
  const texts: string[] = [];
  const files: Record<string, ReturnType<typeof plannedFile>[]> = {};
  const impact: Impact = { touched: servers, servers: {} };
  servers.forEach((s, i) => {
    const before = kickstart(`10.${i >> 8}.${i & 255}.1`);
    // Every `uniqueEvery`-th server gets a change of its own (a server-specific line).
    const extra = opts.uniqueEvery && i % opts.uniqueEvery === 0 ? `# only on ${s}: ${"x".repeat(60)}\n`.repeat(60) : "firewall --enabled\n";
    const after = kickstart(`10.${i >> 8}.${i & 255}.1`, extra);
    texts.push(before, after);
    files[s] = [
      plannedFile(KS, "update", { before: entry(before, ["root_password_hash"]), after: entry(after, ["root_password_hash"]), origin: { kind: "profile", name: "web" } }),
      plannedFile("manifest.json", "update", {}),
    ];
    impact.servers[s] = { status: "update", objects: [{ kind: "template", name: "ks-base", op: "update" }], files: files[s]!.map((f) => ({ path: f.path, op: f.op })) };
  });
  const contents = contentsOf(...texts);
  const changes = groupChanges(files, contents);
  const ctx: ReportContext = { servers: Object.fromEntries(servers.map((s, i) => [s, { site: `site${i % 4}`, wave: i % 3 }])), files, changes };
  return { servers, impact, ctx, changes };
}

describe("one diff, many servers", () => {
  it("the same changed lines on many servers are one group, whatever the lines around them", () => {
    const { changes } = fleetChange(6, { uniqueEvery: 4 });
    const ks = changes.filter((g) => g.paths.includes(KS));
    // s0000 and s0004 each change their own lines; the other four share one change.
    expect(ks.map((g) => g.servers)).toEqual([["s0001", "s0002", "s0003", "s0005"], ["s0000"], ["s0004"]]);
    expect(ks[0]!.sameContext).toBe(false); // each names its own address around the change
    expect(changes.find((g) => g.paths.includes("manifest.json"))!.servers).toHaveLength(6);
    const json = changesJson(changes);
    expect(json[0]).toMatchObject({ paths: ["manifest.json"], kind: "manifest" });
  });

  it("identical diffs group with the same context; text, markdown and html show the diff once with its servers and counts", () => {
    const before = kickstart("central");
    const after = kickstart("central", "firewall --enabled\n");
    const files = Object.fromEntries(["a", "b", "c"].map((s) => [s, [plannedFile(KS, "update", { before: entry(before, ["root_password_hash"]), after: entry(after, ["root_password_hash"]), origin: { kind: "profile", name: "web" } })]]));
    const changes = groupChanges(files, contentsOf(before, after));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ paths: [KS], origins: ["profile/web"], servers: ["a", "b", "c"], sameContext: true });
    const impact: Impact = { touched: ["a", "b", "c"], servers: Object.fromEntries(["a", "b", "c"].map((s) => [s, { status: "update" as const, objects: [], files: [{ path: KS, op: "update" as const }] }])) };
    const ctx: ReportContext = { servers: { a: { site: "east", wave: 0 }, b: { site: "east", wave: 1 }, c: { site: "west", wave: 1 } }, files, changes };
    const md = impactMarkdown(impact, ctx);
    expect(md.match(/\+firewall --enabled/g)).toHaveLength(1);
    expect(md).toContain("#### `http/autoinstall/web.cfg` updated on 3 servers: a, b, c");
    expect(md).toContain("site east: 2, site west: 1; wave 0: 1, wave 1: 2");
    expect(md).toContain(" rootpw --iscrypted [secret:root_password_hash]");
    // The three servers' tables are the same: one heading for all three.
    expect(md).toContain("### 3 servers (site east: 2, site west: 1; wave 0: 1, wave 1: 2)");
    const text = impactText(impact, ctx);
    expect(text.match(/\+firewall --enabled/g)).toHaveLength(1);
    expect(text).toContain("http/autoinstall/web.cfg updated on 3 servers (from profile/web) [site east: 2, site west: 1; wave 0: 1, wave 1: 2]: a, b, c");
    const html = impactHtml(impact, ctx);
    expect(html.match(/\+firewall --enabled/g)).toHaveLength(1);
    expect(html).toContain(`data-paths="${KS}" data-servers="a b c"`);
    for (const out of [md, text, html]) expect(out).not.toContain("\u0000");
  });

  it("the same edit in several files (one template, many profiles) is one change listing the files", () => {
    const texts: string[] = [];
    const files: Record<string, ReturnType<typeof plannedFile>[]> = {};
    for (const [server, profiles] of [["a", ["db", "web"]], ["b", ["db"]]] as const) {
      files[server] = profiles.map((p) => {
        const before = `# profile ${p} on ${server}\ninstall\n`;
        const after = `# profile ${p} on ${server}\ninstall\nfirewall --enabled\n`;
        texts.push(before, after);
        return plannedFile(`http/autoinstall/${p}.cfg`, "update", { before: entry(before), after: entry(after), origin: { kind: "profile", name: p } });
      });
    }
    const changes = groupChanges(files, contentsOf(...texts));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ paths: ["http/autoinstall/db.cfg", "http/autoinstall/web.cfg"], origins: ["profile/db", "profile/web"], servers: ["a", "b"], sameContext: false, shown: { server: "a", path: "http/autoinstall/db.cfg" } });
    const impact: Impact = { touched: ["a", "b"], servers: Object.fromEntries(Object.entries(files).map(([n, fs]) => [n, { status: "update" as const, objects: [], files: fs.map((f) => ({ path: f.path, op: f.op })) }])) };
    const md = impactMarkdown(impact, { files, changes });
    expect(md).toContain("#### 2 files updated on 2 servers: a, b");
    expect(md).toContain("_the diff of `http/autoinstall/db.cfg` on `a`; in the others the same lines change, the lines around them differ_");
  });

  it("a diff holding backticks cannot close its code block", () => {
    const before = "a\n";
    const after = "a\n```\n## injected heading\n````\n";
    const files = { s: [plannedFile(KS, "update", { before: entry(before), after: entry(after) })] };
    const changes = groupChanges(files, contentsOf(before, after));
    const md = impactMarkdown({ touched: ["s"], servers: { s: { status: "update", objects: [], files: [{ path: KS, op: "update" }] } } }, { files, changes });
    expect(md).toContain("`````diff\n@@");
    expect(md).toContain("\n`````\n");
  });
});

describe("the markdown comment at 1,000 servers", () => {
  it("one template edit on 1,000 servers: the diff once, every server counted, far below the limit", () => {
    const { impact, ctx } = fleetChange(1000);
    const md = impactMarkdown(impact, ctx);
    expect(md.length).toBeLessThan(COMMENT_LIMIT);
    expect(md).not.toContain("**Folded**");
    expect(md.match(/\+firewall --enabled/g)).toHaveLength(1);
    expect(md).toContain("updated on 1000 servers");
    expect(md).toContain("site site0: 250, site site1: 250, site site2: 250, site site3: 250; wave 0: 334, wave 1: 333, wave 2: 333");
    expect(md).toContain("Rollout order: wave 0: 334 servers (s0000, s0003,");
  });

  it("1,000 servers with 100 changes of their own: folded under the limit, and it says what it left out", () => {
    const { impact, ctx, changes } = fleetChange(1000, { uniqueEvery: 10 });
    expect(changes.filter((g) => g.paths.includes(KS))).toHaveLength(101);
    const md = impactMarkdown(impact, ctx);
    expect(md.length).toBeLessThan(COMMENT_LIMIT);
    expect(md).toMatch(/> \*\*Folded\*\* to fit a comment \(65536 characters\): long diffs and server lists are shortened, and \d+ of 101 file changes and \d+ of \d+ server groups are not shown/);
    // The shared change comes first, and whole.
    expect(md.match(/\+firewall --enabled/g)).toHaveLength(1);
    // A server's own 65-line diff is cut to 40 lines.
    expect(md).toContain("… 25 more lines");
  });
});
