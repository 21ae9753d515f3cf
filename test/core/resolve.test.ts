import * as crypto from "node:crypto";
import * as path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/catalog/errors";
import { loadCatalog } from "../../src/catalog/load";
import { resolveCatalog } from "../../src/catalog/resolve";
import { SHA_A, catalogDir, issuesOf, minimal, resolveData, tempDir } from "./helpers";

const msgs = (data: object) => issuesOf(() => resolveData(data)).map((i) => `${i.path}: ${i.message}`);

describe("resolveCatalog", () => {
  it("inherits along chains: maps merge key by key, null removes, child overrides", () => {
    const d = minimal();
    d.profiles[1] = { name: "web", parent: "base", variables: { role: "web", extra: 1 }, kernelOptions: { quiet: null, console: "ttyS0" } };
    d.profiles[2] = { name: "web-fe", parent: "web", variables: { extra: null }, configFiles: ["nginx"] };
    const r = resolveData(d);
    const fe = r.profiles.get("web-fe")!;
    expect(fe.ancestors).toEqual(["web", "base"]);
    expect(fe.distribution).toBe("el9");
    expect(fe.autoinstall).toBe("ks");
    expect(fe.variables).toEqual({ pw: { secret: "pw" }, role: "web" });
    expect(fe.kernelOptions).toEqual({ console: "ttyS0", "inst.ks": "{{ autoinstallUrl }}" });
    expect(fe.configFiles).toEqual(["motd", "nginx"]); // union along the chain
    expect(r.mappings.get("web-fe")).toMatchObject({ name: "web-fe->el9", declaredBy: "base" });
  });

  it("reports unknown parents with the known names and the line", () => {
    const d = minimal();
    d.profiles.push({ name: "x", parent: "nope" });
    const dir = catalogDir(d);
    const issues = issuesOf(() => resolveCatalog(loadCatalog(dir)));
    expect(issues.map(formatIssue)).toContain(`${path.join(dir, "catalog.yaml")}:${lineOf(dir, "parent: nope")} profiles[5].parent: unknown profile "nope" (known: base, db, edge, web, web-fe, x)`);
  });

  it("reports a cycle once, listing it", () => {
    const d = minimal();
    d.profiles.push({ name: "c1", parent: "c3" }, { name: "c2", parent: "c1" }, { name: "c3", parent: "c2" }, { name: "c4", parent: "c3" });
    expect(msgs(d)).toEqual(["profiles[5].parent: inheritance cycle: c1 -> c3 -> c2 -> c1"]);
  });

  it("reports unknown references: distribution, autoinstall, config files, config template, kinds", () => {
    const d = minimal();
    d.profiles.push({ name: "p1", distribution: "nodist", autoinstall: "nott", configFiles: ["nocf"] });
    d.profiles.push({ name: "p2", distribution: "el9", autoinstall: "net" });
    d.configFiles.push({ name: "cf3", template: "nott", destination: "/x" });
    d.distributionProfiles.push({ profile: "ghost", distribution: "el9" });
    expect(msgs(d).sort()).toEqual(
      [
        'configFiles[2].template: unknown template "nott" (config templates known: motd-t, nginx-t)',
        'distributionProfiles[0].profile: unknown profile "ghost" (known: base, db, edge, p1, p2, web, web-fe)',
        'profiles[5].autoinstall: unknown template "nott" (autoinstall templates known: ks)',
        'profiles[5].configFiles[0]: unknown config file "nocf" (known: cf3, motd, nginx)',
        'profiles[5].distribution: unknown distribution "nodist" (known: deb12, el9)',
        'profiles[6].autoinstall: template "net" is of kind snippet, expected autoinstall',
        "profiles[5]: profile \"p1\" resolves to no distribution (set distribution, add a distributionProfiles entry, or inherit one)",
      ].sort(),
    );
  });

  it("maps through distributionProfiles, and reports conflicting mappings", () => {
    const d = minimal();
    d.profiles.push({ name: "m", autoinstall: "ks" });
    d.distributionProfiles.push({ profile: "m", distribution: "deb12" });
    expect(resolveData(d).mappings.get("m")!.distribution).toBe("deb12");
    d.distributionProfiles.push({ profile: "base", distribution: "deb12" });
    d.distributionProfiles.push({ profile: "m", distribution: "deb12" }); // same mapping twice is fine
    const m = msgs(d);
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/^distributionProfiles\[1\]\.distribution: conflicting distribution for profile "base": "deb12" here, "el9" at .*catalog\.yaml:\d+$/);
  });

  it("requires an autoinstall template where a distribution is resolved", () => {
    const d = minimal();
    d.profiles.push({ name: "noauto", distribution: "el9" });
    expect(msgs(d)).toEqual(['profiles[5]: profile "noauto" has a distribution but no autoinstall template (set autoinstall here or on an ancestor)']);
  });

  it("verifies payload checksums: mismatch names the file and both hashes; missing file", () => {
    const good = crypto.createHash("sha256").update("KERNEL").digest("hex");
    const d = minimal();
    d.distributions[0] = { ...d.distributions[0]!, kernel: { path: "p/vmlinuz", sha256: SHA_A }, initrd: { path: "p/missing.img", sha256: SHA_A } };
    const dir = tempDir({ "c.yaml": stringify(d), "p/vmlinuz": "KERNEL" });
    const issues = issuesOf(() => resolveCatalog(loadCatalog(dir))).map(formatIssue);
    expect(issues).toEqual([
      `${path.join(dir, "c.yaml")}:${lineOf(dir, "sha256", "c.yaml", 0)} distributions[0].kernel.sha256: sha256 mismatch for ${path.join(dir, "p/vmlinuz")}: catalog says ${SHA_A}, file has ${good}`,
      `${path.join(dir, "c.yaml")}:${lineOf(dir, "path: p/missing.img", "c.yaml")} distributions[0].initrd.path: cannot read initrd file ${path.join(dir, "p/missing.img")}: ENOENT`,
    ]);
    d.distributions[0]!.kernel = { path: "p/vmlinuz", sha256: good };
    d.distributions[0]!.initrd = { path: "p/vmlinuz", sha256: good };
    const r = resolveCatalog(loadCatalog(tempDir({ "c.yaml": stringify(d), "p/vmlinuz": "KERNEL" })));
    expect(r.distributions.get("el9")!.kernelFile).toMatchObject({ sha256: good, size: 6 });
  });

  it("does not hash URL payloads", () => {
    expect(resolveData(minimal()).distributions.get("el9")!.kernelFile).toEqual({ sha256: SHA_A, size: null, sourceUrl: "http://m/el9/vmlinuz" });
  });

  it("checks includes: unknown, non-snippet, cycles, computed names; and syntax", () => {
    const d = minimal();
    d.templates.push({ name: "a", kind: "snippet", text: '{% include "b" %}' }, { name: "b", kind: "snippet", text: '{% include "a" %}' });
    d.templates.push({ name: "c", kind: "snippet", text: 'x\n{% include "zz" %}' }, { name: "e", kind: "snippet", text: '{% include "ks" %}' });
    d.templates.push({ name: "f", kind: "snippet", text: "{% include name %}" });
    expect(msgs(d).sort()).toEqual(
      [
        "template a: include cycle: a -> b -> a",
        'template c: includes unknown template "zz" (snippet templates known: a, b, c, e, f, net, net2, unused)',
        'template e: includes "ks" which is of kind autoinstall, expected snippet',
        "template f: include of a template by a computed name; only literal catalog names can be shipped and checked (column 4)",
      ].sort(),
    );
    const s = minimal();
    s.templates.push({ name: "bad", kind: "snippet", text: "ok\n{% if %}" });
    expect(msgs(s)).toEqual(["template bad: unexpected token: %}"]);
  });

  it("menu overrides must keep the menu kind", () => {
    const d = minimal();
    d.templates.push({ name: "grub-menu", kind: "snippet", text: "x" });
    expect(msgs(d)).toEqual(["templates[6].kind: template \"grub-menu\" overrides a builtin menu and must be of kind grub-menu, not snippet"]);
  });
});

function lineOf(dir: string, needle: string, file = "catalog.yaml", nth = 0): number {
  const lines = require("node:fs").readFileSync(path.join(dir, file), "utf8").split("\n") as string[];
  const hits = lines.map((l, i) => (l.includes(needle) ? i + 1 : 0)).filter(Boolean);
  return hits[nth]!;
}
