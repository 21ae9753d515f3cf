import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { contentKey, sha256Hex } from "../../src/state/contentKey";
import { loadCatalog } from "../../src/catalog/load";
import { resolveCatalog } from "../../src/catalog/resolve";
import { DistributionSchema } from "../../src/catalog/schema";
import { impact } from "../../src/impact";
import { render } from "../../src/render/render";
import { select } from "../../src/select";
import { SHA_A, issuesOf, minimal, server, tempDir } from "./helpers";

const PXELINUX = "PXELINUX-BYTES";
const LDLINUX = "LDLINUX-BYTES";
const MENU = "MENU-BYTES";

/** The minimal catalog plus a BIOS boot loader whose files live beside the YAML. */
function withLoader(patch: (d: ReturnType<typeof minimal> & { bootLoaders: Record<string, unknown>[] }) => void = () => {}) {
  const d = {
    ...minimal(),
    bootLoaders: [
      {
        name: "pxelinux-bios",
        menu: "pxelinux-menu",
        files: [{ path: "bl/pxelinux.0" }, { path: "bl/ldlinux.c32", sha256: sha256Hex(LDLINUX) }, { path: "bl/menu.c32" }],
      },
    ] as Record<string, unknown>[],
  };
  patch(d);
  const dir = tempDir({ "c.yaml": stringify(d), "bl/pxelinux.0": PXELINUX, "bl/ldlinux.c32": LDLINUX, "bl/menu.c32": MENU });
  return { dir, load: () => resolveCatalog(loadCatalog(dir)) };
}

