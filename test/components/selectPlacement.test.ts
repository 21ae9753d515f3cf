// `provision select` refuses a catalog whose host names a server or a site the stack lacks, as
// impact and the stack program do: each such host a located error at its key, all at once.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { selectCommand } from "../../components/cli/commands/select";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "select-placement-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const SERVERS = [
  { name: "e1", site: "east", arch: ["x86_64"], profiles: ["base"], tftpPort: 6969, httpPort: 8080, transport: { kind: "local", root: "/nonexistent/e1" } },
  { name: "w1", site: "west", arch: ["x86_64"], profiles: ["base"], tftpPort: 6970, httpPort: 8081, transport: { kind: "local", root: "/nonexistent/w1" } },
];

/** A project whose catalog has the given hosts (each `{ server }` or `{ site }`). */
function project(hosts: Record<string, string>[]): { dir: string; catalog: string } {
  const dir = fs.mkdtempSync(path.join(work, "p-"));
  fs.writeFileSync(path.join(dir, "vmlinuz"), "k");
  fs.writeFileSync(path.join(dir, "initrd.img"), "i");
  const catalog = path.join(dir, "catalog.yaml");
  fs.writeFileSync(
    catalog,
    stringify({
      distributions: [{ name: "el9", arch: "x86_64", breed: "redhat", kernel: { path: "vmlinuz" }, initrd: { path: "initrd.img" }, installTree: "http://m/el9/os" }],
      profiles: [{ name: "base", distribution: "el9", autoinstall: "ks" }],
      templates: [{ name: "ks", kind: "autoinstall", text: "text\n" }],
      hosts: hosts.map((h, i) => ({ name: `h${i}`, interfaces: [{ mac: `52:54:00:00:00:0${i}` }], profile: "base", ...h })),
    }),
  );
  fs.mkdirSync(path.join(dir, "stacks"));
  fs.writeFileSync(path.join(dir, "stacks", "Pulumi.lab.yaml"), stringify({ config: { "provisioning:catalog": "catalog.yaml", "provisioning:servers": SERVERS } }));
  return { dir, catalog };
}

const lineOf = (file: string, needle: string) => fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("select checks every host against the stack's servers", () => {
  const CASES: { name: string; hosts: Record<string, string>[]; lines: (f: string) => string[] }[] = [
    { name: "a server the stack lacks", hosts: [{ server: "gone" }], lines: (f) => [`${f}:${lineOf(f, "server: gone")} hosts[0].server: host h0 names server "gone", which the stack does not have (known: e1, w1): no child would hold it`] },
    { name: "a site the stack lacks", hosts: [{ site: "north" }], lines: (f) => [`${f}:${lineOf(f, "site: north")} hosts[0].site: host h0 names site "north", where the stack has no server (sites known: east, west): no child would hold it`] },
    {
      name: "another server's host is still checked, and both are reported at once",
      hosts: [{ server: "w1" }, { server: "gone" }, { site: "north" }],
      lines: (f) => [
        `${f}:${lineOf(f, "server: gone")} hosts[1].server: host h1 names server "gone", which the stack does not have (known: e1, w1): no child would hold it`,
        `${f}:${lineOf(f, "site: north")} hosts[2].site: host h2 names site "north", where the stack has no server (sites known: east, west): no child would hold it`,
      ],
    },
  ];
  it.each(CASES.map((c) => [c.name, c] as const))("%s: refused at the host", (_name, c) => {
    const { dir, catalog } = project(c.hosts);
    const r = selectCommand({ catalog, stack: "lab", server: "e1", json: false, projectDir: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual(c.lines(catalog));
  });

  it("hosts every one of which a server of the stack holds are selected", () => {
    const { dir, catalog } = project([{ server: "e1" }, { server: "w1" }, { site: "west" }]);
    const r = selectCommand({ catalog, stack: "lab", server: "e1", json: true, projectDir: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('"base"');
  });
});
