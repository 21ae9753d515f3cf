// Hosts: machines by MAC that install a profile unattended. Spellings of a MAC, located errors,
// which children hold a host and why, the files each host gets (per-MAC boot entries for BIOS,
// UEFI and iPXE, its own autoinstall with its variables), netboot off, and that a host edit
// touches only the children holding it, and only its files.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { DhcpSchema, HostNameSchema, ServerSchema } from "../../src/catalog/schema";
import { loadCatalog } from "../../src/catalog/load";
import { resolveCatalog } from "../../src/catalog/resolve";
import { impact } from "../../src/impact";
import { dnsmasqHosts } from "../../src/render/dhcp";
import { render } from "../../src/render/render";
import { runRenderJob } from "../../src/renderJob";
import { hostTokenName, secretToken } from "../../src/render/secretTokens";
import { select } from "../../src/select";
import { issuesOf, minimal, resolveData, server, tempDir } from "./helpers";

const MAC = "52:54:00:aa:bb:01";

function withHosts(hosts: Record<string, unknown>[]) {
  const d = minimal();
  d.templates[0] = { name: "ks", kind: "autoinstall", text: "role={{ profile.variables.role }}\n{% if host %}hostname {{ host.name }}{% if host.ip %} ip {{ host.ip }}{% endif %} mac {{ host.mac }}\n{% endif %}{% include \"net\" %}\n" };
  return { ...d, hosts };
}

const web1 = { name: "web-01", interfaces: [{ mac: "52-54-00-AA-BB-01", ip: "10.0.0.51" }], profile: "web", server: "s1", variables: { role: "web-one" } };

