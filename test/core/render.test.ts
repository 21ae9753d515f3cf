import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/catalog/checksums";
import { render } from "../../src/render/render";
import { minimal, resolveData, server } from "./helpers";

describe("render", () => {
  const r = resolveData(minimal());
  const tree = render(r, server({ profiles: ["web*"], address: "10.0.0.5", httpPort: 8081 }));
  const file = (p: string) => tree.files.find((f) => f.path === p)!;

  it("places the contract layout, sorted by path", () => {
    expect(tree.files.map((f) => f.path)).toEqual([
      "http/autoinstall/web-fe.cfg",
      "http/autoinstall/web.cfg",
      "http/files/web-fe/motd",
      "http/files/web-fe/nginx",
      "http/files/web/motd",
      "manifest.json",
      "tftp/boot.ipxe",
      "tftp/grub/grub.cfg",
      "tftp/images/el9/initrd.img",
      "tftp/images/el9/vmlinuz",
      "tftp/pxelinux.cfg/default",
    ]);
  });
  it("renders templates with the documented context; kernel options are templates", () => {
    expect(file("http/autoinstall/web.cfg").content).toBe("role=web\nnet for web\ndhcp\n");
    expect(file("http/files/web-fe/nginx").content).toBe("server s1\n");
    const pxe = file("tftp/pxelinux.cfg/default").content!;
    expect(pxe).toContain("LABEL web-fe\n");
    expect(pxe).toContain("APPEND inst.ks=http://10.0.0.5:8081/autoinstall/web-fe.cfg quiet\n");
    expect(pxe.indexOf("LABEL web\n")).toBeLessThan(pxe.indexOf("LABEL web-fe\n"));
  });
  it("files carry sha256, size, mode, origin", () => {
    const f = file("http/files/web/motd");
    expect(f).toMatchObject({ sha256: sha256Hex("hello web\n"), size: 10, mode: "0644", origin: { kind: "configFile", name: "motd" }, secret: false });
    expect(file("tftp/images/el9/vmlinuz")).toMatchObject({ origin: { kind: "distribution", name: "el9" }, sourceUrl: "http://m/el9/vmlinuz", size: null });
  });
  it("manifest lists every other file, pretty, trailing newline", () => {
    const m = file("manifest.json");
    expect(m.origin).toEqual({ kind: "manifest", name: "s1" });
    expect(m.content!.endsWith("}\n")).toBe(true);
    const parsed = JSON.parse(m.content!);
    expect(parsed.files.map((f: { path: string }) => f.path)).toEqual(tree.files.filter((f) => f.path !== "manifest.json").map((f) => f.path));
  });
  it("secrets: placeholder when missing, real value when given, flagged only where read", () => {
    const d = minimal();
    d.templates[0] = { name: "ks", kind: "autoinstall", text: "pw={{ profile.variables.pw }}\n" };
    const rr = resolveData(d);
    const t1 = render(rr, server({ profiles: ["web"] }));
    const ks1 = t1.files.find((f) => f.path === "http/autoinstall/web.cfg")!;
    expect(ks1).toMatchObject({ content: "pw=[secret:pw]\n", secret: true });
    expect(t1.files.find((f) => f.path === "http/files/web/motd")!.secret).toBe(false);
    const t2 = render(rr, server({ profiles: ["web"] }), { secrets: { pw: "$6$hash" } });
    expect(t2.files.find((f) => f.path === "http/autoinstall/web.cfg")!.content).toBe("pw=$6$hash\n");
  });
  it("a secret in kernel options makes the menus secret", () => {
    const d = minimal();
    d.profiles[0] = { ...d.profiles[0]!, kernelOptions: { token: "{{ profile.variables.pw }}" } };
    const t = render(resolveData(d), server({ profiles: ["web"] }));
    expect(t.files.find((f) => f.path === "tftp/grub/grub.cfg")!.secret).toBe(true);
  });
});
