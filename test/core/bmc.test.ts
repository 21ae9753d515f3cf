// BMCs, pure: the stack's `provisioning:bmcs` (shape, TLS pin, located errors, a password is a
// credential and never a catalog secret, placement against the catalog's hosts and the stack's
// servers), and the requests `provision power` sends (curl's config carries the password and
// nothing can break out of its quoting; redirects stay on the BMC).
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Bmc,
  BmcsSchema,
  type RedfishBmc,
  bmcChild,
  bmcPlacementIssues,
  bootOverride,
  curlConfig,
  ipmiPowerState,
  ipmitoolCommand,
  parseCurlOutput,
  redfishMessage,
  resetTypeFor,
  sameBmcPath,
} from "../../src/bmc";
import { formatIssue } from "../../src/catalog/errors";
import { readStackConfig } from "../../src/stackConfig";
import { issuesOf, tempDir } from "./helpers";

const PIN = "sha256//LZMNlKdtYpYCCD07Mjj+Nx7+tz4KxB5vtFaKLvEgy+Q=";
const servers = `  provisioning:servers:
    - name: pxe-a
      transport: { kind: local, root: /srv/a }
      arch: [x86_64]
      site: dc1
      profiles: ["web*"]
      tftpPort: 6969
      httpPort: 8080
`;
const stackWith = (bmcs: string, extra = "") => tempDir({ "stacks/Pulumi.dev.yaml": `config:\n${servers}${extra}  provisioning:bmcs:\n${bmcs}` });

describe("provisioning:bmcs in the stack", () => {
  it("reads redfish and ipmi entries with their defaults", () => {
    const dir = stackWith(`    web-1: { kind: redfish, address: 10.0.0.5, user: admin, password: { secret: bmc_pw }, pin: "${PIN}" }\n    web-2: { kind: ipmi, address: bmc-2.lab, user: root, password: { secret: bmc_pw2 } }\n`);
    const c = readStackConfig(dir, "dev");
    expect(c.bmcs).toEqual({
      "web-1": { kind: "redfish", address: "10.0.0.5", port: 443, user: "admin", password: { secret: "bmc_pw" }, pin: PIN },
      "web-2": { kind: "ipmi", address: "bmc-2.lab", port: 623, user: "root", password: { secret: "bmc_pw2" } },
    });
    expect(c.bmcLines).toEqual({ "web-1": 11, "web-2": 12 });
  });

  it("every problem at once, each at its line: no pin, a plain-text password, an unknown kind, a bad pin, a bad host name", () => {
    const dir = stackWith(
      [
        `    h1: { kind: redfish, address: 10.0.0.5, user: admin, password: { secret: pw } }`,
        `    h2: { kind: ipmi, address: 10.0.0.6, user: admin, password: hunter2 }`,
        `    h3: { kind: ilo, address: 10.0.0.7, user: admin, password: { secret: pw } }`,
        `    h4: { kind: redfish, address: 10.0.0.8, user: admin, password: { secret: pw }, pin: "sha1//abc" }`,
        `    "bad host": { kind: ipmi, address: 10.0.0.9, user: admin, password: { secret: pw } }`,
        `    h5: { kind: redfish, address: 10.0.0.8, user: admin, password: { secret: pw }, pin: "${PIN}", insecureSkipTlsVerify: true }`,
        `    h6: { kind: redfish, address: "10.0.0.8; rm -rf /", user: admin, password: { secret: pw }, insecureSkipTlsVerify: true }`,
        "",
      ].join("\n"),
    );
    const f = path.join(dir, "stacks/Pulumi.dev.yaml");
    const shown = issuesOf(() => readStackConfig(dir, "dev")).map(formatIssue);
    expect(shown).toEqual(
      expect.arrayContaining([
        `${f}:11 provisioning:bmcs.h1: no TLS pin for the BMC at 10.0.0.5: set pin ("sha256//…", the hash of its certificate's public key); insecureSkipTlsVerify: true accepts any certificate, for a lab`,
        `${f}:12 provisioning:bmcs.h2.password: expected { secret: NAME }: a BMC password comes from the stack's secret config, never in plain text`,
        `${f}:13 provisioning:bmcs.h3.kind: expected kind: redfish or kind: ipmi`,
        `${f}:14 provisioning:bmcs.h4.pin: invalid pin "sha1//abc": expected "sha256//" and the base64 sha256 of the certificate's public key`,
        expect.stringMatching(new RegExp(`^${f}:15 provisioning:bmcs.bad host: invalid host name: invalid name "bad host"`)),
        `${f}:16 provisioning:bmcs.h5: pin and insecureSkipTlsVerify are exclusive`,
        `${f}:17 provisioning:bmcs.h6.address: invalid host "10.0.0.8; rm -rf /"`,
      ]),
    );
    expect(shown).toHaveLength(7);
    // A plain password is refused without being echoed.
    expect(shown.join("\n")).not.toContain("hunter2");
  });

  it("a BMC password is a credential: no catalog secret may be, or read as, it", () => {
    for (const declared of ["bmc_pw", "BMC_PW", "Bmc_Pw"]) {
      const dir = stackWith(`    h1: { kind: ipmi, address: 10.0.0.6, user: admin, password: { secret: bmc_pw } }\n`, `  provisioning:catalogSecrets: [motd, ${declared}]\n`);
      const f = path.join(dir, "stacks/Pulumi.dev.yaml");
      const shown = issuesOf(() => readStackConfig(dir, "dev")).map(formatIssue);
      expect(shown).toHaveLength(1);
      expect(shown[0]).toMatch(new RegExp(`^${f}:10 provisioning:catalogSecrets\\[1\\]: catalog secret "${declared}" (is|reads as "bmc_pw",) the password of the BMC of host h1: `));
    }
    expect(() => readStackConfig(stackWith(`    h1: { kind: ipmi, address: 10.0.0.6, user: admin, password: { secret: bmc_pw } }\n`, "  provisioning:catalogSecrets: [motd]\n"), "dev")).not.toThrow();
  });
});

