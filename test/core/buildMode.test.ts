// Build mode in the pure core: an armed host's per-MAC entries in both variants (the installer's,
// served; the local disk's, kept for the child to swap in), its own files outside the served
// roots under its token's URL, its arm record, the report commands its templates print, the
// generation that `reinstall` changes, the one rule of which bytes belong at an entry, and the
// plan's words for a reinstall. The token's value never reaches the core: rendered text holds a
// token for it, which reports show as [secret:…].
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hostGeneration } from "../../src/catalog/hosts";
import { SecretNameSchema } from "../../src/catalog/schema";
import { impact } from "../../src/impact";
import { impactHtml } from "../../src/report/htmlReport";
import { impactMarkdown, impactText } from "../../src/report/impactReport";
import { render } from "../../src/render/render";
import { hostTokenName, hostTokenSha256Name, secretToken, showSecrets } from "../../src/render/secretTokens";
import { armGeneration, lifeCycleNotes, localVariants, parseHostRecord, sourceOf, switched } from "../../src/state/hostLifeCycle";
import { issuesOf, minimal, resolveData, server } from "./helpers";

const MACS = ["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"];
const dashed = (mac: string) => `01-${mac.replace(/:/g, "-")}`;
const ENTRIES = (mac: string) => [`tftp/pxelinux.cfg/${dashed(mac)}`, `tftp/grub/hosts/${dashed(mac)}.cfg`, `tftp/ipxe/hosts/${dashed(mac)}.ipxe`];

function catalog(host: Record<string, unknown> = {}) {
  const d = minimal();
  d.templates[0] = { name: "ks", kind: "autoinstall", text: "role={{ profile.variables.role }}\n{% if report %}%post\n{{ report.done }}\n%end\n%onerror\nreason=ks-error; {{ report.failed }}\n%end\n{% endif %}" };
  return { ...d, hosts: [{ name: "web-07", interfaces: MACS.map((mac) => ({ mac })), profile: "web", server: "s1", ...host }] };
}

describe("an armed host's files", () => {
  const resolved = resolveData(catalog());
  const gen = resolved.hosts.get("web-07")!.generation;
  const token = secretToken(hostTokenName("web-07", gen));
  const t = render(resolved, server());
  const file = (p: string) => t.files.find((f) => f.path === p);

  it("every per-MAC entry of every firmware is the installer's, under the token's URL, and has a local-disk variant kept outside the served roots", () => {
    for (const mac of MACS) {
      for (const at of ENTRIES(mac)) {
        const served = file(at)!;
        expect(served.content).toContain(`http://127.0.0.1:8080/hosts/web-07/${token}/autoinstall.cfg`);
        expect(served.secrets).toContain(hostTokenName("web-07", gen));
        const local = file(`hosts/web-07/local/${at}`)!;
        expect(local.content).not.toContain("autoinstall");
        expect(local.content).toMatch(/LOCALBOOT 0|\n {2}exit\n|\nexit\n/);
        expect(local.origin).toEqual({ kind: "host", name: "web-07" });
      }
    }
    expect(t.files.filter((f) => f.path.startsWith("hosts/web-07/local/")).map((f) => f.path)).toEqual(MACS.flatMap(ENTRIES).map((p) => `hosts/web-07/local/${p}`).sort());
  });

  it("its autoinstall and files leave the HTTP root; its arm record names the generation and the token's sha256 as a secret", () => {
    expect(t.files.filter((f) => f.path.startsWith("http/") && f.path.includes("web-07"))).toEqual([]);
    expect(file("hosts/web-07/files/motd")!.content).toBe("hello web\n");
    expect(file("hosts/web-07/arm")!.content).toBe(`generation=${gen}\ntoken_sha256=${secretToken(hostTokenSha256Name("web-07", gen))}\n`);
    expect(t.secretNames).toEqual(expect.arrayContaining([hostTokenName("web-07", gen), hostTokenSha256Name("web-07", gen)]));
  });

  it("its autoinstall reports done and failed with the token in a POST body, to the child that holds it", () => {
    const ks = file("hosts/web-07/autoinstall.cfg")!;
    expect(ks.secrets).toContain(hostTokenName("web-07", gen));
    expect(ks.content).toContain(`wget -q -O /dev/null --post-data "token=${token}" http://127.0.0.1:8080/report/web-07/done || curl -fsS -o /dev/null --data "token=${token}" http://127.0.0.1:8080/report/web-07/done`);
    expect(ks.content).toContain(`reason=ks-error; wget -q -O /dev/null --post-data "token=${token}&reason=$reason" http://127.0.0.1:8080/report/web-07/failed`);
    // A reviewer sees a marker, never a value (the core has none).
    expect(showSecrets(ks.content!)).toContain(`--post-data "token=[secret:host-token.web-07.${gen}]"`);
  });

  it("the report commands fit each installer's format: a kickstart %post line, a preseed late_command, an autoinstall late-commands item", () => {
    const d = catalog();
    d.templates[0] = {
      name: "ks",
      kind: "autoinstall",
      // A profile's own autoinstall has no report (no host, no token): only a host's prints it.
      text: "{% if report %}#cloud-config\nautoinstall:\n  version: 1\n  late-commands:\n    - {{ report.done }}\n  error-commands:\n    - reason=subiquity; {{ report.failed }}\n# preseed: d-i preseed/late_command string {{ report.done }}\n{% endif %}",
    };
    const text = showSecrets(render(resolveData(d), server()).files.find((f) => f.path === "hosts/web-07/autoinstall.cfg")!.content!);
    const doc = parse(text) as { autoinstall: { "late-commands": string[]; "error-commands": string[] } };
    const marker = `[secret:host-token.web-07.${gen}]`;
    expect(doc.autoinstall["late-commands"]).toEqual([`wget -q -O /dev/null --post-data "token=${marker}" http://127.0.0.1:8080/report/web-07/done || curl -fsS -o /dev/null --data "token=${marker}" http://127.0.0.1:8080/report/web-07/done`]);
    expect(doc.autoinstall["error-commands"]![0]).toMatch(/^reason=subiquity; wget .*\/report\/web-07\/failed$/);
    // One line each: a preseed value and a kickstart line cannot span lines.
    expect(text.split("\n").filter((l) => l.includes("/report/web-07/"))).toHaveLength(3);
  });

  it("a host with netboot: false is never armed: no token, no arm record, no files of its own, no local variant", () => {
    const off = render(resolveData(catalog({ netboot: false })), server());
    expect(off.files.filter((f) => f.path.startsWith("hosts/"))).toEqual([]);
    expect(off.secretNames.filter((n) => n.startsWith("host-token"))).toEqual([]);
  });
});