describe("hosts in the catalog", () => {
  it("accepts the common MAC spellings and reads them as one canonical form", () => {
    for (const mac of ["52:54:00:AA:BB:01", "52-54-00-aa-bb-01", "5254.00aa.bb01", "525400AABB01"]) {
      const r = resolveData(withHosts([{ ...web1, interfaces: [{ mac }] }]));
      expect(r.hosts.get("web-01")!.interfaces[0]!.mac).toBe(MAC);
    }
  });

  it("locates every mistake: a bad MAC, an unknown profile, a MAC or IP twice, neither or both of server and site", () => {
    const dir = tempDir({
      "hosts.yaml": stringify({
        ...withHosts([
          { name: "a", interfaces: [{ mac: "52:54:00:zz:00:01" }], profile: "web", server: "s1" },
          { name: "b", interfaces: [{ mac: MAC }], profile: "nope", server: "s1" },
          { name: "c", interfaces: [{ mac: MAC, ip: "10.0.0.9" }], profile: "web", site: "dc1" },
          { name: "d", interfaces: [{ mac: "52:54:00:aa:bb:02", ip: "10.0.0.9" }], profile: "web", server: "s1", site: "dc1" },
        ]),
      }),
    });
    const schema = issuesOf(() => loadCatalog(dir)).map((i) => `${i.line} ${i.path}: ${i.message}`);
    expect(schema.some((l) => /hosts\[0\]\.interfaces\[0\]\.mac: invalid MAC address "52:54:00:zz:00:01"/.test(l))).toBe(true);
    expect(schema.some((l) => /hosts\[3\]: expected exactly one of server .* or site/.test(l))).toBe(true);
    const fixed = withHosts([
      { name: "b", interfaces: [{ mac: MAC }], profile: "nope", server: "s1" },
      { name: "c", interfaces: [{ mac: MAC, ip: "10.0.0.9" }], profile: "web", site: "dc1" },
      { name: "d", interfaces: [{ mac: "52:54:00:aa:bb:02", ip: "10.0.0.9" }], profile: "web", server: "s1" },
    ]);
    const resolved = issuesOf(() => resolveData(fixed)).map((i) => `${i.path}: ${i.message}`);
    expect(resolved).toContain(`hosts[0].profile: unknown profile "nope" (known: base, db, edge, web, web-fe)`);
    expect(resolved).toContain(`hosts[1].interfaces[0].mac: MAC ${MAC} is already host b's`);
    expect(resolved).toContain("hosts[2].interfaces[0].ip: IP 10.0.0.9 is already host c's");
  });

  // dnsmasq reads each field of a `mac,ip,name` line by its form: `ignore` (never answer this
  // MAC), `infinite` and a number with an optional s/m/h/d/w are a lease, not a name.
  const dnsmasqWords = ["ignore", "infinite", "0", "7", "3600", "45m", "12h", "7d", "2w", "10S", "1M", "90H", "1D", "3W"];
  const notOneLabel = ["web.lab", "web_01", "-web", "web-", "a b", "", "x".repeat(64), "ignore.lab"];
  const accepted = ["web-01", "a", "m", "w", "1a", "x45m", "12h0", "12hs", "h12", "45-m", "ignored", "ignore-1", "IGNORE", "Ignore", "Infinite", "infinite2", "not-infinite", "0x1f", "x".repeat(63)];

  it("a host name is one RFC 1123 label that dnsmasq cannot read as a keyword or a lease time: every refused name located at once", () => {
    const refused = [...dnsmasqWords, ...notOneLabel];
    const hosts = refused.map((name, n) => ({ name, interfaces: [{ mac: `52:54:00:00:01:${n.toString(16).padStart(2, "0")}`, ip: `10.0.1.${n + 1}` }], profile: "web", server: "s1" }));
    const dir = tempDir({ "hosts.yaml": stringify(withHosts(hosts)) });
    const issues = issuesOf(() => loadCatalog(dir));
    const nameLines = fs.readFileSync(path.join(dir, "hosts.yaml"), "utf8").split("\n").flatMap((l, n) => (/^ *- name:/.test(l) ? [n + 1] : [])).slice(-refused.length);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual(
      refused.map((name, n) => `hosts[${n}].name: invalid host name ${JSON.stringify(name)}: ${dnsmasqWords.includes(name) ? "dnsmasq reads it in its hosts file as a keyword or a lease time, not as a name" : "expected one RFC 1123 label: 1-63 letters, digits or '-', starting and ending with a letter or digit"}`),
    );
    expect(issues.map((i) => i.line)).toEqual(nameLines);
    for (const name of accepted) expect(HostNameSchema.safeParse(name).success, name).toBe(true);
  });

  it("every number with or without a lease unit is refused; a name with a letter besides one trailing unit is accepted and written as the line's name", () => {
    const unit = fc.constantFrom("", "s", "m", "h", "d", "w", "S", "M", "H", "D", "W");
    fc.assert(fc.property(fc.nat(), unit, (n, u) => !HostNameSchema.safeParse(`${n}${u}`).success));
    fc.assert(fc.property(fc.stringMatching(/^[0-9]{1,6}$/), fc.stringMatching(/^[a-z]{1,3}$/), fc.stringMatching(/^[a-z0-9]{0,3}$/), (digits, letters, tail) => {
      const name = `${digits}${letters}${tail}`;
      // Digits then one unit letter is a lease time; a second letter or anything after makes it a name.
      const lease = /^[0-9]+[smhdw]$/.test(name);
      return HostNameSchema.safeParse(name).success === !lease;
    }));
    const dhcp = DhcpSchema.parse({ mode: "server", interface: "br0", range: { start: "10.0.2.100", end: "10.0.2.149" } });
    const resolved = resolveData(withHosts(accepted.map((name, n) => ({ name, interfaces: [{ mac: `52:54:00:00:02:${n.toString(16).padStart(2, "0")}`, ip: `10.0.2.${n + 1}` }], profile: "web", server: "s1" }))));
    const text = dnsmasqHosts(dhcp, [...resolved.hosts.values()]);
    expect(text.trimEnd().split("\n").map((l) => l.split(",")[2]).sort()).toEqual([...accepted].sort());
  });

  it("a host that no child of the stack would hold is a located error of the rendering job", () => {
    const dir = tempDir({ "c.yaml": stringify(withHosts([{ ...web1, server: "s9" }, { name: "x", interfaces: [{ mac: "52:54:00:00:00:09" }], profile: "web", site: "mars" }])) });
    const r = runRenderJob({ kind: "trees", catalog: loadCatalog(dir), servers: [server()], stack: [{ name: "s1", site: "dc1" }] });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues.map((i) => `${path.basename(i.file)}:${i.line} ${i.path}: ${i.message}`);
    const lineOf = (text: string) => fs.readFileSync(path.join(dir, "c.yaml"), "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;
    expect(issues).toEqual([
      `c.yaml:${lineOf("server: s9")} hosts[0].server: host web-01 names server "s9", which the stack does not have (known: s1): no child would hold it`,
      `c.yaml:${lineOf("site: mars")} hosts[1].site: host x names site "mars", where the stack has no server (sites known: dc1): no child would hold it`,
    ]);
  });
});

describe("which children hold a host", () => {
  const r = resolveData(withHosts([web1, { name: "edge-07", interfaces: [{ mac: "52:54:00:aa:bb:07" }], profile: "edge", site: "dc2" }]));

  it("the server it names, or every server of its site, with the host's profile closure even when that profile is not served", () => {
    const s1 = select(r, server({ profiles: ["db"] }));
    expect(s1.objects).toContainEqual({ kind: "host", name: "web-01", reason: "host of server s1" });
    expect(s1.objects).toContainEqual({ kind: "profile", name: "web", reason: "profile of host web-01" });
    expect(s1.objects.find((o) => o.kind === "profile" && o.name === "base")).toBeDefined();
    expect(s1.objects.some((o) => o.kind === "host" && o.name === "edge-07")).toBe(false);
    expect(s1.profiles).toEqual(["db"]); // the menu is unchanged

    const edge = select(r, server({ name: "e1", site: "dc2", arch: ["aarch64"], profiles: [] }));
    expect(edge.objects).toContainEqual({ kind: "host", name: "edge-07", reason: "host of site dc2" });
    expect(edge.objects).toContainEqual({ kind: "profile", name: "edge", reason: "profile of host edge-07" });
    expect(edge.objects.some((o) => o.name === "web-01")).toBe(false);
  });

  it("each gets its boot entries per MAC and its own autoinstall, rendered with its variables", () => {
    const t = render(r, server({ profiles: ["db"] }));
    const file = (p: string) => t.files.find((f) => f.path === p);
    const pxe = file("tftp/pxelinux.cfg/01-52-54-00-aa-bb-01")!;
    expect(pxe.content).toContain("DEFAULT install");
    expect(pxe.content).toContain("KERNEL images/el9/vmlinuz");
    const token = secretToken(hostTokenName("web-01", r.hosts.get("web-01")!.generation));
    expect(pxe.content).toContain(`inst.ks=http://127.0.0.1:8080/hosts/web-01/${token}/autoinstall.cfg`);
    expect(pxe.origin).toEqual({ kind: "host", name: "web-01" });
    expect(file("tftp/grub/hosts/01-52-54-00-aa-bb-01.cfg")!.content).toContain("linux /images/el9/vmlinuz");
    expect(file("tftp/ipxe/hosts/01-52-54-00-aa-bb-01.ipxe")!.content).toContain("kernel ${tftp}/images/el9/vmlinuz");
    const ks = file("hosts/web-01/autoinstall.cfg")!;
    expect(ks.content).toContain("role=web-one\nhostname web-01 ip 10.0.0.51 mac 52:54:00:aa:bb:01\n");
    expect(ks.secrets).toEqual([]);
    expect(file("hosts/web-01/files/motd")!.content).toBe("hello web\n");
    // The menus look for a host's entry by MAC first.
    expect(file("tftp/grub/grub.cfg")!.content).toContain('if [ "$net_default_mac" = "52:54:00:aa:bb:01" ]; then configfile "$prefix/hosts/01-52-54-00-aa-bb-01.cfg"; fi');
    expect(file("tftp/boot.ipxe")!.content).toContain("chain --replace --autofree ${tftp}/ipxe/hosts/01-${mac:hexhyp}.ipxe ||");
    // The profile's own autoinstall (not a host's) has no host.
    expect(file("http/autoinstall/db.cfg")!.content).not.toContain("hostname");
  });

  it("netboot: false boots the local disk from every entry and renders no installer entry", () => {
    const off = resolveData(withHosts([{ ...web1, netboot: false }]));
    const t = render(off, server());
    const content = (p: string) => t.files.find((f) => f.path === p)!.content!;
    expect(content("tftp/pxelinux.cfg/01-52-54-00-aa-bb-01")).toMatch(/DEFAULT local[\s\S]*LOCALBOOT 0/);
    expect(content("tftp/pxelinux.cfg/01-52-54-00-aa-bb-01")).not.toContain("KERNEL");
    expect(content("tftp/grub/hosts/01-52-54-00-aa-bb-01.cfg")).toMatch(/menuentry 'Boot web-01 from its local disk' \{\n  exit\n\}/);
    expect(content("tftp/ipxe/hosts/01-52-54-00-aa-bb-01.ipxe")).toMatch(/\nexit\n/);
  });

  it("a host edit touches only the children that hold it, and only its files", () => {
    const servers = [server(), server({ name: "s2", site: "dc1" }), server({ name: "e1", site: "dc2", arch: ["aarch64"], profiles: ["edge"] })];
    const after = resolveData(withHosts([{ ...web1, netboot: false }, { name: "edge-07", interfaces: [{ mac: "52:54:00:aa:bb:07" }], profile: "edge", site: "dc2" }]));
    const result = impact(r, after, servers);
    expect(result.touched).toEqual(["s1"]);
    expect(result.servers["s1"]!.objects).toEqual([{ kind: "host", name: "web-01", op: "update" }]);
    // Never armed now: its own files, arm record and local variants leave the child.
    expect(result.servers["s1"]!.files.map((f) => `${f.path} ${f.op}`)).toEqual([
      "hosts/web-01/arm delete",
      "hosts/web-01/autoinstall.cfg delete",
      "hosts/web-01/files/motd delete",
      "hosts/web-01/local/tftp/grub/hosts/01-52-54-00-aa-bb-01.cfg delete",
      "hosts/web-01/local/tftp/ipxe/hosts/01-52-54-00-aa-bb-01.ipxe delete",
      "hosts/web-01/local/tftp/pxelinux.cfg/01-52-54-00-aa-bb-01 delete",
      "manifest.json update",
      "tftp/grub/hosts/01-52-54-00-aa-bb-01.cfg update",
      "tftp/ipxe/hosts/01-52-54-00-aa-bb-01.ipxe update",
      "tftp/pxelinux.cfg/01-52-54-00-aa-bb-01 update",
    ]);
    expect(result.servers["s1"]!.files.map((f) => f.path)).toEqual([
      ...["arm", "autoinstall.cfg", "files/motd", "local/tftp/grub/hosts/01-52-54-00-aa-bb-01.cfg", "local/tftp/ipxe/hosts/01-52-54-00-aa-bb-01.ipxe", "local/tftp/pxelinux.cfg/01-52-54-00-aa-bb-01"].map((f) => `hosts/web-01/${f}`),
      "manifest.json",
      "tftp/grub/hosts/01-52-54-00-aa-bb-01.cfg",
      "tftp/ipxe/hosts/01-52-54-00-aa-bb-01.ipxe",
      "tftp/pxelinux.cfg/01-52-54-00-aa-bb-01",
    ]);
  });
});

describe("DHCP for PXE on a child", () => {
  const dhcpServer = (dhcp: Record<string, unknown>, over: Record<string, unknown> = {}) =>
    server({ tftpPort: 69, address: "10.0.0.2", dhcp: dhcp as never, ...over });

  it("proxy mode: no addresses, the boot file per firmware from this child, iPXE to boot.ipxe", () => {
    const d = { ...withHosts([web1]), bootLoaders: [] };
    const r = resolveData(d);
    const t = render(r, dhcpServer({ mode: "proxy", interface: "eth0" }));
    const conf = t.files.find((f) => f.path === "dhcp/dnsmasq.conf")!.content!;
    expect(conf).toContain("dhcp-range=10.0.0.2,proxy\n");
    expect(conf).toContain("interface=eth0\n");
    expect(conf).toContain("port=0\n");
    expect(conf).toContain('pxe-service=tag:ipxe,x86PC,"iPXE",tftp://10.0.0.2/boot.ipxe\n');
    expect(t.files.find((f) => f.path === "dhcp/hosts")!.content).toBe("");
  });

  it("server mode: a range, options, and a reservation per host interface with an IP", () => {
    const dir = tempDir({ "bl/pxelinux.0": "P", "bl/shim.efi": "S", "bl/grubnet.efi": "G" });
    const d = {
      ...withHosts([web1, { name: "web-02", interfaces: [{ mac: "52:54:00:aa:bb:02" }], profile: "web", server: "s1" }]),
      bootLoaders: [
        { name: "bios", menu: "pxelinux-menu", files: [{ path: "bl/pxelinux.0" }] },
        { name: "uefi", menu: "grub-menu", files: [{ path: "bl/grubnet.efi", as: "grubx64.efi" }, { path: "bl/shim.efi", as: "shimx64.efi" }], bootFile: "shimx64.efi" },
      ],
    };
    fs.writeFileSync(path.join(dir, "c.yaml"), stringify(d));
    const r = resolveCatalog(loadCatalog(dir));
    const t = render(r, dhcpServer({ mode: "server", interface: "br0", range: { start: "10.0.0.100", end: "10.0.0.150" }, router: "10.0.0.1", dns: ["10.0.0.1"], ipxe: false }));
    const conf = t.files.find((f) => f.path === "dhcp/dnsmasq.conf")!.content!;
    expect(conf).toContain("dhcp-range=10.0.0.100,10.0.0.150,255.255.255.0,3600\n");
    expect(conf).toContain("dhcp-option=option:router,10.0.0.1\n");
    expect(conf).toContain("dhcp-boot=tag:efi-x86_64,shimx64.efi,,10.0.0.2\n");
    expect(conf).toContain("dhcp-boot=tag:!efi-x86_64,pxelinux.0,,10.0.0.2\n");
    expect(conf).not.toContain("boot.ipxe");
    expect(t.files.find((f) => f.path === "dhcp/hosts")!.content).toBe("52:54:00:aa:bb:01,10.0.0.51,web-01\n");
    // Boot loader files land at their targets.
    expect(t.files.map((f) => f.path)).toEqual(expect.arrayContaining(["tftp/grubx64.efi", "tftp/shimx64.efi", "tftp/pxelinux.0"]));
  });

  it("needs TFTP on port 69 and an IPv4 address: PXE firmware knows no other port, DHCP names the server by address", () => {
    const r = ServerSchema.safeParse({ ...server(), tftpPort: 6969, address: "pxe.example.org", dhcp: { mode: "proxy", interface: "eth0" } });
    expect(r.success).toBe(false);
    const messages = r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toContain("tftpPort: tftpPort 6969 with dhcp: PXE firmware loads its boot file over TFTP port 69 only");
    expect(messages).toContain('address: address "pxe.example.org" with dhcp: expected the child\'s IPv4 address on the segment (DHCP names the boot server by address)');
    expect(ServerSchema.safeParse({ ...server(), dhcp: { mode: "proxy", interface: "eth0; reboot" } }).success).toBe(false);
  });
});
