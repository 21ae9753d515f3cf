// DHCP server mode on a real segment: name servers are required, the range, router and the child's
// address fit one segment, every reservation fits the segment of the server that holds its host,
// and a host's MAC is a card's own. Each refusal is located.
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/catalog/errors";
import { reservationIssues } from "../../src/catalog/hosts";
import { loadCatalog } from "../../src/catalog/load";
import { MacSchema } from "../../src/catalog/schema";
import { render } from "../../src/render/render";
import { runRenderJob } from "../../src/renderJob";
import { readStackConfig } from "../../src/stackConfig";
import { runProvision } from "../support/provisionCli";
import { issuesOf, minimal, resolveData, server, tempDir } from "./helpers";

/** A stack file with one server in DHCP server mode; `dhcp` and `address` as YAML flow text. */
const stackWith = (dhcp: string, address = "10.0.0.2") =>
  tempDir({
    "stacks/Pulumi.lab.yaml": `config:
  provisioning:servers:
    - name: s1
      transport: { kind: local, root: /srv/s1 }
      arch: [x86_64]
      site: dc1
      profiles: ["web*"]
      tftpPort: 69
      httpPort: 80
      address: ${address}
      dhcp: ${dhcp}
  provisioning:catalogSecrets: [pw]
`,
  });
const stackIssues = (dhcp: string, address?: string) => {
  const dir = stackWith(dhcp, address);
  const file = path.join(dir, "stacks/Pulumi.lab.yaml");
  return issuesOf(() => readStackConfig(dir, "lab")).map((i) => formatIssue(i).replace(file, "F"));
};
const okStack = (dhcp: string, address?: string) => readStackConfig(stackWith(dhcp, address), "lab").servers[0]!;
const base = "mode: server, interface: br0, range: { start: 10.0.0.100, end: 10.0.0.150 }";