describe("a file holds only its own host's install token", () => {
  // Two hosts on one child: web-07's templates and kernel options try to print another token.
  const two = (over: { kernel?: string; ks?: string; motd?: string; reinstall?: string } = {}) => {
    const d = catalog(over.reinstall ? { reinstall: over.reinstall } : {});
    if (over.ks) d.templates[0] = { name: "ks", kind: "autoinstall", text: over.ks };
    if (over.motd) d.templates[3] = { name: "motd-t", kind: "config", text: over.motd };
    if (over.kernel) d.profiles[1] = { ...d.profiles[1], kernelOptions: { "inst.ks": over.kernel } };
    return { ...d, hosts: [...d.hosts, { name: "db-01", interfaces: [{ mac: "52:54:00:aa:bb:09" }], profile: "db", server: "s1" }] };
  };
  const gen = hostGeneration("web-07", undefined);
  const dbGen = hostGeneration("db-01", undefined);
  const own = `web-07.${gen}`;
  const foreign = [
    ["another host", `db-01.${dbGen}`],
    ["another host's next generation", `db-01.${hostGeneration("db-01", "2027")}`],
    ["its own next generation", `web-07.${hostGeneration("web-07", "2027")}`],
    ["a host the child does not hold", `mail-01.${hostGeneration("mail-01", undefined)}`],
    ["a constructed name", "x"],
  ] as const;
  const through = (to: string) => `{{ autoinstallUrl | replace("${own}", "${to}") }}`;
  const places = [
    ["a kernel option", (to: string) => ({ kernel: through(to) }), "profiles[1].kernelOptions"],
    ["the host's autoinstall", (to: string) => ({ ks: `x={{ autoinstallUrl | replace("${own}", "${to}") }}\n` }), "template ks"],
    ["the host's report command", (to: string) => ({ ks: `{% if report %}{{ report.done | replace("${own}", "${to}") }}{% endif %}\n` }), "template ks"],
    ["a config file", (to: string) => ({ motd: `{{ profile.configFiles[0].url | replace("${own}", "${to}") }}\n` }), "template motd-t"],
  ] as const;

  for (const [what, to] of foreign) {
    for (const [where, over, at] of places) {
      it(`${what}'s token printed by ${where} is a located error`, () => {
        const issues = issuesOf(() => render(resolveData(two(over(to))), server()));
        expect(issues.length).toBeGreaterThan(0);
        for (const i of issues) {
          expect(i.path).toBe(at);
          expect(i.message).toContain(`host-token.${to}`);
          expect(i.message).toMatch(/not the token of the host .* is rendered for/);
        }
      });
    }
  }

  it("the token's hash name of another host, through replace on the prefix, is refused too", () => {
    const issues = issuesOf(() => render(resolveData(two({ kernel: `{{ autoinstallUrl | replace("host-token.${own}", "host-token-sha256.db-01.${dbGen}") }}` })), server()));
    expect(issues.map((i) => i.message).join("\n")).toContain(`host-token-sha256.db-01.${dbGen}`);
  });

  it("a host's own token, and its own hash name, still render; each file names only its own host's", () => {
    const t = render(resolveData(two({ kernel: `{{ autoinstallUrl }} h={{ autoinstallUrl | replace("host-token.", "host-token-sha256.") }}` })), server());
    for (const f of t.files) {
      const host = f.origin.kind === "host" ? f.origin.name : f.holder?.name;
      for (const n of f.secrets.filter((s) => s.startsWith("host-token"))) expect(n).toMatch(new RegExp(`^host-token(-sha256)?\\.${host}\\.`));
    }
    expect(t.files.find((f) => f.path === ENTRIES(MACS[0]!)[0])!.secrets).toEqual(expect.arrayContaining([hostTokenName("web-07", gen), hostTokenSha256Name("web-07", gen)]));
    expect(t.files.find((f) => f.path === ENTRIES("52:54:00:aa:bb:09")[0])!.secrets).toEqual(expect.arrayContaining([hostTokenName("db-01", dbGen)]));
  });
});

