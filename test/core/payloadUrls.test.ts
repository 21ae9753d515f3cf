// The address rule of URL payloads: which addresses a download may connect to, for every family
// of address (IPv4 and IPv6 special ranges at their edges, IPv6 forms that carry an IPv4
// address, zone ids, spellings of one address), and what the stack's allow-list adds. Pure.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAddress, embeddedIpv4, hostOf, parseAllowEntry, PayloadMaxBytesSchema, PayloadUrlAllowSchema } from "../../src/payloadUrls";

const at = (address: string, allow: readonly string[] = [], host = address, port = 80) => checkAddress({ address, host, port }, allow);
const reason = (address: string) => {
  const v = at(address);
  return v.allowed ? "allowed" : v.reason;
};

/** The refused IPv4 ranges, written as integers: an oracle independent of the rule's own table. */
const V4_REFUSED: [string, string][] = [
  ["0.0.0.0/8", "this network"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "carrier-grade NAT"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local|metadata"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "IETF protocol"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "6to4 relay"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved|broadcast"],
];
const toInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
const bounds = (cidr: string) => {
  const [net, bits] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(bits));
  return [toInt(net), toInt(net) + size - 1] as const;
};
const refusedBy = (n: number) => V4_REFUSED.find(([cidr]) => n >= bounds(cidr)[0] && n <= bounds(cidr)[1]);