describe("which child acts for a host", () => {
  const bmc = (extra: Partial<Bmc> = {}): Bmc => ({ kind: "ipmi", address: "10.0.0.6", port: 623, user: "a", password: { secret: "p" }, ...extra }) as Bmc;
  const stackServers = [
    { name: "a1", site: "east" },
    { name: "a2", site: "east" },
    { name: "w1", site: "west" },
  ];
  const hosts = [
    { name: "h-server", server: "w1" },
    { name: "h-site", site: "east" },
    { name: "h-nowhere", site: "north" },
  ];
  it("the host's server, the first of its site's, or the one `via` names", () => {
    expect(bmcChild(hosts[0]!, bmc(), stackServers)).toBe("w1");
    expect(bmcChild(hosts[1]!, bmc(), stackServers)).toBe("a1");
    expect(bmcChild(hosts[1]!, bmc({ via: "a2" }), stackServers)).toBe("a2");
  });
  it("a BMC for a host not in the catalog, held by no child, or via a child that does not hold it: located errors, all at once", () => {
    const lineOf = (h: string) => ({ "h-gone": 3, "h-nowhere": 4, "h-site": 5 })[h] ?? 0;
    const issues = bmcPlacementIssues({ "h-gone": bmc(), "h-nowhere": bmc(), "h-site": bmc({ via: "w1" }), "h-server": bmc() }, hosts, stackServers, "stacks/Pulumi.dev.yaml", lineOf);
    expect(issues.map(formatIssue)).toEqual([
      "stacks/Pulumi.dev.yaml:3 provisioning:bmcs.h-gone: host h-gone is not in the catalog (known: h-nowhere, h-server, h-site)",
      "stacks/Pulumi.dev.yaml:4 provisioning:bmcs.h-nowhere: no server of the stack holds host h-nowhere (it names site north): no child can reach its BMC",
      "stacks/Pulumi.dev.yaml:5 provisioning:bmcs.h-site: via w1: that server does not hold host h-site (it names site east)",
    ]);
  });
});

/** curl's config syntax, read back as curl documents it: `key = "value"` with \\ \" \n \r \t \v escapes, or a bare switch. */
function readCurlConfig(text: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^([a-z-]+)(?: = "((?:[^"\\]|\\.)*)")?$/.exec(line);
    if (!m) throw new Error(`not a curl config line: ${JSON.stringify(line)}`);
    out.push([m[1]!, m[2]?.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t", v: "\v" })[c] ?? c)]);
  }
  return out;
}

