import { describe, expect, it } from "vitest";
import * as layout from "../../src/render/layout";

describe("layout", () => {
  it("matches the child layout contract", () => {
    expect([layout.PXELINUX_MENU_PATH, layout.GRUB_MENU_PATH, layout.IPXE_MENU_PATH, layout.MANIFEST_PATH]).toEqual(["tftp/pxelinux.cfg/default", "tftp/grub/grub.cfg", "tftp/boot.ipxe", "manifest.json"]);
    expect(layout.kernelPath("d")).toBe("tftp/images/d/vmlinuz");
    expect(layout.initrdPath("d")).toBe("tftp/images/d/initrd.img");
    expect(layout.autoinstallPath("p")).toBe("http/autoinstall/p.cfg");
    expect(layout.configFilePath("p", "c")).toBe("http/files/p/c");
  });
});
