// Two objects never claim the same path: a file where another object needs a folder, two paths
// equal once case is folded, one destination written twice on the installed machine. Each is a
// located error naming both objects, for every server at once, from every job that renders
// (validate; trees: select, plan, the stack program; impact), before anything is written.
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../src/catalog/load";
import { resolveCatalog } from "../../src/catalog/resolve";
import { foldPath, pathClaimIssues } from "../../src/render/pathClaims";
import { render } from "../../src/render/render";
import { type RenderJob, runRenderJob } from "../../src/renderJob";
import { SHA_A, minimal, server, tempDir } from "./helpers";

type Data = ReturnType<typeof minimal> & { hosts?: Record<string, unknown>[]; bootLoaders?: Record<string, unknown>[] };

/** A catalog written to c.yaml; `lineOf` finds the line (the first, or the last) that ends with a text. */
function written(data: Data) {
  const dir = tempDir({ "c.yaml": stringify(data) });
  const text = fs.readFileSync(path.join(dir, "c.yaml"), "utf8").split("\n");
  const lines = (end: string) => text.map((l, i) => (l.endsWith(end) ? i + 1 : 0)).filter((n) => n > 0);
  return { dir, catalog: () => loadCatalog(dir), lineOf: (end: string, which: "first" | "last" = "first") => (which === "first" ? lines(end)[0] : lines(end).pop()) ?? 0 };
}

/** `c.yaml:LINE key.path: message` of every issue of a job, or [] when it passes. */
function issues(job: RenderJob): string[] {
  const r = runRenderJob(job);
  return r.ok ? [] : r.issues.map((i) => `${path.basename(i.file)}:${i.line} ${i.path}: ${i.message}`);
}

const host = (name: string, mac: string, profile = "web", where: Record<string, string> = { server: "s1" }) => ({ name, interfaces: [{ mac }], profile, ...where });

/** The minimal catalog plus a profile named `hosts` whose config file is `cf`, and a host named `cf`. */
function hostsAndHost(cf: "motd" | "nginx") {
  const d: Data = minimal();
  d.profiles.push({ name: "hosts", parent: "base", configFiles: [cf] });
  // The host's profile installs config files (web inherits base's motd; web-fe adds nginx).
  d.hosts = [host(cf, "52:54:00:00:00:01", "web-fe")];
  return written(d);
}

describe("a profile named after the hosts' folder and a host named after its config file", () => {
  for (const cf of ["motd", "nginx"] as const) {
    it(`${cf}: no longer one path: a host's own files lie outside the served roots, under hosts/<host>/`, () => {
      const c = hostsAndHost(cf);
      expect(issues({ kind: "validate", catalog: c.catalog() })).toEqual([]);
      const s1 = server({ profiles: ["hosts"] });
      expect(issues({ kind: "trees", catalog: c.catalog(), servers: [s1], stack: [s1] })).toEqual([]);
      const paths = render(resolveCatalog(c.catalog()), s1).files.map((f) => f.path);
      expect(paths).toContain(`http/files/hosts/${cf}`);
      expect(paths).toContain(`hosts/${cf}/files/motd`);
    });
  }

  it("each alone is fine: a profile named hosts, a host named motd, the same names on servers that never hold both", () => {
    const d: Data = minimal();
    d.profiles.push({ name: "hosts", parent: "base" }); // installs motd, but no host is named motd
    d.hosts = [host("nginx", "52:54:00:00:00:01", "web-fe")];
    expect(issues({ kind: "validate", catalog: written(d).catalog() })).toEqual([]);

    const apart: Data = minimal();
    apart.profiles.push({ name: "hosts", parent: "base", configFiles: ["motd"] });
    apart.hosts = [host("motd", "52:54:00:00:00:01", "web-fe", { server: "s2" })];
    const [s1, s2] = [server({ profiles: ["hosts"] }), server({ name: "s2", profiles: ["db"] })];
    expect(issues({ kind: "trees", catalog: written(apart).catalog(), servers: [s1, s2], stack: [s1, s2] })).toEqual([]);
  });
});