describe("the reserved secret name", () => {
  it("no catalog secret is named host-token: install tokens are keyed under it, so no secret's version can be a token", () => {
    expect(SecretNameSchema.safeParse("host-token").success).toBe(false);
    for (const ok of ["host-tokens", "Host-token", "host_token", "pw"]) expect(SecretNameSchema.safeParse(ok).success).toBe(true);
    const d = catalog({ variables: { pw: { secret: "host-token" } } });
    expect(issuesOf(() => resolveData(d)).map((i) => `${i.path}: ${i.message}`).join("\n")).toMatch(/hosts\[0\]\.variables\.pw\.secret.*reserved/);
  });
});

describe("the generation", () => {
  const values = [undefined, "2026-12-05", "ticket OPS-4711", "again", "é", " ", "x".repeat(200)];

  it("is 16 hex digits, the same for the same value, another for each other value and host", () => {
    const gens = values.map((v) => hostGeneration("web-07", v));
    for (const g of gens) expect(g).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(gens).size).toBe(values.length);
    expect(values.map((v) => hostGeneration("web-07", v))).toEqual(gens);
    expect(hostGeneration("web-08", undefined)).not.toBe(hostGeneration("web-07", undefined));
  });

  it("a reinstall value with control characters is a located error", () => {
    for (const bad of ["a\nb", "\u0000", "tab\there", ""]) {
      const issues = issuesOf(() => resolveData(catalog({ reinstall: bad })));
      expect(issues.map((i) => i.path)).toContain("hosts[0].reinstall");
    }
  });

  it("changing reinstall touches only that host's token-bearing files: its arm record, entries and own files, not its local variants", () => {
    const before = resolveData(catalog());
    for (const v of values.filter((x) => x !== undefined)) {
      const after = resolveData(catalog({ reinstall: v }));
      expect(after.hosts.get("web-07")!.generation).not.toBe(before.hosts.get("web-07")!.generation);
      const r = impact(before, after, [server()]);
      const paths = r.servers["s1"]!.files.map((f) => `${f.path} ${f.op}`);
      expect(paths).toEqual(
        ["hosts/web-07/arm", "hosts/web-07/autoinstall.cfg", "hosts/web-07/files/motd", "manifest.json", ...MACS.flatMap(ENTRIES)]
          .filter((p) => p !== "hosts/web-07/files/motd")
          .sort()
          .map((p) => `${p} update`),
      );
      // Reports of the change hold no secret token and no value.
      for (const text of [impactText(r), impactMarkdown(r), impactHtml(r)]) expect(text).not.toMatch(/[\u0000\u0001]/);
    }
  });
});

