import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { loadCatalog, loadCatalogInput } from "../../src/catalog/load";
import { resolveCatalog } from "../../src/catalog/resolve";
import type { CatalogFileInput } from "../../src/catalog/schema";
import { impact } from "../../src/impact";
import { catalogFingerprints } from "../../src/renderJob";
import { impactMarkdown, impactSummary, impactText } from "../../src/report/impactReport";
import { minimal, resolveData, server, tempDir } from "./helpers";

describe("impact", () => {
  const servers = [server({ name: "a", profiles: ["web*"] }), server({ name: "b", profiles: ["db"], tftpPort: 7000, httpPort: 7001 }), server({ name: "c", arch: ["aarch64"], profiles: ["edge"], tftpPort: 7002, httpPort: 7003 })];
  const before = resolveData(minimal());

  it("a catalog against itself touches nothing", () => {
    const i = impact(before, before, servers);
    expect(i.touched).toEqual([]);
    expect(i.servers["a"]).toEqual({ status: "same", objects: [], files: [] });
  });

  it("a template change touches only servers whose files change", () => {
    const d = minimal();
    d.templates[3] = { name: "motd-t", kind: "config", text: "HELLO {{ profile.name }}\n" };
    d.profiles.push({ name: "web-new", parent: "web" });
    const i = impact(before, resolveData(d), servers);
    expect(i.touched).toEqual(["a", "b"]);
    expect(i.servers["c"]!.status).toBe("same");
    expect(i.servers["a"]!.objects).toEqual([
      { kind: "distributionProfile", name: "web-new->el9", op: "create" },
      { kind: "profile", name: "web-new", op: "create" },
      { kind: "template", name: "motd-t", op: "update" },
    ]);
    expect(i.servers["a"]!.files).toContainEqual({ path: "http/autoinstall/web-new.cfg", op: "create" });
    expect(i.servers["a"]!.files).toContainEqual({ path: "http/files/web/motd", op: "update" });
    expect(i.servers["a"]!.files).toContainEqual({ path: "manifest.json", op: "update" });
    expect(i.servers["b"]!.files).toEqual([
      { path: "http/files/db/motd", op: "update" },
      { path: "manifest.json", op: "update" },
    ]);
    const text = impactText(i);
    expect(text.split("\n")[0]).toBe(impactSummary(i));
    expect(impactSummary(i)).toMatch(/^2 of 3 servers touched: \d+ files updated, \d+ created$/);
    expect(impactMarkdown(i)).toContain("### a\n");
  });

  it("deletions and a secret-value-free view", () => {
    const d = minimal();
    d.profiles = d.profiles.filter((p) => p.name !== "web-fe");
    const i = impact(before, resolveData(d), servers);
    expect(i.servers["a"]!.objects).toContainEqual({ kind: "profile", name: "web-fe", op: "delete" });
    expect(i.servers["a"]!.files).toContainEqual({ path: "http/files/web-fe/nginx", op: "delete" });
  });
});

describe("object versions do not know where the checkout is", () => {
  // A payload written every way a catalog writes one; each checkout is a copy at another path,
  // and a folder outside both (an allowed payload root) is the same path for each.
  const shared = tempDir({ vmlinuz: "shared kernel" });
  const KERNEL_SHA = createHash("sha256").update("kernel").digest("hex");
  const forms = (catalog: string) => [
    { path: "images/vmlinuz" },
    { path: "./images/vmlinuz" },
    { path: "../catalog/images/vmlinuz" },
    { path: path.join(catalog, "images", "vmlinuz") },
    { path: path.join(catalog, "images", "vmlinuz"), sha256: KERNEL_SHA },
    { path: path.join(shared, "vmlinuz") },
  ];
  const distributions = (catalog: string) =>
    forms(catalog).map((kernel, n) => ({ name: `d${n}`, arch: "x86_64", breed: "generic", kernel, initrd: { path: path.join(catalog, "images", "initrd.img") }, installTree: "http://m/os" }));
  const checkout = () => path.join(tempDir({ "catalog/images/vmlinuz": "kernel", "catalog/images/initrd.img": "initrd" }), "catalog");

  it("a catalog in code with absolute paths from its folder (path.join(__dirname, …)) has the same versions in every checkout", () => {
    const load = (catalog: string) => catalogFingerprints(resolveCatalog(loadCatalogInput({ distributions: distributions(catalog) } as CatalogFileInput, { baseDir: catalog, payloadRoots: [shared] })));
    expect(load(checkout())).toEqual(load(checkout()));
  });

  it("a YAML catalog has the same versions in every checkout; a payload written relatively or outside the catalog counts as written", () => {
    const load = (catalog: string) => {
      fs.writeFileSync(path.join(catalog, "distributions.yaml"), stringify({ distributions: distributions(catalog) }));
      return catalogFingerprints(resolveCatalog(loadCatalog(catalog, { payloadRoots: [shared] })));
    };
    const a = checkout();
    const versions = load(a);
    expect(load(checkout())).toEqual(versions);
    const kernelOf = (n: number) => (JSON.parse(versions[`distribution/d${n}`]!) as { kernel: unknown }).kernel;
    for (const n of [0, 1, 2, 5]) expect(kernelOf(n), `d${n}`).toEqual(forms(a)[n]);
    // Written absolutely inside the catalog: the path from the YAML file's folder, as it would be written relatively.
    expect([kernelOf(3), kernelOf(4)]).toEqual([{ path: "images/vmlinuz" }, { path: "images/vmlinuz", sha256: KERNEL_SHA }]);
  });
});
