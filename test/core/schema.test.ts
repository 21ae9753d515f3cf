import { describe, expect, it } from "vitest";
import { DestinationSchema, DistributionSchema, KernelOptionsSchema, NameSchema, ServerSchema, TemplateSchema, VariablesSchema } from "../../src/catalog/schema";
import { SHA_A } from "./helpers";

describe("schema", () => {
  it.each(["web", "web-frontend", "el9_x86.64", "a"])("accepts name %s", (n) => expect(NameSchema.safeParse(n).success).toBe(true));
  it.each(["", "a/b", "..", "a..b", "-a", "a b", "a\nb", "a;b", "a\0", "x".repeat(64)])("rejects name %j", (n) => {
    const r = NameSchema.safeParse(n);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/invalid name/);
  });
  it.each(["/etc/motd", "/"])("accepts destination %s", (d) => expect(DestinationSchema.safeParse(d).success).toBe(true));
  it.each(["etc/motd", "/etc/../x", "/etc//x", "/etc/x/", "/etc/a\nb"])("rejects destination %j", (d) => expect(DestinationSchema.safeParse(d).success).toBe(false));
  it("payload needs exactly one of path or url", () => {
    const base = { name: "d", arch: "x86_64", breed: "redhat", installTree: "http://m/os", initrd: { url: "http://m/i", sha256: SHA_A } };
    expect(DistributionSchema.safeParse({ ...base, kernel: { url: "http://m/k", sha256: SHA_A } }).success).toBe(true);
    const both = DistributionSchema.safeParse({ ...base, kernel: { url: "http://m/k", path: "k", sha256: SHA_A } });
    expect(both.error!.issues[0]!.message).toBe("expected exactly one of path or url");
    expect(DistributionSchema.safeParse({ ...base, kernel: { path: "k", sha256: "abc" } }).error!.issues[0]!.message).toMatch(/invalid sha256/);
    expect(DistributionSchema.safeParse({ ...base, breed: "gentoo", kernel: { path: "k", sha256: SHA_A } }).success).toBe(false);
  });
  it("template needs exactly one of source or text", () => {
    expect(TemplateSchema.safeParse({ name: "t", kind: "snippet", text: "x", source: "y" }).error!.issues[0]!.message).toBe("expected exactly one of source or text");
    expect(TemplateSchema.safeParse({ name: "t", kind: "snippet" }).success).toBe(false);
  });
  it("kernel options: string, number, true, null; not false", () => {
    expect(KernelOptionsSchema.safeParse({ a: "x", b: 1, c: true, d: null, "netcfg/x": "y" }).success).toBe(true);
    expect(KernelOptionsSchema.safeParse({ a: false }).success).toBe(false);
    expect(KernelOptionsSchema.safeParse({ "a b": "x" }).success).toBe(false);
  });
  it("variables: plain values, nested values, secrets, null", () => {
    expect(VariablesSchema.safeParse({ a: "x", b: [1, { c: true }], s: { secret: "pw" }, n: null }).success).toBe(true);
    // A value shaped as a reference is one (rendering prints it as a token): its name must be valid.
    expect(VariablesSchema.safeParse({ s: { secret: "a/b" } }).success).toBe(false);
    expect(VariablesSchema.safeParse({ s: { secret: "pw", note: "x" } }).success).toBe(true); // two keys: a plain object
  });
  it("server defaults and ssh transport", () => {
    const s = ServerSchema.parse({ name: "s", transport: { kind: "ssh", host: "h.example.org", user: "prov", privateKey: { secret: "key" }, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", root: "/srv/prov" }, arch: ["x86_64"], site: "dc", profiles: ["web*"], tftpPort: 69, httpPort: 80 });
    expect(s.address).toBe("127.0.0.1");
    expect(s.labels).toEqual({});
    expect(s.transport.kind === "ssh" && s.transport.port).toBe(22);
    const bad = ServerSchema.safeParse({ name: "s", transport: { kind: "local", root: "/x" }, arch: [], site: "dc", profiles: [], tftpPort: 0, httpPort: 70000, wave: -1 });
    const msgs = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(msgs).toContain("tftpPort: invalid port 0: expected an integer 1..65535");
    expect(msgs).toContain("httpPort: invalid port 70000: expected an integer 1..65535");
    expect(msgs.some((m) => m.startsWith("arch:"))).toBe(true);
    expect(msgs.some((m) => m.startsWith("wave:"))).toBe(true);
  });
  it("rejects unknown keys (strict)", () => {
    expect(TemplateSchema.safeParse({ name: "t", kind: "snippet", text: "x", extra: 1 }).error!.issues[0]!.code).toBe("unrecognized_keys");
  });
});