describe("payload sha256", () => {
  const base = { name: "d", arch: "x86_64", breed: "redhat", installTree: "http://m/os", initrd: { url: "http://m/i", sha256: SHA_A } };
  it("may be omitted for a local path, not for a url", () => {
    expect(DistributionSchema.safeParse({ ...base, kernel: { path: "k" } }).success).toBe(true);
    const url = DistributionSchema.safeParse({ ...base, kernel: { url: "http://m/k" } });
    expect(url.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual(["kernel: a url payload needs sha256 (the catalog never downloads it to compute one)"]);
  });
  it("is computed at validation when omitted; an absolute path stays absolute", () => {
    const d = minimal();
    const dir = tempDir({ "p/vmlinuz": "KERNEL", "p/initrd.img": "INITRD" });
    d.distributions[0] = { ...d.distributions[0]!, kernel: { path: "p/vmlinuz" }, initrd: { path: path.join(dir, "p/initrd.img") } };
    fs.writeFileSync(path.join(dir, "c.yaml"), stringify(d));
    const el9 = resolveCatalog(loadCatalog(dir)).distributions.get("el9")!;
    expect(el9.kernelFile).toEqual({ sha256: sha256Hex("KERNEL"), size: 6, sourcePath: path.join(dir, "p/vmlinuz") });
    expect(el9.initrdFile).toEqual({ sha256: sha256Hex("INITRD"), size: 6, sourcePath: path.join(dir, "p/initrd.img") });
  });
});

describe("boot loaders", () => {
  it("are checksummed (computed when omitted, checked when given) and placed at the TFTP root by file name", () => {
    const r = withLoader().load();
    expect(r.bootLoaders.get("pxelinux-bios")!.placed.map((f) => [f.fileName, f.sha256])).toEqual([
      ["pxelinux.0", sha256Hex(PXELINUX)],
      ["ldlinux.c32", sha256Hex(LDLINUX)],
      ["menu.c32", sha256Hex(MENU)],
    ]);
  });

  it("a wrong sha256 or a missing file is an error naming the file entry", () => {
    const { dir, load } = withLoader((d) => {
      (d.bootLoaders[0]!.files as object[])[1] = { path: "bl/ldlinux.c32", sha256: SHA_A };
      (d.bootLoaders[0]!.files as object[]).push({ path: "bl/libutil.c32" });
    });
    expect(issuesOf(load).map((i) => `${i.path}: ${i.message}`)).toEqual([
      `bootLoaders[0].files[1].sha256: sha256 mismatch for ${path.join(dir, "bl/ldlinux.c32")}: catalog says ${SHA_A}, file has ${sha256Hex(LDLINUX)}`,
      `bootLoaders[0].files[3].path: cannot read boot loader file ${path.join(dir, "bl/libutil.c32")}: ENOENT`,
    ]);
  });

  it("file names must be unique across loaders and clear of the layout's names; loader names unique", () => {
    const { load } = withLoader((d) => {
      d.bootLoaders.push({ name: "other", menu: "grub-menu", files: [{ path: "bl/menu.c32" }, { url: "http://m/grub", sha256: SHA_A }] });
      d.bootLoaders.push({ name: "other", menu: "ipxe-menu", files: [{ url: "http://m/x/images", sha256: SHA_A }] });
    });
    expect(issuesOf(load).map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^bootLoaders\[2\]\.name: duplicate boot loader name "other"/),
    ]);
    const { load: load2 } = withLoader((d) => {
      d.bootLoaders.push({ name: "other", menu: "grub-menu", files: [{ path: "bl/menu.c32" }, { url: "http://m/grub", sha256: SHA_A }] });
    });
    expect(issuesOf(load2).map((i) => `${i.path}: ${i.message}`)).toEqual([
      // Loaders are checked in name order: "other" claims menu.c32 first.
      'bootLoaders[1].files[1]: boot loader file "grub" would overlap grub/grub.cfg, which the child layout uses (pxelinux.cfg, grub/grub.cfg, grub/hosts, boot.ipxe, ipxe, images)',
      'bootLoaders[0].files[2]: boot loader file "menu.c32" is already placed by boot loader other',
    ]);
  });

  it("are selected for every server whose menus they load, with a reason, even one serving nothing", () => {
    const r = withLoader().load();
    for (const profiles of [["web*"], []]) {
      expect(select(r, server({ profiles })).objects).toContainEqual({ kind: "bootLoader", name: "pxelinux-bios", reason: "boot loader for pxelinux-menu" });
    }
  });

  it("render places their files under tftp/ with sha256, content key and source", () => {
    const { dir, load } = withLoader();
    const tree = render(load(), server({ profiles: [] }));
    const loaderFiles = tree.files.filter((f) => f.origin.kind === "bootLoader");
    expect(loaderFiles).toEqual(
      (
        [
          ["ldlinux.c32", LDLINUX],
          ["menu.c32", MENU],
          ["pxelinux.0", PXELINUX],
        ] as const
      ).map(([name, bytes]) => ({
        path: `tftp/${name}`,
        sha256: sha256Hex(bytes),
        key: contentKey(sha256Hex(bytes)),
        size: bytes.length,
        mode: "0644",
        origin: { kind: "bootLoader", name: "pxelinux-bios" },
        payload: { path: fs.realpathSync(path.join(dir, "bl", name)) },
        secrets: [],
      })),
    );
  });

  it("a catalog without boot loaders renders as before", () => {
    const d = minimal();
    const r = resolveCatalog(loadCatalog(tempDir({ "c.yaml": stringify(d) })));
    expect(r.bootLoaders.size).toBe(0);
    expect(render(r, server()).files.some((f) => f.origin.kind === "bootLoader")).toBe(false);
  });

  it("a changed loader file updates exactly that file (and the manifest) on every server", () => {
    const { dir, load } = withLoader();
    const before = load();
    fs.writeFileSync(path.join(dir, "bl/menu.c32"), "MENU-BYTES-v2");
    const after = resolveCatalog(loadCatalog(dir));
    const servers = [server({ name: "a" }), server({ name: "b", profiles: [] })];
    const out = impact(before, after, servers);
    expect(out.touched).toEqual(["a", "b"]);
    for (const s of ["a", "b"]) {
      expect(out.servers[s]!.files).toEqual([
        { path: "manifest.json", op: "update" },
        { path: "tftp/menu.c32", op: "update" },
      ]);
      expect(out.servers[s]!.objects).toEqual([{ kind: "bootLoader", name: "pxelinux-bios", op: "update" }]);
    }
  });
});
