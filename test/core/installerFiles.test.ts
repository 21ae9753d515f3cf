import { describe, expect, it } from "vitest";
import { cloudInitProblems, debconfProblems, ksvalidatorProblems, validatorsLine } from "../../components/installerValidators";
import { DistributionSchema } from "../../src/catalog/schema";
import { type InstallerFile, installerFormat, mergeInstallerFiles, secretPlaceholder, sourceLines, validatorInput } from "../../src/render/installerFiles";
import { secretToken } from "../../src/render/secretTokens";

describe("installer files", () => {
  it("the format follows the breed; Ubuntu's user-data is the one that starts with #cloud-config", () => {
    expect(installerFormat("redhat", "text\n")).toBe("kickstart");
    expect(installerFormat("debian", "d-i a/b string c\n")).toBe("preseed");
    expect(installerFormat("ubuntu", "#cloud-config\nautoinstall: {}\n")).toBe("cloud-config");
    expect(installerFormat("ubuntu", "#cloud-config-archive\n")).toBe("preseed");
    expect(installerFormat("ubuntu", "d-i a/b string c\n")).toBe("preseed");
    expect(installerFormat("suse", "<profile/>")).toBeUndefined();
    expect(installerFormat("generic", "x")).toBeUndefined();
  });

  it("secrets reach a validator as placeholders, never as tokens", () => {
    const v = validatorInput("kickstart", `rootpw --iscrypted ${secretToken("root_password_hash")}\n`);
    expect(v.text).toBe(`rootpw --iscrypted ${secretPlaceholder("root_password_hash")}\n`);
    expect(v.text).not.toMatch(/\u0000/);
  });

  // pykickstart splits lines as Python's str.splitlines and fetches every line that starts with
  // %ksappend (after strip) before parsing: every spelling of such a line is commented out.
  const ksappend = ["%ksappend http://x/y", "  %ksappend /etc/passwd", "\t%ksappend /etc/shadow", "\u00a0%ksappend /etc/a", "\u2003%ksappend /etc/b", "\x1c%ksappend /etc/c", "\x85%ksappend /etc/d"];
  const breaks = ["\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"];
  for (const line of ksappend) {
    for (const br of breaks) {
      it(`a %ksappend after ${JSON.stringify(br)}: ${JSON.stringify(line)} is commented out and named`, () => {
        const v = validatorInput("kickstart", `text${br}${line}\nskipx\n`);
        const lines = v.text.split("\n");
        expect(lines.some((l) => l.replace(/^[\s\x1c-\x1f\x85]+/u, "").startsWith("%ksappend"))).toBe(false);
        expect(v.neutralized).toEqual([br === "\n" || br === "\r\n" ? 2 : 1]);
        // Every validator line maps back to the rendered file's line.
        expect(v.renderedLines.length).toBe(lines.length);
        expect(v.renderedLines[lines.length - 2]).toBe(br === "\n" || br === "\r\n" ? 3 : 2);
      });
    }
  }

  it("files of several stacks: texts that differ in whole-line comments only are checked once, counted as copies", () => {
    const file = (server: string, content: string, format: InstallerFile["format"] = "kickstart"): InstallerFile => ({
      format, osVersion: "RHEL9", distribution: "d", distributionAt: { file: "d.yaml", line: 1 }, server, path: "http/autoinstall/web.cfg", copies: 0, origin: { kind: "profile", name: "web" }, content, sources: [],
    });
    const merged = mergeInstallerFiles([[file("a/pxe-1", "# for a\ntext\n")], [file("b/pxe-1", "# for b\ntext\n"), file("b/pxe-2", "# for b\ntext\nskipx\n")]]);
    expect(merged.map((f) => [f.server, f.copies])).toEqual([["a/pxe-1", 1], ["b/pxe-2", 0]]);
    // A comment that hides a line break Python sees is not a comment to compare by.
    expect(mergeInstallerFiles([[file("a", "# x\vbogus\ntext\n"), file("b", "# y\ntext\n")]])).toHaveLength(2);
    // In YAML a # line may be text of a block scalar: cloud-config is compared whole.
    expect(mergeInstallerFiles([[file("a", "#cloud-config\n# a\n", "cloud-config"), file("b", "#cloud-config\n# b\n", "cloud-config")]])).toHaveLength(2);
  });

  it("copies that differ only where their URLs point (each child's address and port) are checked once", () => {
    const file = (server: string, content: string, format: InstallerFile["format"] = "kickstart"): InstallerFile => ({
      format, osVersion: "RHEL9", distribution: "d", distributionAt: { file: "d.yaml", line: 1 }, server, path: "http/autoinstall/web.cfg", copies: 0, origin: { kind: "profile", name: "web" }, content, sources: [],
    });
    const ks = (where: string) => `url --url=http://${where}/os\n%post\ncurl -fsS "https://${where}/report"\n%end\n`;
    const children = ["10.0.0.2:8080", "10.0.1.2:18081", "[fd00::2]:80", "user@pxe-east.lab:8080", "pxe-west"];
    expect(mergeInstallerFiles([children.map((w, i) => file(`pxe-${i}`, ks(w)))]).map((f) => [f.server, f.copies])).toEqual([["pxe-0", 4]]);
    const user = (where: string) => `#cloud-config\nautoinstall:\n  early-commands: ["curl http://${where}/x"]\n`;
    expect(mergeInstallerFiles([children.map((w, i) => file(`pxe-${i}`, user(w), "cloud-config"))])).toHaveLength(1);
    // Only the place is masked: a path, a scheme or a word outside a URL still tells copies apart.
    expect(mergeInstallerFiles([[file("a", ks("h:1")), file("b", ks("h:1").replace("/os", "/other"))]])).toHaveLength(2);
    expect(mergeInstallerFiles([[file("a", ks("h:1")), file("b", ks("h:1").replace("url --url=http", "url --url=ftp"))]])).toHaveLength(2);
    expect(mergeInstallerFiles([[file("a", `${ks("h:1")}rootpw x\n`), file("b", `${ks("h:1")}rootpw y\n`)]])).toHaveLength(2);
  });

  it("a preseed and user-data split lines as their validators do; %ksappend means nothing there", () => {
    expect(validatorInput("preseed", "a\vb\nc").renderedLines).toEqual([1, 2]);
    expect(validatorInput("cloud-config", "a\u2028b\nc").renderedLines).toEqual([1, 1, 2]);
    expect(validatorInput("preseed", "%ksappend x").neutralized).toEqual([]);
  });

  it("a rendered line is located at the one template line that can have written it", () => {
    const body = ["text", "url --url={{ distribution.installTree }}", "firewall --enabled --service=ssh{% for s in x %},{{ s }}{% endfor %}", "{% include \"net\" %}", "{{ p }}", "selinux --enforcing"].join("\n");
    const snippet = "network --bootproto=dhcp --hostname={{ h }}\n";
    const rendered = ["text", "url --url=http://m/os", "firewall --enabled --service=ssh,http", "network --bootproto=dhcp --hostname=web", "nginx", "selinux --enforcing", "", "selinux --enforcing"].join("\n");
    const at = sourceLines(rendered, [
      { body, file: "ks.j2", offset: 0 },
      { body: snippet, file: "net.j2", offset: 3 },
    ]);
    expect(at[0]).toEqual({ file: "ks.j2", line: 1 });
    expect(at[1]).toEqual({ file: "ks.j2", line: 2 });
    expect(at[2]).toEqual({ file: "ks.j2", line: 3 });
    expect(at[3]).toEqual({ file: "net.j2", line: 4 });
    // `{{ p }}` could write any line or none: a line only it can have written has no source.
    expect(at[4]).toBeNull();
    expect(at[5]).toEqual({ file: "ks.j2", line: 6 });
    expect(at[6]).toBeNull();
    expect(at[7]).toEqual({ file: "ks.j2", line: 6 });
    // Two template lines that can write the same line: neither is named.
    expect(sourceLines("a b\n", [{ body: "a {{ x }}\n{{ y }} b\n", file: "t", offset: 0 }])[0]).toBeNull();
  });
});