describe("server mode: dns", () => {
  const needed = /server mode needs dns, the name servers clients are told \(this child's dnsmasq answers no DNS\): without one an unattended Debian installer stops at "Configure the network: name server addresses" before fetching its preseed/;

  it("is required, with or without a router, and an empty list is no answer", () => {
    for (const dhcp of [`{ ${base} }`, `{ ${base}, router: 10.0.0.1 }`, `{ ${base}, dns: [] }`]) {
      const lines = stackIssues(dhcp);
      expect(lines, dhcp).toHaveLength(1);
      expect(lines[0], dhcp).toMatch(/^F:11 provisioning:servers\[0\]\.dhcp(\.dns)?: /);
      expect(lines[0], dhcp).toMatch(needed);
    }
  });

  it("is told to clients as given; proxy mode needs none (the site's DHCP server names the name servers)", () => {
    const s = okStack(`{ ${base}, dns: [10.0.0.53, 192.0.2.53], router: 10.0.0.1 }`);
    const conf = render(resolveData(minimal()), s).files.find((f) => f.path === "dhcp/dnsmasq.conf")!.content!;
    expect(conf).toContain("dhcp-option=option:dns-server,10.0.0.53,192.0.2.53\n");
    expect(okStack("{ mode: proxy, interface: br0 }").dhcp).toEqual({ mode: "proxy", interface: "br0", ipxe: true });
  });

  it("must be reachable: on the segment, or through a router; never its network or broadcast address", () => {
    expect(stackIssues(`{ ${base}, dns: [10.0.0.53, 192.0.2.53] }`)).toEqual([
      "F:11 provisioning:servers[0].dhcp.dns[1]: name server 192.0.2.53 is outside the segment 10.0.0.0/24 and no router is given: clients could not reach it",
    ]);
    expect(stackIssues(`{ ${base}, dns: [10.0.0.0, 10.0.0.255], router: 10.0.0.1 }`)).toEqual([
      "F:11 provisioning:servers[0].dhcp.dns[0]: name server 10.0.0.0 is the network address of 10.0.0.0/24",
      "F:11 provisioning:servers[0].dhcp.dns[1]: name server 10.0.0.255 is the broadcast address of 10.0.0.0/24",
    ]);
  });
});

describe("server mode: the segment", () => {
  const withDns = (more = "", prefix?: number) => `{ ${base}, dns: [10.0.0.53]${prefix !== undefined ? `, prefix: ${prefix}` : ""}${more} }`;

  it("is the range's subnet with prefix 24 by default, told to clients as their netmask", () => {
    const conf = (s: ReturnType<typeof okStack>) => render(resolveData(minimal()), s).files.find((f) => f.path === "dhcp/dnsmasq.conf")!.content!;
    expect(conf(okStack(withDns()))).toContain("dhcp-range=10.0.0.100,10.0.0.150,255.255.255.0,3600\n");
    expect(conf(okStack(withDns("", 22), "10.0.1.2"))).toContain("dhcp-range=10.0.0.100,10.0.0.150,255.255.252.0,3600\n");
    expect(conf(okStack(`{ mode: server, interface: br0, range: { start: 10.9.0.5, end: 10.9.0.6 }, dns: [10.9.0.1], prefix: 29 }`, "10.9.0.1"))).toContain("dhcp-range=10.9.0.5,10.9.0.6,255.255.255.248,3600\n");
    for (const prefix of [7, 31, 32]) expect(stackIssues(withDns("", prefix)).join("\n"), String(prefix)).toMatch(/^F:11 provisioning:servers\[0\]\.dhcp\.prefix: /);
  });

  it("holds the whole range, in order, with neither end its network or broadcast address", () => {
    const range = (start: string, end: string, prefix?: number) => stackIssues(`{ mode: server, interface: br0, range: { start: ${start}, end: ${end} }, dns: [10.0.0.53]${prefix !== undefined ? `, prefix: ${prefix}` : ""} }`);
    expect(range("10.0.0.100", "10.0.1.10")).toEqual(["F:11 provisioning:servers[0].dhcp.range.end: range end 10.0.1.10 is outside the segment 10.0.0.0/24, where the range starts (dhcp.prefix sets the segment's size; default 24)"]);
    expect(range("10.0.0.150", "10.0.0.100")).toEqual(["F:11 provisioning:servers[0].dhcp.range: range start 10.0.0.150 is after its end 10.0.0.100"]);
    expect(range("10.0.0.0", "10.0.0.50")).toEqual(["F:11 provisioning:servers[0].dhcp.range.start: range start 10.0.0.0 is the network address of 10.0.0.0/24: no address to lease"]);
    expect(range("10.0.0.200", "10.0.0.255")).toEqual(["F:11 provisioning:servers[0].dhcp.range.end: range end 10.0.0.255 is the broadcast address of 10.0.0.0/24, where the range starts (dhcp.prefix sets the segment's size; default 24)"]);
    // The first and last addresses that are a machine's: accepted, also in a wider segment.
    expect(okStack(`{ mode: server, interface: br0, range: { start: 10.0.0.3, end: 10.0.0.254 }, dns: [10.0.0.53] }`).name).toBe("s1");
    expect(okStack(`{ mode: server, interface: br0, range: { start: 10.0.0.100, end: 10.0.1.10 }, dns: [10.0.0.53], prefix: 23 }`).name).toBe("s1");
    expect(stackIssues(`{ mode: server, interface: br0, range: { start: 10.0.0.1, end: 10.0.0.2 }, dns: [10.0.0.1], prefix: 30 }`)).toEqual(["F:10 provisioning:servers[0].address: address 10.0.0.2 is inside dhcp.range 10.0.0.1–10.0.0.2: the child could lease its own address to a client"]);
  });

  it("holds the child's address, outside the range, and the router, outside the range", () => {
    expect(stackIssues(withDns(), "10.0.1.2")).toEqual([
      "F:10 provisioning:servers[0].address: address 10.0.1.2 is outside the segment 10.0.0.0/24, the segment of dhcp.range: DHCP clients reach this child on the segment it serves (dhcp.prefix sets the segment's size; default 24)",
    ]);
    for (const address of ["10.0.0.100", "10.0.0.120", "10.0.0.150"]) {
      expect(stackIssues(withDns(), address), address).toEqual([`F:10 provisioning:servers[0].address: address ${address} is inside dhcp.range 10.0.0.100–10.0.0.150: the child could lease its own address to a client`]);
    }
    expect(stackIssues(withDns(), "10.0.0.255")).toEqual([
      "F:10 provisioning:servers[0].address: address 10.0.0.255 is the broadcast address of 10.0.0.0/24, the segment of dhcp.range: DHCP clients reach this child on the segment it serves (dhcp.prefix sets the segment's size; default 24)",
    ]);
    expect(stackIssues(withDns(", router: 10.0.1.1"))).toEqual([
      "F:11 provisioning:servers[0].dhcp.router: router 10.0.1.1 is outside the segment 10.0.0.0/24: clients reach their router on their own segment (dhcp.prefix sets the segment's size; default 24)",
    ]);
    expect(stackIssues(withDns(", router: 10.0.0.120"))).toEqual([
      "F:11 provisioning:servers[0].dhcp.router: router 10.0.0.120 is inside the range 10.0.0.100–10.0.0.150: the child could lease the router's address to a client",
    ]);
    // The child may be the segment's router.
    expect(okStack(withDns(", router: 10.0.0.2")).dhcp).toMatchObject({ router: "10.0.0.2" });
  });
});

describe("reservations: each host IP against the segment of each server-mode child holding it", () => {
  const dhcp = { mode: "server", interface: "br0", range: { start: "10.0.0.100", end: "10.0.0.150" }, router: "10.0.0.1", dns: ["10.0.0.53"] };
  const child = (over: Record<string, unknown> = {}) => server({ tftpPort: 69, address: "10.0.0.2", dhcp: { ...dhcp, ...over } as never });
  const withIps = (...ips: string[]) =>
    resolveData({ ...minimal(), hosts: ips.map((ip, i) => ({ name: `h-${i}`, interfaces: [{ mac: `52:54:00:00:00:${(i + 16).toString(16)}`, ip }], profile: "web", server: "s1" })) });
  const problems = (ips: string[], s = child()) => reservationIssues(withIps(...ips).hosts.values(), s).map((i) => `${i.path}: ${i.message}`);
  const refused = (ip: string, why: string, s = child(), segment = "10.0.0.0/24") => `hosts[0].interfaces[0].ip: IP ${ip} of host h-0 cannot be reserved by server s1 (DHCP server of ${segment}): it is ${why}`;
  const hint = "(dhcp.prefix sets the segment's size; default 24)";

  it("accepts any machine's address of the segment, inside the range or outside it", () => {
    expect(problems(["10.0.0.3", "10.0.0.51", "10.0.0.99", "10.0.0.100", "10.0.0.125", "10.0.0.150", "10.0.0.151", "10.0.0.254"])).toEqual([]);
  });

  it("refuses one outside the segment, its network or broadcast address, the child's own or the router's", () => {
    const cases: [string, string][] = [
      ["10.0.1.5", `outside the segment 10.0.0.0/24 ${hint}`],
      ["9.255.255.255", `outside the segment 10.0.0.0/24 ${hint}`],
      ["192.168.0.10", `outside the segment 10.0.0.0/24 ${hint}`],
      ["10.0.0.0", `the network address of 10.0.0.0/24 ${hint}`],
      ["10.0.0.255", `the broadcast address of 10.0.0.0/24 ${hint}`],
      ["10.0.0.2", "the child's own address"],
      ["10.0.0.1", "the segment's router"],
    ];
    for (const [ip, why] of cases) expect(problems([ip]), ip).toEqual([refused(ip, why)]);
  });

  it("follows the prefix: a /30 has two machines, a /16 many", () => {
    const small = child({ range: { start: "10.0.0.1", end: "10.0.0.1" }, router: undefined, dns: ["10.0.0.2"], prefix: 30 });
    expect(problems(["10.0.0.1"], small)).toEqual([]);
    expect(problems(["10.0.0.3"], small)).toEqual([refused("10.0.0.3", `the broadcast address of 10.0.0.0/30 ${hint}`, small, "10.0.0.0/30")]);
    expect(problems(["10.0.0.4"], small)).toEqual([refused("10.0.0.4", `outside the segment 10.0.0.0/30 ${hint}`, small, "10.0.0.0/30")]);
    const wide = child({ prefix: 16 });
    expect(problems(["10.0.200.7", "10.0.255.254"], wide)).toEqual([]);
    expect(problems(["10.0.255.255"], wide)).toEqual([refused("10.0.255.255", `the broadcast address of 10.0.0.0/16 ${hint}`, wide, "10.0.0.0/16")]);
  });

  it("checks every interface of a held host, and only hosts that child holds, and only in server mode", () => {
    const r = resolveData({
      ...minimal(),
      hosts: [
        { name: "two", interfaces: [{ mac: "52:54:00:00:00:01", ip: "10.0.0.60" }, { mac: "52:54:00:00:00:02" }, { mac: "52:54:00:00:00:03", ip: "10.0.9.60" }], profile: "web", site: "dc1" },
        { name: "elsewhere", interfaces: [{ mac: "52:54:00:00:00:04", ip: "192.168.9.9" }], profile: "web", site: "dc9" },
      ],
    });
    expect(reservationIssues(r.hosts.values(), child()).map((i) => i.path)).toEqual(["hosts[0].interfaces[2].ip"]);
    expect(reservationIssues(r.hosts.values(), server({ tftpPort: 69, address: "10.0.0.2", dhcp: { mode: "proxy", interface: "br0" } as never }))).toEqual([]);
    expect(reservationIssues(r.hosts.values(), server())).toEqual([]);
  });

  it("a rendering refuses them all at once, each at its host's line in the catalog, before any file", () => {
    const dir = tempDir({
      "hosts.yaml": stringify({
        hosts: [
          { name: "ok-01", interfaces: [{ mac: "52:54:00:00:00:01", ip: "10.0.0.60" }], profile: "web", server: "s1" },
          { name: "far-01", interfaces: [{ mac: "52:54:00:00:00:02", ip: "10.0.7.60" }], profile: "web", server: "s1" },
          { name: "me-01", interfaces: [{ mac: "52:54:00:00:00:03", ip: "10.0.0.2" }], profile: "web", site: "dc1" },
        ],
      }),
      "c.yaml": stringify(minimal()),
    });
    const catalog = loadCatalog(dir);
    const result = runRenderJob({ kind: "trees", catalog, servers: [child()] });
    expect(result.ok).toBe(false);
    const file = path.join(dir, "hosts.yaml");
    const lineOf = (ip: string) => fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(`ip: ${ip}`)) + 1;
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      `${file}:${lineOf("10.0.7.60")} hosts[1].interfaces[0].ip: IP 10.0.7.60 of host far-01 cannot be reserved by server s1 (DHCP server of 10.0.0.0/24): it is outside the segment 10.0.0.0/24 ${hint}`,
      `${file}:${lineOf("10.0.0.2")} hosts[2].interfaces[0].ip: IP 10.0.0.2 of host me-01 cannot be reserved by server s1 (DHCP server of 10.0.0.0/24): it is the child's own address`,
    ]);
    // The same catalog on a child whose segment holds them all, at another address, renders.
    expect(runRenderJob({ kind: "trees", catalog, servers: [server({ tftpPort: 69, address: "10.0.0.3", dhcp: { ...dhcp, prefix: 16 } as never })] }).ok).toBe(true);
  });

  it("a program's address known only at rendering is checked there", () => {
    const late = { ...child(), address: "10.0.0.120" };
    const result = runRenderJob({ kind: "trees", catalog: loadCatalog(path.join(tempDir({ "c.yaml": stringify(minimal()) }), "c.yaml")), servers: [late] });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      "(program) servers.s1.address: address 10.0.0.120 is inside dhcp.range 10.0.0.100–10.0.0.150: the child could lease its own address to a client",
    ]);
  });
});

