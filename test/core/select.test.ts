import { describe, expect, it } from "vitest";
import { select } from "../../src/select";
import { minimal, resolveData, server } from "./helpers";

describe("select", () => {
  const r = resolveData(minimal());
  it("selects served profiles, ancestors, distribution, mapping, templates, snippets, config files, menus — with reasons", () => {
    const s = select(r, server({ profiles: ["web*"] }));
    expect(s.profiles).toEqual(["web", "web-fe"]);
    expect(s.objects).toEqual([
      { kind: "configFile", name: "motd", reason: "config file of profile web" },
      { kind: "configFile", name: "nginx", reason: "config file of profile web-fe" },
      { kind: "distribution", name: "el9", reason: "installed by profile web" },
      { kind: "distributionProfile", name: "web->el9", reason: "maps profile web" },
      { kind: "distributionProfile", name: "web-fe->el9", reason: "maps profile web-fe" },
      { kind: "profile", name: "base", reason: "parent of web" },
      { kind: "profile", name: "web", reason: "served: matches 'web*'" },
      { kind: "profile", name: "web-fe", reason: "served: matches 'web*'" },
      { kind: "template", name: "grub-menu", reason: "boot menu" },
      { kind: "template", name: "ipxe-menu", reason: "boot menu" },
      { kind: "template", name: "ks", reason: "autoinstall of profile web" },
      { kind: "template", name: "motd-t", reason: "template of config file motd" },
      { kind: "template", name: "net", reason: "included by ks" },
      { kind: "template", name: "net2", reason: "included by net" },
      { kind: "template", name: "nginx-t", reason: "template of config file nginx" },
      { kind: "template", name: "pxelinux-menu", reason: "boot menu" },
    ]);
    expect(s.warnings).toEqual([]);
  });
  it("prefers 'served: listed' and the most direct reason", () => {
    const s = select(r, server({ profiles: ["web", "web*", "web-fe"] }));
    expect(s.objects.find((o) => o.name === "web")!.reason).toBe("served: listed");
    expect(s.objects.find((o) => o.name === "base")!.reason).toBe("parent of web");
  });
  it("drops profiles whose distribution arch the server lacks; warns for listed ones and empty patterns", () => {
    const s = select(r, server({ arch: ["aarch64"], profiles: ["edge", "db", "nomatch*", "ghost"] }));
    expect(s.profiles).toEqual(["edge"]);
    expect(s.warnings).toEqual([
      "profile 'db' dropped: its distribution el9 is x86_64, server serves aarch64",
      "'nomatch*' matches no profile",
      "'ghost' matches no profile",
    ]);
    expect(s.objects.map((o) => o.name)).not.toContain("el9");
    expect(s.objects.map((o) => o.name)).not.toContain("unused");
  });
  it("a server serving nothing still ships the menus only", () => {
    const s = select(r, server({ profiles: [] }));
    expect(s.objects.map((o) => o.name)).toEqual(["grub-menu", "ipxe-menu", "pxelinux-menu"]);
  });
  it("catalog menu overrides and their snippets are selected", () => {
    const d = minimal();
    d.templates.push({ name: "grub-menu", kind: "grub-menu", text: '{% include "net2" %}' });
    const s = select(resolveData(d), server({ profiles: [] }));
    expect(s.objects).toContainEqual({ kind: "template", name: "net2", reason: "included by grub-menu" });
  });
});