describe("IPv4", () => {
  it("each refused range is refused from its first to its last address, with its name and range; its neighbours outside are public", () => {
    for (const [cidr, what] of V4_REFUSED) {
      const [first, last] = bounds(cidr);
      for (const n of [first, first + 1, Math.floor((first + last) / 2), last]) expect(reason(toIp(n)), toIp(n)).toMatch(new RegExp(`^${toIp(n).replace(/\./g, "\\.")} is (a|an|the) .*(${what}).*\\(\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+\\)$`));
      for (const n of [first - 1, last + 1]) if (n >= 0 && n < 2 ** 32 && !refusedBy(n)) expect(reason(toIp(n)), toIp(n)).toBe("allowed");
    }
  });

  it("names the cloud metadata service apart from the rest of link-local", () => {
    expect(reason("169.254.169.254")).toBe("169.254.169.254 is the cloud metadata service (169.254.169.254/32)");
    expect(reason("169.254.169.253")).toBe("169.254.169.253 is a link-local address (169.254.0.0/16)");
    expect(reason("255.255.255.255")).toBe("255.255.255.255 is the broadcast address (255.255.255.255/32)");
  });

  it("any IPv4 address: refused exactly when a refused range holds it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        expect(at(toIp(n)).allowed).toBe(!refusedBy(n));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("IPv6", () => {
  const cases: [string, string][] = [
    ["::", "the unspecified address (::/128)"],
    ["::1", "a loopback address (::1/128)"],
    ["fe80::1", "a link-local address (fe80::/10)"],
    ["febf:ffff::1", "a link-local address (fe80::/10)"],
    ["fec0::1", "a site-local address (fec0::/10)"],
    ["fc00::1", "a unique local (private) address (fc00::/7)"],
    ["fdff:ffff::1", "a unique local (private) address (fc00::/7)"],
    ["fd00:ec2::254", "the cloud metadata service (fd00:ec2::254/128)"],
    ["ff02::1", "a multicast address (ff00::/8)"],
    ["ff0e::1", "a multicast address (ff00::/8)"],
    ["2001:db8::1", "a documentation address (2001:db8::/32)"],
    ["3fff::1", "a documentation address (3fff::/20)"],
    ["2001::1", "a Teredo tunnel address (2001::/32)"],
    ["2001:2::1", "a benchmarking address (2001:2::/48)"],
    ["2001:10::1", "an ORCHID address (2001:10::/28)"],
    ["64:ff9b:1::a01:203", "a local-use NAT64 address (64:ff9b:1::/48)"],
    ["100::1", "a discard-only address (100::/64)"],
    ["1::1", "a reserved address (outside global unicast, 2000::/3)"],
    ["4000::1", "a reserved address (outside global unicast, 2000::/3)"],
  ];
  it.each(cases)("%s is %s", (address, what) => {
    expect(reason(address)).toBe(`${address} is ${what}`);
  });

  it("global unicast addresses are public", () => {
    for (const a of ["2606:4700::1111", "2a00:1450:4001::200e", "2001:4860:4860::8888", "3ffe::1", "2c0f::1"]) expect(reason(a), a).toBe("allowed");
  });

  it("a zone id changes nothing", () => {
    expect(reason("fe80::1%eth0")).toBe("fe80::1 is a link-local address (fe80::/10)");
  });

  it("an IPv6 address carrying an IPv4 address is judged by the IPv4 address, whatever the form", () => {
    const forms: [string, (v4: string, hex: string) => string][] = [
      ["IPv4-mapped", (v4) => `::ffff:${v4}`],
      ["IPv4-mapped", (_, hex) => `::ffff:${hex}`],
      ["IPv4-translated", (_, hex) => `::ffff:0:${hex}`],
      ["NAT64", (_, hex) => `64:ff9b::${hex}`],
      ["IPv4-compatible", (v4) => `::${v4}`],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 2 ** 32 - 1 }), fc.constantFrom(...forms), (n, [form, write]) => {
        const v4 = toIp(n);
        const hex = `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
        const v6 = write(v4, hex);
        expect(embeddedIpv4(v6)).toEqual({ ipv4: v4, form });
        const verdict = at(v6);
        expect(verdict.allowed).toBe(!refusedBy(n));
        if (!verdict.allowed) expect(verdict.reason).toMatch(new RegExp(`is the ${form} form of ${v4.replace(/\./g, "\\.")}, `));
      }),
      { numRuns: 3000 },
    );
    // 6to4 carries it in the second and third groups.
    expect(reason("2002:c0a8:101::1")).toBe("2002:c0a8:101::1 is the 6to4 form of 192.168.1.1, a private address (192.168.0.0/16)");
    expect(reason("2002:808:808::1")).toBe("allowed");
    expect(reason("::ffff:169.254.169.254")).toBe("::ffff:169.254.169.254 is the IPv4-mapped form of 169.254.169.254, the cloud metadata service (169.254.169.254/32)");
  });

  it("what is not an IP address is refused", () => {
    for (const a of ["", "localhost", "127.1", "1.2.3.4.5", "fe80::zz"]) expect(at(a).allowed, a).toBe(false);
  });
});

describe("spellings of a host", () => {
  it("a URL's host reaches the check as the URL parser writes it: one spelling per address", () => {
    for (const written of ["127.0.0.1", "0x7f.1", "2130706433", "0177.0.0.1", "127.1", "0x7f000001"]) expect(hostOf(written), written).toBe("127.0.0.1");
    for (const written of ["[::1]", "[0:0:0:0:0:0:0:1]", "[::0:1]"]) expect(hostOf(written), written).toBe("::1");
    expect(hostOf("[::ffff:127.0.0.1]")).toBe("::ffff:7f00:1");
    expect(reason(hostOf("[::ffff:127.0.0.1]")!)).toBe("::ffff:7f00:1 is the IPv4-mapped form of 127.0.0.1, a loopback address (127.0.0.0/8)");
    expect(hostOf("Mirror.EXAMPLE")).toBe("mirror.example");
  });
});

describe("the stack's allow-list", () => {
  it("a subnet allows the addresses it holds, in its own family or as the IPv4 address a form carries", () => {
    expect(at("10.1.2.3", ["10.0.0.0/8"])).toEqual({ allowed: true, by: "10.0.0.0/8" });
    expect(at("::ffff:10.1.2.3", ["10.0.0.0/8"])).toEqual({ allowed: true, by: "10.0.0.0/8" });
    expect(at("10.1.2.3", ["10.1.2.3"])).toEqual({ allowed: true, by: "10.1.2.3" });
    expect(at("fd12::5", ["fd00::/8"])).toEqual({ allowed: true, by: "fd00::/8" });
    expect(at("11.0.0.1", ["10.0.0.0/8"])).toEqual({ allowed: true });
    for (const [address, allow] of [["10.1.2.4", ["10.1.2.3"]], ["172.16.0.1", ["10.0.0.0/8"]], ["127.0.0.1", ["::1"]], ["169.254.169.254", ["10.0.0.0/8", "fd00::/8"]], ["fe80::1", ["fd00::/8"]]] as const) {
      expect(at(address, allow).allowed, `${address} with ${allow.join(", ")}`).toBe(false);
    }
  });

  it("host:port allows the URL's very host on that port only", () => {
    expect(at("127.0.0.1", ["127.0.0.1:8080"], "127.0.0.1", 8080)).toEqual({ allowed: true, by: "127.0.0.1:8080" });
    expect(at("127.0.0.1", ["127.0.0.1:8080"], "127.0.0.1", 8081).allowed).toBe(false);
    expect(at("10.9.9.9", ["Mirror.LAN:8080"], "mirror.lan", 8080)).toEqual({ allowed: true, by: "Mirror.LAN:8080" });
    // The name allowed, not whatever else resolves to its address.
    expect(at("10.9.9.9", ["mirror.lan:8080"], "other.lan", 8080).allowed).toBe(false);
    expect(at("::1", ["[::1]:8080"], "::1", 8080)).toEqual({ allowed: true, by: "[::1]:8080" });
    expect(at("::1", ["[::1]:8080"], "::1", 80).allowed).toBe(false);
  });

  it("entries are checked: each bad one named", () => {
    const bad = ["10.0.0.0/33", "::/129", "10.0.0/8", "http://mirror:80", "mirror", "mirror:0", "mirror:65536", "[::1]", "a b:80", ""];
    for (const e of bad) expect(parseAllowEntry(e), e).toHaveProperty("error");
    const parsed = PayloadUrlAllowSchema.safeParse(["10.0.0.0/8", ...bad]);
    expect(parsed.error?.issues.map((i) => [i.path, i.message])).toEqual(bad.map((e, i) => [[i + 1], `invalid entry ${JSON.stringify(e)}: expected a subnet (10.0.0.0/8, fd00::/8), an address, or host:port ([::1]:8080)`]));
    for (const good of ["10.0.0.0/8", "fd00::/8", "127.0.0.1", "::1", "mirror.lan:8080", "[fd00::1]:443", "127.0.0.1:80"]) expect(parseAllowEntry(good), good).not.toHaveProperty("error");
  });

  it("the size cap is a whole number of bytes", () => {
    for (const v of [0, -1, 1.5, Number.NaN, 2 ** 60]) expect(PayloadMaxBytesSchema.safeParse(v).success, String(v)).toBe(false);
    for (const v of [1, 1048576, 2 ** 40]) expect(PayloadMaxBytesSchema.safeParse(v).success).toBe(true);
  });
});