describe("paths equal once case is folded", () => {
  it("profiles Web and web, hosts Web-01 and web-01, distributions EL9 and el9: every pair, every server, at once", () => {
    const d: Data = minimal();
    d.profiles.push({ name: "Web", parent: "base" });
    d.distributions.push({ ...d.distributions[0], name: "EL9" });
    d.profiles.push({ name: "web-el9", distribution: "EL9", autoinstall: "ks", variables: { role: "web" } });
    d.hosts = [host("Web-01", "52:54:00:00:00:01"), host("web-01", "52:54:00:00:00:02")];
    const c = written(d);
    const [s1, s2] = [server({ profiles: ["web*", "Web"] }), server({ name: "s2", profiles: ["Web", "web"] })];
    const found = issues({ kind: "trees", catalog: c.catalog(), servers: [s1, s2], stack: [s1, s2] });
    const lines = found.map((l) => l.replace(`${c.dir}/`, ""));
    expect(lines).toContainEqual(
      `c.yaml:${c.lineOf("name: web-01")} hosts[1].name: hosts/web-01/arm (host web-01) and hosts/Web-01/arm (host Web-01, c.yaml:${c.lineOf("name: Web-01")}) differ only in case on server s1: they are one file where case is not told apart; rename one of them`,
    );
    // One issue for the pair of profiles, naming both servers that hold them.
    expect(lines.filter((l) => l.includes("profile web, ") || l.includes("(profile web)"))).toEqual([
      `c.yaml:${c.lineOf("name: web")} profiles[1].name: http/autoinstall/web.cfg (profile web) and http/autoinstall/Web.cfg (profile Web, c.yaml:${c.lineOf("name: Web")}) differ only in case on servers s1, s2: they are one file where case is not told apart; rename one of them`,
    ]);
    expect(lines.some((l) => l.includes("tftp/images/el9/initrd.img (distribution el9) and tftp/images/EL9/initrd.img (distribution EL9"))).toBe(true);
    // The host pairs' per-MAC files do not clash (MACs differ): the pair is reported once per kind of file.
    expect(lines.filter((l) => l.includes("host web-01"))).toHaveLength(1);
  });

  it("the fold: NFC, then the full case mapping (ß and SS, ﬁ and FI, the Kelvin sign and k are one name)", () => {
    expect(foldPath("Straße")).toBe(foldPath("STRASSE"));
    expect(foldPath("ﬁle")).toBe(foldPath("FILE"));
    expect(foldPath("\u212Aernel")).toBe(foldPath("kernel"));
    expect(foldPath("caf\u00e9")).toBe(foldPath("cafe\u0301"));
    expect(foldPath("web")).not.toBe(foldPath("web-"));
    // The check on file sets that are not from a catalog (names are ASCII there): the fold decides.
    const resolved = resolveCatalog(loadCatalog(written(minimal()).dir));
    const file = (p: string, name: string) => ({ path: p, origin: { kind: "profile" as const, name } });
    const found = pathClaimIssues(resolved, [{ server: "s1", files: [file("http/Straße/a", "x"), file("http/STRASSE", "y"), file("http/é", "z"), file("http/e\u0301", "w")] }]);
    expect(found.map((i) => i.message)).toEqual([
      "http/Straße/a (profile x) would lie inside http/STRASSE, which is a file (profile y) on server s1: one path cannot be both a file and a folder; rename one of them",
      "http/\u00e9 (profile z) and http/e\u0301 (profile w) differ only in case on server s1: they are one file where case is not told apart; rename one of them",
    ]);
  });
});

