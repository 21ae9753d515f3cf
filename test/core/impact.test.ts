import { describe, expect, it } from "vitest";
import { impact } from "../../src/impact";
import { impactMarkdown, impactSummary, impactText } from "../../src/report/impactReport";
import { minimal, resolveData, server } from "./helpers";

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
