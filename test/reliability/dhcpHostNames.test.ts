// A host's name reaches dnsmasq as a name. The child's rendered dnsmasq.conf and dhcp/hosts run in
// a real dnsmasq on a network segment in a namespace (the child's own command-line options), and
// a DHCP client on that segment asks for each MAC: every host named right beside dnsmasq's words
// (`ignore-1`, `12hs`, `x45m`, …) is offered its address with its own name. The names the catalog
// refuses, written into the same file as a line would have held them, are read by that dnsmasq
// as what they are to it: `ignore` answers nothing for that MAC, a lease time or `infinite` sets
// the lease and no name is sent.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostNameSchema } from "../../src/catalog/schema";
import { dnsmasqConfig, dnsmasqHosts } from "../../src/render/dhcp";
import { minimal, resolveData, server } from "../core/helpers";
import { createSegment, type Segment } from "../support/netns";

const CLIENT = path.join(__dirname, "..", "support", "dhcpDiscover.mjs");
const LEASE = 3600;
const ACCEPTED = ["web-01", "a", "m", "w", "1a", "x45m", "12h0", "12hs", "h12", "45-m", "ignored", "ignore-1", "IGNORE", "Infinite", "infinite2", "0x1f", "s3600"];
/** Refused by the catalog; what this dnsmasq makes of each as the name field of a reservation. */
const MISREAD: Record<string, { offered: boolean; leaseSeconds?: number }> = {
  ignore: { offered: false },
  infinite: { offered: true, leaseSeconds: 0xffffffff },
  "12h": { offered: true, leaseSeconds: 12 * 3600 },
  "45m": { offered: true, leaseSeconds: 45 * 60 },
  "7d": { offered: true, leaseSeconds: 7 * 86400 },
  "7200": { offered: true, leaseSeconds: 7200 },
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), "dhcp-names-"));
let seg: Segment;

const mac = (n: number) => `52:54:00:7e:00:${n.toString(16).padStart(2, "0")}`;

describe("host names in dnsmasq's reservations", () => {
  beforeAll(() => {
    fs.chmodSync(work, 0o755); // dnsmasq reads its files after dropping root
    seg = createSegment();
  });
  afterAll(() => {
    seg?.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("every accepted name is offered as the host's name with its address; every refused one is read as a keyword or a lease time", async () => {
    const ip = (n: number) => `${seg.prefix}.${10 + n}`;
    const srv = server({ address: seg.childAddress, tftpPort: 69, dhcp: { mode: "server", interface: seg.bridge, range: { start: `${seg.prefix}.50`, end: `${seg.prefix}.60` }, dns: [seg.childAddress], leaseSeconds: LEASE } });
    const dhcp = srv.dhcp!;
    const hosts = ACCEPTED.map((name, n) => ({ name, interfaces: [{ mac: mac(n), ip: ip(n) }], profile: "web", server: srv.name }));
    const resolved = resolveData({ ...minimal(), hosts });
    const misread = Object.keys(MISREAD);
    for (const name of misread) expect(HostNameSchema.safeParse(name).success, name).toBe(false);
    const misreadLines = misread.map((name, k) => `${mac(50 + k)},${ip(50 + k)},${name}\n`).join("");

    const conf = path.join(work, "dnsmasq.conf");
    const hostsFile = path.join(work, "hosts");
    const log = path.join(work, "dnsmasq.log");
    fs.writeFileSync(conf, dnsmasqConfig(srv, dhcp, {}));
    fs.writeFileSync(hostsFile, dnsmasqHosts(dhcp, [...resolved.hosts.values()]) + misreadLines);
    seg.spawnIn(seg.netns, "dnsmasq", ["--keep-in-foreground", `--conf-file=${conf}`, `--dhcp-hostsfile=${hostsFile}`, `--dhcp-leasefile=${path.join(work, "leases")}`, `--pid-file=${path.join(work, "dnsmasq.pid")}`, `--log-facility=${log}`], path.join(work, "dnsmasq.out"));
    const started = Date.now();
    while (!(fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("DHCP, IP range"))) {
      if (Date.now() - started > 10_000) throw new Error(`dnsmasq did not start: ${fs.existsSync(path.join(work, "dnsmasq.out")) ? fs.readFileSync(path.join(work, "dnsmasq.out"), "utf8") : ""}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const peer = seg.addPeer(`${seg.prefix}.200`);
    const macs = [...ACCEPTED.map((_, n) => mac(n)), ...misread.map((_, k) => mac(50 + k))];
    const out = execFileSync("ip", ["netns", "exec", peer, process.execPath, CLIENT, `${seg.prefix}.255`, "2500", ...macs], { encoding: "utf8", timeout: 120_000 });
    const offers = new Map(out.trim().split("\n").map((l) => JSON.parse(l) as { mac: string; offer: { ip: string; hostName: string | null; leaseSeconds: number | null } | null }).map((r) => [r.mac, r.offer]));

    // dnsmasq sends names in lower case (a DNS name's case carries nothing): `IGNORE` arrives as the name `ignore`.
    expect(ACCEPTED.map((name, n) => ({ name, offer: offers.get(mac(n)) }))).toEqual(ACCEPTED.map((name, n) => ({ name, offer: { ip: ip(n), hostName: name.toLowerCase(), leaseSeconds: LEASE } })));
    expect(misread.map((name, k) => ({ name, offer: offers.get(mac(50 + k)) }))).toEqual(
      misread.map((name, k) => ({ name, offer: MISREAD[name]!.offered ? { ip: ip(50 + k), hostName: null, leaseSeconds: MISREAD[name]!.leaseSeconds } : null })),
    );
  });
});