describe("osVersion", () => {
  const dist = (osVersion: unknown) =>
    DistributionSchema.safeParse({ name: "d", arch: "x86_64", breed: "redhat", osVersion, kernel: { url: "http://m/k", sha256: "a".repeat(64) }, initrd: { url: "http://m/i", sha256: "a".repeat(64) }, installTree: "http://m/os" });
  it("is a kickstart syntax version, upper-cased as ksvalidator names it", () => {
    for (const [given, seen] of [["RHEL9", "RHEL9"], ["rhel9", "RHEL9"], ["F40", "F40"], ["DEVEL", "DEVEL"], ["RHEL9.4", "RHEL9.4"]]) {
      expect(dist(given).data?.osVersion, given).toBe(seen);
    }
    expect(dist(undefined).success).toBe(true);
  });
  it("is never an option, a path or more than one word", () => {
    for (const bad of ["-i", "--followincludes", "-lRHEL9", "RHEL 9", "../RHEL9", "/etc/passwd", "RHEL9\n-i", "", "9", "RHEL9;id", "x".repeat(40), 9]) {
      expect(dist(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("validator output", () => {
  it("ksvalidator: each located problem, a deprecation's line, or the whole message", () => {
    const out = "\nChecking kickstart file /tmp/x/ks.cfg\n\nThe following problem occurred on line 2 of the kickstart file:\n\nUnknown command: bogus\n\nThe following problem occurred on line 9 of the kickstart file:\n\nunrecognized arguments: --x\n";
    expect(ksvalidatorProblems(out)).toEqual([
      { line: 2, message: "Unknown command: bogus", severity: "error" },
      { line: 9, message: "unrecognized arguments: --x", severity: "error" },
    ]);
    expect(ksvalidatorProblems("File uses a deprecated option or command.\nIgnoring deprecated option on line 14: The --level option has been deprecated")[0]!.line).toBe(14);
    expect(ksvalidatorProblems("General error in input file:  boom")[0]).toEqual({ line: 0, message: "General error in input file:  boom", severity: "error" });
  });
  it("debconf-set-selections: errors and warnings, each at its line", () => {
    expect(debconfProblems("warning: Unknown type not, skipping line 3\nerror: parse error on line 4: 'd-i foo/bar'\n")).toEqual([
      { line: 3, message: "Unknown type not, skipping line 3", severity: "warning" },
      { line: 4, message: "parse error on line 4: 'd-i foo/bar'", severity: "error" },
    ]);
  });
  it("cloud-init schema: a YAML error at its line, a schema error at its top-level key", () => {
    const text = "#cloud-config\nautoinstall:\n  version: 1\npackages: 5\n";
    expect(cloudInitProblems("Error:\nCloud config schema errors: packages: 5 is not of type 'array'\n", text)[0]!.line).toBe(4);
    expect(cloudInitProblems("Error:\nCloud config schema errors: format-l3.c1: File x is not valid yaml.", text)[0]!.line).toBe(3);
    expect(cloudInitProblems("Error:\nCloud-config is not a YAML dict.", text)[0]!.line).toBe(0);
  });
  it("the summary names what ran, what is not available and what was not checked", () => {
    expect(
      validatorsLine({ ran: [{ tool: "ksvalidator", version: "RHEL9", files: 4 }], unavailable: [{ tool: "cloud-init schema", files: 1 }], unchecked: [{ reason: "distribution x has no osVersion for ksvalidator", files: 2 }], issues: [] }),
    ).toBe("ksvalidator (RHEL9) ran on 4 files; cloud-init schema not available (1 file unchecked); 2 files not checked: distribution x has no osVersion for ksvalidator");
    expect(validatorsLine({ ran: [], unavailable: [], unchecked: [], issues: [] })).toBe("no autoinstall file has a validator");
  });
});