describe("Redfish requests", () => {
  const bmc: RedfishBmc = { kind: "redfish", address: "10.0.0.5", port: 8443, user: "admin", password: { secret: "pw" }, pin: PIN };
  it("the password is in curl's `user` line only, whatever it holds; every other line is fixed", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }).filter((s) => !s.includes("\0")), (password) => {
        const config = readCurlConfig(curlConfig(bmc, password, { method: "POST", path: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", body: { ResetType: "On" } }));
        expect(config.map(([k]) => k)).toEqual(["url", "user", "request", "proto", "noproxy", "globoff", "silent", "show-error", "connect-timeout", "max-time", "header", "insecure", "pinnedpubkey", "header", "data-raw", "include", "write-out"]);
        expect(Object.fromEntries(config.filter(([k]) => k !== "header"))).toMatchObject({
          url: "https://10.0.0.5:8443/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
          user: `admin:${password}`,
          request: "POST",
          proto: "=https",
          pinnedpubkey: PIN,
          "data-raw": '{"ResetType":"On"}',
        });
      }),
    );
  });
  it("without a pin (the lab opt-out) there is no pinnedpubkey line; an IPv6 BMC is bracketed", () => {
    const lab: RedfishBmc = { kind: "redfish", address: "fd00::5", port: 443, user: "admin", password: { secret: "pw" }, insecureSkipTlsVerify: true };
    const config = Object.fromEntries(readCurlConfig(curlConfig(lab, "x", { method: "GET", path: "/redfish/v1/Systems" })));
    expect(config.url).toBe("https://[fd00::5]:443/redfish/v1/Systems");
    expect(config).not.toHaveProperty("pinnedpubkey");
  });
  it("a NUL in the password is refused without showing it", () => {
    expect(() => curlConfig(bmc, "se\0cret", { method: "GET", path: "/" })).toThrow(/^the BMC password contains a NUL character$/);
  });
  it("redirects are followed only to the same BMC: scheme, host and port", () => {
    expect(sameBmcPath(bmc, "https://10.0.0.5:8443/redfish/v1/Systems/abc")).toBe("/redfish/v1/Systems/abc");
    expect(sameBmcPath(bmc, "/redfish/v1/Systems/abc?x=1")).toBe("/redfish/v1/Systems/abc?x=1");
    expect(sameBmcPath(bmc, "abc", "/redfish/v1/Systems/xyz")).toBe("/redfish/v1/Systems/abc");
    for (const elsewhere of [
      "https://10.0.0.6:8443/redfish/v1/Systems/abc",
      "http://10.0.0.5:8443/redfish/v1/Systems/abc",
      "https://10.0.0.5/redfish/v1/Systems/abc",
      "https://10.0.0.5:8444/",
      "https://evil.example/",
      "//evil.example/redfish",
      "https://admin:pw@10.0.0.5:8443/",
      "ftp://10.0.0.5:8443/",
    ]) {
      expect(sameBmcPath(bmc, elsewhere), elsewhere).toBeUndefined();
    }
  });
  it("curl's output: the head, the body, the status and a redirect's Location", () => {
    expect(parseCurlOutput('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"a":1}\nprovision-bmc-http: 200')).toEqual({ status: 200, body: '{"a":1}' });
    expect(parseCurlOutput("HTTP/1.1 307 TEMPORARY REDIRECT\r\nLocation: /redfish/v1/Systems/x\r\n\r\n\nprovision-bmc-http: 307")).toEqual({ status: 307, body: "", location: "/redfish/v1/Systems/x" });
    expect(parseCurlOutput("HTTP/1.1 100 Continue\r\n\r\nHTTP/2 204\r\nlocation: https://x/\r\n\r\n\nprovision-bmc-http: 204")).toEqual({ status: 204, body: "", location: "https://x/" });
    // A body that prints the mark itself does not fool the reader: the last one is curl's.
    expect(parseCurlOutput("HTTP/1.1 401 No\r\n\r\nx\nprovision-bmc-http: 200\nprovision-bmc-http: 401")).toMatchObject({ status: 401, body: "x\nprovision-bmc-http: 200" });
    expect(parseCurlOutput("curl: (7) Failed to connect")).toBeUndefined();
    expect(parseCurlOutput("no head\nprovision-bmc-http: 200")).toBeUndefined();
    expect(redfishMessage('{"error":{"code":"Base.1.0.GeneralError","message":"Incorrect username or password"}}')).toBe("Incorrect username or password");
    expect(redfishMessage("<html>")).toBeUndefined();
  });
  it("ResetType: the action among those the system allows", () => {
    expect(resetTypeFor("cycle", ["On", "ForceOff", "ForceRestart", "PowerCycle"])).toBe("PowerCycle");
    expect(resetTypeFor("cycle", ["On", "ForceOff", "ForceRestart"])).toBe("ForceRestart");
    expect(resetTypeFor("on", ["ForceOn"])).toBe("ForceOn");
    expect(resetTypeFor("off", ["On", "GracefulShutdown"])).toBeUndefined();
    expect(resetTypeFor("off", undefined)).toBe("ForceOff");
    expect(resetTypeFor("cycle", undefined)).toBe("ForceRestart");
  });
  it("boot overrides: the network once, the disk from then on", () => {
    expect(bootOverride("pxe")).toEqual({ Boot: { BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Once" } });
    expect(bootOverride("disk")).toEqual({ Boot: { BootSourceOverrideTarget: "Hdd", BootSourceOverrideEnabled: "Continuous" } });
  });
});

describe("IPMI commands", () => {
  it("power and boot device words, and the state read back", () => {
    expect(ipmitoolCommand("cycle")).toEqual(["chassis", "power", "cycle"]);
    expect(ipmitoolCommand({ boot: "pxe" })).toEqual(["chassis", "bootdev", "pxe"]);
    expect(ipmitoolCommand({ boot: "disk" })).toEqual(["chassis", "bootdev", "disk"]);
    expect(ipmiPowerState("Chassis Power is on\n")).toBe("on");
    expect(ipmiPowerState("Chassis Power is off\n")).toBe("off");
    expect(ipmiPowerState("Error")).toBeUndefined();
  });
});

describe("the schema stands alone", () => {
  it("parses a record keyed by host names", () => {
    expect(BmcsSchema.safeParse({ h: { kind: "ipmi", address: "1.2.3.4", user: "u", password: { secret: "s" } } }).success).toBe(true);
  });
});

describe("the programs each child runs for BMCs", () => {
  it("curl for Redfish, ipmitool for IPMI, at the child acting for each host; hosts without a BMC or a child ask nothing", async () => {
    const { bmcToolsByServer } = await import("../../src/bmc");
    const rf: Bmc = { kind: "redfish", address: "10.0.0.5", port: 443, user: "a", password: { secret: "p" }, insecureSkipTlsVerify: true };
    const ipmi: Bmc = { kind: "ipmi", address: "10.0.0.6", port: 623, user: "a", password: { secret: "p" } };
    const servers = [
      { name: "a1", site: "east" },
      { name: "a2", site: "east" },
    ];
    const hosts = [
      { name: "h1", server: "a1" },
      { name: "h2", site: "east" },
      { name: "h3", site: "east" },
      { name: "h4", site: "north" },
      { name: "h5", server: "a2" },
    ];
    expect(bmcToolsByServer({ h1: rf, h2: ipmi, h3: { ...rf, via: "a2" }, h4: ipmi }, hosts, servers)).toEqual(
      new Map([
        ["a1", ["curl", "ipmitool"]],
        ["a2", ["curl"]],
      ]),
    );
  });
});

describe("provision power's arguments", () => {
  it("usage errors exit 2 with the command's usage; a stack without a catalog is a located error, exit 1", async () => {
    const { runAsync } = await import("../../components/cli/main");
    const dir = stackWith(`    web-1: { kind: ipmi, address: 10.0.0.6, user: admin, password: { secret: pw } }\n`);
    const cases: [string[], RegExp][] = [
      [["power", "--stack", "dev", "web-1", "reboot"], /^provision: power takes status\|on\|off\|cycle after the hosts, got "reboot"\n/],
      [["power", "--stack", "dev", "status"], /^provision: power takes at least one host\n/],
      [["power", "web-1", "status"], /^provision: missing --stack\n/],
    ];
    for (const [argv, re] of cases) {
      const r = await runAsync([...argv, "--project", dir]);
      expect(r.exitCode, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).toContain("Usage: provision power --stack S HOST… status|on|off|cycle");
    }
    // The catalog is missing: a located stack-config error before any secret is read.
    const r = await runAsync(["power", "--stack", "dev", "--project", dir, "web-1", "status"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`${path.join(dir, "stacks/Pulumi.dev.yaml")} provisioning:catalog: is not set: the BMCs are checked against the catalog's hosts\n`);
  });
});