describe("names against the layout's own folders", () => {
  /** The minimal catalog plus a boot loader (URL payloads) placing a file at `as`. */
  const withLoaderAt = (as: string) => {
    const d: Data = minimal();
    d.bootLoaders = [{ name: "bl", menu: "pxelinux-menu", files: [{ url: "http://m/pxelinux.0", sha256: SHA_A }, { url: "http://m/x", sha256: SHA_A, as }] }];
    return written(d);
  };

  it("a boot loader file at Images, PXELINUX.CFG or Boot.ipxe meets the layout's images/, pxelinux.cfg/ and boot.ipxe", () => {
    const cases: [string, RegExp][] = [
      ["Images", /tftp\/images\/el9\/initrd\.img \(distribution el9\) would lie inside tftp\/Images, which is a file \(boot loader bl, .*c\.yaml:\d+\)/],
      ["PXELINUX.CFG", /tftp\/pxelinux\.cfg\/default \(template pxelinux-menu\) would lie inside tftp\/PXELINUX\.CFG, which is a file \(boot loader bl\) on server s1/],
      ["Boot.ipxe", /tftp\/boot\.ipxe \(template ipxe-menu\) and tftp\/Boot\.ipxe \(boot loader bl\) differ only in case on server s1/],
    ];
    for (const [as, message] of cases) {
      const c = withLoaderAt(as);
      const s1 = server({ profiles: ["web"] });
      const found = issues({ kind: "trees", catalog: c.catalog(), servers: [s1], stack: [s1] });
      expect(found.some((l) => message.test(l)), `${as}: ${found.join("\n")}`).toBe(true);
      // Located at the second object of the pair where the catalog defines it, else at the first.
      const at = as === "Images" ? `c.yaml:${c.lineOf("name: el9")} distributions[0].name: ` : `c.yaml:${c.lineOf("name: bl")} bootLoaders[0].name: `;
      expect(found.every((l) => l.startsWith(at)), found.join("\n")).toBe(true);
      expect(issues({ kind: "validate", catalog: c.catalog() }).length).toBeGreaterThan(0);
    }
  });

  it("distribution and profile names share no folder: a distribution and a profile both named web pass", () => {
    const d: Data = minimal();
    d.distributions[0] = { ...d.distributions[0], name: "web" };
    d.profiles[0] = { ...d.profiles[0], distribution: "web" };
    const c = written(d);
    expect(issues({ kind: "validate", catalog: c.catalog() })).toEqual([]);
    const tree = render(resolveCatalog(c.catalog()), server({ profiles: ["web"] }));
    expect(tree.files.map((f) => f.path)).toEqual(expect.arrayContaining(["http/autoinstall/web.cfg", "http/files/web/motd", "tftp/images/web/vmlinuz"]));
  });
});

describe("config file destinations on the installed machine", () => {
  it("a destination inside another's, or the same one twice, in one profile's closure, is refused at the config file", () => {
    const d: Data = minimal();
    d.configFiles.push({ name: "motd-d", template: "motd-t", destination: "/etc/motd/extra" }, { name: "issue", template: "motd-t", destination: "/etc/nginx/nginx.conf" });
    d.profiles.push({ name: "odd", parent: "web-fe", configFiles: ["motd-d", "issue"] });
    const c = written(d);
    const at = (name: string) => `c.yaml:${c.lineOf(`name: ${name}`)} configFiles`;
    const found = issues({ kind: "validate", catalog: c.catalog() }).map((l) => l.replace(`${c.dir}/`, ""));
    expect(found).toEqual([
      `${at("motd-d")}[2].name: /etc/motd/extra (config file motd-d) would lie inside /etc/motd, which is a file (config file motd, c.yaml:${c.lineOf("name: motd")}) (destinations installed by profile odd): one path cannot be both a file and a folder; rename one of them`,
      `${at("nginx")}[1].name: /etc/nginx/nginx.conf is claimed by both config file nginx and config file issue, c.yaml:${c.lineOf("name: issue")} (destinations installed by profile odd): rename one of them`,
    ]);
  });

  it("case counts there: /etc/Motd and /etc/motd are two files", () => {
    const d: Data = minimal();
    d.configFiles.push({ name: "motd-upper", template: "motd-t", destination: "/etc/Motd" });
    d.profiles.push({ name: "both", parent: "base", configFiles: ["motd-upper"] });
    expect(issues({ kind: "validate", catalog: written(d).catalog() })).toEqual([]);
  });
});

describe("the check against its definition", () => {
  it("a file set is refused exactly when two of its paths are equal once folded, or one is a folder of another", () => {
    const resolved = resolveCatalog(loadCatalog(written(minimal()).dir));
    const segment = fc.constantFrom("a", "A", "b", "hosts", "Hosts", "motd", "ß", "ss", "SS", "e\u0301", "\u00e9");
    const paths = fc.uniqueArray(fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/")), { maxLength: 8 });
    fc.assert(
      fc.property(paths, (ps) => {
        const files = ps.map((p, i) => ({ path: p, origin: { kind: "profile" as const, name: `p${i}` } }));
        const f = (p: string) => p.normalize("NFC").toUpperCase().toLowerCase();
        const clash = ps.some((p, i) => ps.some((q, j) => i !== j && (f(p) === f(q) || f(q).startsWith(`${f(p)}/`))));
        expect(pathClaimIssues(resolved, [{ server: "s1", files }]).length > 0).toBe(clash);
      }),
      { numRuns: 300 },
    );
  });
});