describe("a host's MAC is a network card's own", () => {
  const spellings = (hex: string) => [hex, hex.toUpperCase(), hex.match(/../g)!.join(":"), hex.match(/../g)!.join("-"), hex.match(/..../g)!.join(".")];

  it("refuses all-zero, broadcast and every multicast address, in every spelling", () => {
    const cases: [string, string][] = [
      ["000000000000", "all zero"],
      ["ffffffffffff", "the broadcast address"],
      ["01005e000001", "a multicast address (first octet odd)"],
      ["333300000001", "a multicast address (first octet odd)"],
      ["0180c2000000", "a multicast address (first octet odd)"],
      ["030000000001", "a multicast address (first octet odd)"],
      ["ff0000000000", "a multicast address (first octet odd)"],
      ["fffffffffffe", "a multicast address (first octet odd)"],
    ];
    for (const [hex, why] of cases) {
      for (const v of spellings(hex)) {
        const r = MacSchema.safeParse(v);
        expect(r.success, v).toBe(false);
        expect(r.success ? "" : r.error.issues[0]!.message, v).toBe(`MAC address ${hex.match(/../g)!.join(":")} is ${why}: expected a network card's own (unicast) address`);
      }
    }
  });

  it("accepts unicast ones, universal or locally administered, nearly zero or nearly broadcast", () => {
    for (const hex of ["525400123456", "000000000001", "020000000000", "fefffffffffe", "feffffffffff", "001b21aabbcc"]) {
      for (const v of spellings(hex)) expect(MacSchema.parse(v), v).toBe(hex.match(/../g)!.join(":"));
    }
  });

  it("a catalog host with one is refused at its line", () => {
    const dir = tempDir({ "c.yaml": stringify({ ...minimal(), hosts: [{ name: "m", interfaces: [{ mac: "52:54:00:00:00:01" }, { mac: "01:00:5E:00:00:FB" }], profile: "web", server: "s1" }] }) });
    const lines = issuesOf(() => loadCatalog(dir)).map(formatIssue);
    expect(lines).toEqual([`${path.join(dir, "c.yaml")}:${lineOfMac(dir)} hosts[0].interfaces[1].mac: MAC address 01:00:5e:00:00:fb is a multicast address (first octet odd): expected a network card's own (unicast) address`]);
  });
});

