import { describe, expect, it } from "vitest";
import { isSafeRelPath, resolveUnderRoot, validateMode, validateRelPath, validateSha256 } from "../../components/transports/paths";

describe("validateRelPath / resolveUnderRoot", () => {
  it("accepts the layout's paths", () => {
    for (const p of [
      "tftp/pxelinux.cfg/default",
      "tftp/grub/grub.cfg",
      "tftp/pxelinux.0",
      "tftp/ldlinux.c32",
      "tftp/images/debian-12_amd64/vmlinuz",
      "http/autoinstall/web-server.cfg",
      "http/files/web/etc.motd",
      "manifest.json",
      "http/.hidden",
    ]) {
      expect(isSafeRelPath(p), p).toBe(true);
    }
    expect(resolveUnderRoot("/srv/child/", "tftp/x")).toBe("/srv/child/tftp/x");
  });

  it("refuses traversal, absolute, empty segments, control characters and shell metacharacters", () => {
    const cases: Array<[string, RegExp]> = [
      ["", /empty path/],
      ["/etc/passwd", /absolute/],
      ["../x", /\.\./],
      ["a/../../x", /\.\./],
      ["a/./b", /'\.' segment/],
      ["a//b", /empty path segment/],
      ["a/", /empty path segment/],
      ["a\nb", /newline/],
      ["a\rb", /newline/],
      ["a\0b", /NUL/],
      ["a\\b", /backslash/],
      ["x; touch /tmp/pwned", /characters outside/],
      ["$(touch x)", /characters outside/],
      ["`id`", /characters outside/],
      ["a b", /characters outside/],
      ["a'b", /characters outside/],
      ["-rf", /starts with '-'/],
      ["a".repeat(2000), /longer than/],
    ];
    for (const [p, re] of cases) {
      expect(() => validateRelPath(p, "srv-1"), JSON.stringify(p)).toThrow(re);
      expect(() => validateRelPath(p, "srv-1"), JSON.stringify(p)).toThrow(/^srv-1: refusing unsafe path/);
    }
  });

  it("requires an absolute root", () => {
    expect(() => resolveUnderRoot("relative", "x")).toThrow(/absolute/);
  });

  it("validates sha256 and mode", () => {
    expect(() => validateSha256("A".repeat(64))).toThrow(/invalid sha256/);
    expect(validateSha256("a".repeat(64))).toBe("a".repeat(64));
    expect(validateMode("0644")).toBe(0o644);
    expect(validateMode("755")).toBe(0o755);
    for (const m of ["0999", "u+x", "06444", "", "0644;id"]) expect(() => validateMode(m), m).toThrow(/invalid file mode/);
  });
});
