/* eslint-disable @typescript-eslint/no-explicit-any */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { CatalogError } from "../../src/catalog/errors";
import { loadCatalog } from "../../src/catalog/load";
import { resolveCatalog } from "../../src/catalog/resolve";
import { type Server, ServerSchema, type ServerInput } from "../../src/catalog/schema";

/** Write files (path → text) into a fresh temp folder and return it. */
export function tempDir(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prov-core-"));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

export const SHA_A = "a".repeat(64);

/** A small valid catalog as plain data; tests patch it. */
export function minimal() {
  return {
    distributions: ([
      { name: "el9", arch: "x86_64", breed: "redhat", kernel: { url: "http://m/el9/vmlinuz", sha256: SHA_A }, initrd: { url: "http://m/el9/initrd.img", sha256: SHA_A }, installTree: "http://m/el9/os", kernelOptions: { "inst.ks": "{{ autoinstallUrl }}" } },
      { name: "deb12", arch: "aarch64", breed: "debian", kernel: { url: "http://m/deb/vmlinuz", sha256: SHA_A }, initrd: { url: "http://m/deb/initrd.img", sha256: SHA_A }, installTree: "http://m/deb" },
    ] as Record<string, any>[]),
    profiles: [
      { name: "base", distribution: "el9", autoinstall: "ks", variables: { role: "base", pw: { secret: "pw" } }, kernelOptions: { quiet: true }, configFiles: ["motd"] },
      { name: "web", parent: "base", variables: { role: "web" } },
      { name: "web-fe", parent: "web", configFiles: ["nginx"] },
      { name: "db", parent: "base" },
      { name: "edge", distribution: "deb12", autoinstall: "ks", variables: { role: "edge" } },
    ] as Record<string, unknown>[],
    templates: [
      { name: "ks", kind: "autoinstall", text: "role={{ profile.variables.role }}\n{% include \"net\" %}\n" },
      { name: "net", kind: "snippet", text: "net for {{ profile.name }}\n{% include \"net2\" %}" },
      { name: "net2", kind: "snippet", text: "dhcp\n" },
      { name: "motd-t", kind: "config", text: "hello {{ profile.name }}\n" },
      { name: "nginx-t", kind: "config", text: "server {{ server.name }}\n" },
      { name: "unused", kind: "snippet", text: "x" },
    ] as Record<string, unknown>[],
    configFiles: [
      { name: "motd", template: "motd-t", destination: "/etc/motd" },
      { name: "nginx", template: "nginx-t", destination: "/etc/nginx/nginx.conf", mode: "0640" },
    ] as Record<string, unknown>[],
    distributionProfiles: [] as Record<string, unknown>[],
  };
}

export function catalogDir(data: object, file = "catalog.yaml"): string {
  return tempDir({ [file]: stringify(data) });
}

export function resolveData(data: object) {
  return resolveCatalog(loadCatalog(path.join(catalogDir(data), "catalog.yaml")));
}

export function server(over: Partial<ServerInput> = {}): Server {
  return ServerSchema.parse({
    name: "s1",
    transport: { kind: "local", root: "/tmp/s1" },
    arch: ["x86_64"],
    site: "dc1",
    profiles: ["web*"],
    tftpPort: 6969,
    httpPort: 8080,
    ...over,
  });
}

/** The issues of a CatalogError thrown by fn (fails the test if none is thrown). */
export function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof CatalogError) return e.issues;
    throw e;
  }
  throw new Error("expected a CatalogError");
}