function lineOfMac(dir: string): number {
  const text = fs.readFileSync(path.join(dir, "c.yaml"), "utf8");
  return text.split("\n").findIndex((l) => l.includes("01:00:5E:00:00:FB")) + 1;
}

describe("the real `provision select`", () => {
  const project = (dhcp: string) => {
    const dir = stackWith(dhcp);
    const catalog = path.join(dir, "catalog");
    fs.mkdirSync(catalog);
    fs.writeFileSync(path.join(catalog, "c.yaml"), stringify(minimal()));
    return { dir, catalog, stackFile: path.join(dir, "stacks/Pulumi.lab.yaml") };
  };
  const select = (p: { dir: string; catalog: string }) => runProvision(["select", p.catalog, "--stack", "lab", "--server", "s1", "--project", p.dir], { timeoutMs: 60_000 });
  const hostsFile = (p: { catalog: string }, hosts: unknown[]) => {
    const file = path.join(p.catalog, "hosts.yaml");
    fs.writeFileSync(file, stringify({ hosts }));
    return file;
  };
  const lineOf = (file: string, needle: string) => fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(needle)) + 1;

  it("exits 1 with located lines, and nothing on stdout, for a stack without dns, a catalog's bad reservations, a multicast MAC", async () => {
    const noDns = project(`{ ${base}, router: 10.0.0.120 }`);
    const a = await select(noDns);
    expect([a.code, a.stdout]).toEqual([1, ""]);
    expect(a.stderr).toContain(`${noDns.stackFile}:11 provisioning:servers[0].dhcp.dns: server mode needs dns`);
    expect(a.stderr).toContain(`${noDns.stackFile}:11 provisioning:servers[0].dhcp.router: router 10.0.0.120 is inside the range 10.0.0.100–10.0.0.150`);

    const lab = project(`{ ${base}, router: 10.0.0.1, dns: [10.0.0.53] }`);
    const file = hostsFile(lab, [
      { name: "far-01", interfaces: [{ mac: "52:54:00:00:00:01", ip: "10.0.8.9" }], profile: "web", server: "s1" },
      { name: "gw-01", interfaces: [{ mac: "52:54:00:00:00:02", ip: "10.0.0.1" }], profile: "web", site: "dc1" },
    ]);
    const b = await select(lab);
    expect([b.code, b.stdout]).toEqual([1, ""]);
    expect(b.stderr.trim().split("\n")).toEqual([
      `${file}:${lineOf(file, "10.0.8.9")} hosts[0].interfaces[0].ip: IP 10.0.8.9 of host far-01 cannot be reserved by server s1 (DHCP server of 10.0.0.0/24): it is outside the segment 10.0.0.0/24 (dhcp.prefix sets the segment's size; default 24)`,
      `${file}:${lineOf(file, "ip: 10.0.0.1")} hosts[1].interfaces[0].ip: IP 10.0.0.1 of host gw-01 cannot be reserved by server s1 (DHCP server of 10.0.0.0/24): it is the segment's router`,
    ]);

    hostsFile(lab, [{ name: "mc-01", interfaces: [{ mac: "FF:FF:FF:FF:FF:FF", ip: "10.0.0.60" }], profile: "web", server: "s1" }]);
    const c = await select(lab);
    expect([c.code, c.stdout]).toEqual([1, ""]);
    expect(c.stderr).toBe(`${file}:${lineOf(file, "FF:FF")} hosts[0].interfaces[0].mac: MAC address ff:ff:ff:ff:ff:ff is the broadcast address: expected a network card's own (unicast) address\n`);

    // Fixed, the same project selects the host, and its reservation is what the child will hold.
    hostsFile(lab, [{ name: "ok-01", interfaces: [{ mac: "52:54:00:00:00:03", ip: "10.0.0.60" }], profile: "web", server: "s1" }]);
    const d = await select(lab);
    expect([d.code, d.stderr]).toEqual([0, ""]);
    expect(d.stdout).toContain("ok-01");
  }, 120_000);
});