describe("which bytes belong at a served entry (the one rule)", () => {
  const paths = ["hosts/web-07/arm", "hosts/web-07/local/tftp/pxelinux.cfg/01-aa", "hosts/web-07/local/tftp/grub/hosts/01-aa.cfg", "tftp/pxelinux.cfg/01-aa", "tftp/grub/hosts/01-aa.cfg", "hosts/db-1/arm", "hosts/db-1/local/tftp/pxelinux.cfg/01-bb", "tftp/pxelinux.cfg/01-bb", "tftp/pxelinux.cfg/default"];
  const variants = localVariants(paths);

  it("finds each served entry's local variant and host", () => {
    expect([...variants.entries()].sort()).toEqual([
      ["tftp/grub/hosts/01-aa.cfg", { host: "web-07", local: "hosts/web-07/local/tftp/grub/hosts/01-aa.cfg" }],
      ["tftp/pxelinux.cfg/01-aa", { host: "web-07", local: "hosts/web-07/local/tftp/pxelinux.cfg/01-aa" }],
      ["tftp/pxelinux.cfg/01-bb", { host: "db-1", local: "hosts/db-1/local/tftp/pxelinux.cfg/01-bb" }],
    ]);
  });

  it("the local variant once the child's record is of the current generation (done or failed); the installer's otherwise", () => {
    const arm = "generation=0123456789abcdef\ntoken_sha256=" + "f".repeat(64) + "\n";
    const records: [string | undefined, boolean][] = [
      [undefined, false],
      ["not json", false],
      [JSON.stringify({ state: "installed", generation: "0123456789abcdef" }), true],
      [JSON.stringify({ state: "failed", generation: "0123456789abcdef", reason: "no disk" }), true],
      [JSON.stringify({ state: "installed", generation: "fedcba9876543210" }), false], // an older install: re-armed
      [JSON.stringify({ state: "armed", generation: "0123456789abcdef" }), false],
      [JSON.stringify({ state: "installing", generation: "0123456789abcdef", fetchedAt: "2026-12-05T00:00:00Z" }), false], // fetched, not reported
      [JSON.stringify({ state: "installed" }), false],
    ];
    for (const [text, expected] of records) {
      expect(switched(armGeneration(arm), parseHostRecord(text))).toBe(expected);
      const done = new Set(expected ? ["web-07"] : []);
      expect(sourceOf("tftp/pxelinux.cfg/01-aa", variants, done)).toBe(expected ? "hosts/web-07/local/tftp/pxelinux.cfg/01-aa" : "tftp/pxelinux.cfg/01-aa");
      // Another host's entries and the menus never follow web-07's record.
      expect(sourceOf("tftp/pxelinux.cfg/01-bb", variants, done)).toBe("tftp/pxelinux.cfg/01-bb");
      expect(sourceOf("tftp/pxelinux.cfg/default", variants, done)).toBe("tftp/pxelinux.cfg/default");
    }
    expect(switched(armGeneration(undefined), parseHostRecord(JSON.stringify({ state: "installed", generation: "x" })))).toBe(false);
  });
});

describe("the plan's words", () => {
  it("a changed arm record is a reinstall that erases the disk; a new one arms; a removed one boots the disk", () => {
    expect(lifeCycleNotes(new Map([["hosts/web-07/arm", "update"], ["hosts/web-07/autoinstall.cfg", "update"], ["tftp/pxelinux.cfg/01-aa", "update"]]))).toEqual(["web-07: reinstall; its disk will be erased on next boot"]);
    expect(lifeCycleNotes(new Map([["hosts/a/arm", "create"], ["hosts/b/arm", "delete"], ["hosts/c/local/x/arm", "update"]]))).toEqual([
      "a: armed; it installs on its next network boot",
      "b: no longer armed; its entries boot the local disk",
    ]);
  });

  it("text, markdown and HTML say it", () => {
    const r = { touched: ["s1"], servers: { s1: { status: "update" as const, objects: [{ kind: "host" as const, name: "web-07", op: "update" as const }], files: [{ path: "hosts/web-07/arm", op: "update" as const }] } } };
    const ctx = { notes: { s1: ["web-07: reinstall; its disk will be erased on next boot"] } };
    expect(impactText(r, ctx)).toContain("web-07: reinstall; its disk will be erased on next boot");
    expect(impactMarkdown(r, ctx)).toContain("web-07: reinstall; its disk will be erased on next boot");
    expect(impactHtml(r, ctx)).toContain('<p class="note">web-07: reinstall; its disk will be erased on next boot</p>');
  });
});
