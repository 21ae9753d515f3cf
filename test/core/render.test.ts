import { describe, expect, it } from "vitest";
import { contentKey, sha256Hex } from "../../src/state/contentKey";
import { secretToken, unmask } from "../../src/render/secretTokens";
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
  it("files carry sha256, content key, size, mode, origin; payloads where their bytes are", () => {
    const f = file("http/files/web/motd");
    expect(f).toMatchObject({ sha256: sha256Hex("hello web\n"), key: contentKey(sha256Hex("hello web\n")), size: 10, mode: "0644", origin: { kind: "configFile", name: "motd" }, secrets: [] });
    expect(file("tftp/images/el9/vmlinuz")).toMatchObject({ origin: { kind: "distribution", name: "el9" }, payload: { url: "http://m/el9/vmlinuz" }, size: null });
  });
  it("secrets never enter rendering: a token in their place, each file naming the secrets it prints", () => {
    const d = minimal();
    d.templates[0] = { name: "ks", kind: "autoinstall", text: "pw={{ profile.variables.pw }}\n" };
    const t = render(resolveData(d), server({ profiles: ["web"] }));
    const ks = t.files.find((f) => f.path === "http/autoinstall/web.cfg")!;
    expect(ks).toMatchObject({ content: `pw=${secretToken("pw")}\n`, secrets: ["pw"] });
    expect(unmask(ks.content!, { pw: "$6$hash" })).toBe("pw=$6$hash\n");
    expect(t.files.find((f) => f.path === "http/files/web/motd")!.secrets).toEqual([]);
    expect(t.secretNames).toEqual(["pw"]);
  });
  it("a secret in kernel options is printed by the menus", () => {
    const d = minimal();
    d.profiles[0] = { ...d.profiles[0]!, kernelOptions: { token: "{{ profile.variables.pw }}" } };
    const t = render(resolveData(d), server({ profiles: ["web"] }));
    expect(t.files.find((f) => f.path === "tftp/grub/grub.cfg")!.secrets).toEqual(["pw"]);
  });
});
