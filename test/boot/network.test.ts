// Machines, not menus, on a real network segment: a bridge in a network namespace with tap
// devices for qemu guests (no qemu user networking, no qemu TFTP), one child whose daemons —
// dnsmasq for DHCP, in.tftpd on port 69, nginx on port 80 — run on that segment, brought up over
// SSH by the real engine. Hosts are declared by MAC in the catalog; each guest boots without a
// keystroke into its host's entry, and the Debian installer fetches that host's own preseed.
//   1. proxy mode: a plain DHCP server of the site gives addresses; the child answers PXE only.
//      A BIOS guest (qemu's iPXE ROM) and a UEFI guest (OVMF, chaining iPXE's snponly.efi) reach
//      their host entries through boot.ipxe and install.
//   2. netboot off: iPXE clients now get the firmware's loader (ipxe: false), so BIOS guests run
//      PXELINUX; the plan names exactly the host's entries; after the update that host boots its
//      local disk, while another host still installs.
//   3. server mode: the child is the only DHCP server; a Secure Boot guest (OVMF with Microsoft's
//      keys) gets its reserved address and boots the signed chain shim → GRUB → kernel into its
//      host's install; a new reservation is re-read by dnsmasq, not restarted.
// Boots run under TCG (2 cores) and stop at the installer's GET of its preseed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NETBOOT_PAYLOAD_ROOTS } from "../../scripts/netboot";
import type { ServerInput } from "../../src";
import { createFleet, type Fleet } from "../support/fleet";
import { accessLines, createSegment, type Segment } from "../support/netns";
import { repoRoot } from "../support/pulumi";
import { provisionOk } from "../support/provisionCli";
import { type PxeVm, startPxeVm, waitFor } from "../support/qemu";

const NETBOOT_CATALOG = path.join(repoRoot, "stacks", "catalogs", "netboot");
const SERVER = "lab-pxe";
const PROFILE = "debian12-serial";
/** Power-on to the preseed GET: about 2 minutes per guest on 2 idle cores, more with two at once. */
const BOOT_LIMIT_MS = 9 * 60_000;

const HOSTS = {
  bios: { name: "bios-01", mac: "52:54:00:5e:00:01" },
  uefi: { name: "uefi-01", mac: "52:54:00:5e:00:02" },
  other: { name: "bios-02", mac: "52:54:00:5e:00:03" },
  secure: { name: "secure-01", mac: "52:54:00:5e:00:04", ip: 77 },
  spare: { name: "spare-01", mac: "52:54:00:5e:00:05", ip: 78 },
} as const;

/** BIOS clients: PXELINUX. UEFI clients: iPXE's snponly.efi (proxy mode), or shim and GRUB (Secure Boot). */
const PXELINUX = {
  name: "pxelinux-bios",
  menu: "pxelinux-menu",
  files: ["/usr/lib/PXELINUX/pxelinux.0", ...["ldlinux", "menu", "libutil", "libcom32"].map((m) => `/usr/lib/syslinux/modules/bios/${m}.c32`)].map((p) => ({ path: p })),
};
const IPXE_EFI = { name: "ipxe-efi", menu: "ipxe-menu", firmware: "uefi", files: [{ path: "/usr/lib/ipxe/snponly.efi" }] };
const SHIM_GRUB = {
  name: "uefi-shim-grub",
  menu: "grub-menu",
  files: [
    { path: "/usr/lib/shim/shimx64.efi.signed", as: "shimx64.efi" },
    { path: "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed", as: "grubx64.efi" },
  ],
  bootFile: "shimx64.efi",
};

describe("unattended installs on a real network segment", () => {
  let seg: Segment;
  let fleet: Fleet;
  let work: string;
  let root: string;
  let accessLog: string;
  const vms: PxeVm[] = [];
  const hosts: Record<string, unknown>[] = [];
  const seconds = (t0: number) => Math.round((Date.now() - t0) / 1000);
  const writeHosts = () => fs.writeFileSync(path.join(fleet.catalogDir, "hosts.yaml"), stringify({ hosts }));
  const writeLoaders = (...bootLoaders: object[]) => fs.writeFileSync(path.join(fleet.catalogDir, "bootloaders.yaml"), stringify({ bootLoaders }));
  const up = async () => {
    await fleet.project.up();
  };
  const hostEntry = (h: { name: string; mac: string; ip?: number }, over: Record<string, unknown> = {}) => ({
    name: h.name,
    interfaces: [{ mac: h.mac.toUpperCase(), ...(h.ip !== undefined ? { ip: `${seg.prefix}.${h.ip}` } : {}) }],
    profile: PROFILE,
    server: SERVER,
    ...over,
  });
  const serverEntry = (dhcp: NonNullable<ServerInput["dhcp"]>) => [
    { name: SERVER, site: "lab", arch: ["x86_64"], profiles: [PROFILE], address: seg.childAddress, tftpPort: 69, httpPort: 80, dhcp },
  ];

  /** Boots a guest until `done` says so (or the limit passes); always stops it. */
  async function boot<T>(name: string, opts: { mac: string; firmware: "bios" | "uefi" | "secureboot" }, done: (vm: PxeVm) => T | undefined): Promise<{ result: T; serial: string; seconds: number }> {
    const t0 = Date.now();
    const vm = startPxeVm({ tap: { netns: seg.netns, device: seg.addTap(), mac: opts.mac }, firmware: opts.firmware, workDir: work, name, memoryMb: 1024 });
    vms.push(vm);
    try {
      const result = await waitFor(() => done(vm), { timeoutMs: BOOT_LIMIT_MS, intervalMs: 2000, what: `${name}`, describe: () => vm.serialTail(40) });
      return { result, serial: vm.serialText(), seconds: seconds(t0) };
    } finally {
      await vm.stop();
    }
  }

  /** The installer's GET of a host's own preseed, after `offset` in the access log. */
  // Its URL holds the host's token, which the access log shows as [token].
  const preseedFetch = (host: string, offset: number) => () => accessLines(accessLog, `/hosts/${host}/[token]/autoinstall.cfg`, offset)[0];
  const served = (host: string) => fs.readFileSync(path.join(root, "hosts", host, "autoinstall.cfg"), "utf8");

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-net-"));
    seg = createSegment();
    // The site's own DHCP server: addresses only, no boot information.
    const site = seg.addPeer(`${seg.prefix}.3`);
    seg.spawnIn(site, "dnsmasq", ["--keep-in-foreground", "--port=0", "--interface=eth0", "--bind-interfaces", `--dhcp-range=${seg.prefix}.100,${seg.prefix}.149,10m`, `--dhcp-option=option:dns-server,${seg.prefix}.3`, `--dhcp-leasefile=${path.join(work, "site.leases")}`, "--log-dhcp", `--log-facility=${path.join(work, "site-dhcp.log")}`], path.join(work, "site-dhcp.out"));
    fleet = await createFleet({
      transport: "ssh",
      sshIn: { netns: seg.netns, address: seg.sshAddress },
      catalog: NETBOOT_CATALOG,
      payloadRoots: [...NETBOOT_PAYLOAD_ROOTS, "/usr/lib/ipxe"],
      servers: serverEntry({ mode: "proxy", interface: seg.bridge, ipxe: true }),
    });
    hosts.push(hostEntry(HOSTS.bios), hostEntry(HOSTS.uefi), hostEntry(HOSTS.other));
    writeHosts();
    writeLoaders(PXELINUX, IPXE_EFI);
    root = fleet.roots[SERVER]!;
    accessLog = path.join(root, "log", "http-access.log");
    await fleet.project.up();
  });

  afterAll(async () => {
    for (const vm of vms) await vm.stop();
    await fleet?.dispose();
    seg?.dispose();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("proxy mode: a BIOS and a UEFI guest reach their host entries through boot.ipxe and install, addresses from the site's DHCP", async () => {
    const conf = fs.readFileSync(path.join(root, "dhcp", "dnsmasq.conf"), "utf8");
    expect(conf).toContain(`dhcp-range=${seg.childAddress},proxy`);
    const [bios, uefi] = await Promise.all([
      boot("bios", { mac: HOSTS.bios.mac, firmware: "bios" }, preseedFetch(HOSTS.bios.name, 0)),
      boot("uefi", { mac: HOSTS.uefi.mac, firmware: "uefi" }, preseedFetch(HOSTS.uefi.name, 0)),
    ]);
    console.info(`network: proxy mode, power-on to preseed GET: BIOS ${bios.seconds} s, UEFI ${uefi.seconds} s (in parallel)`);
    for (const [host, fetch] of [[HOSTS.bios.name, bios.result], [HOSTS.uefi.name, uefi.result]] as const) {
      expect(fetch.status).toBe(200);
      expect(fetch.bytes).toBe(Buffer.byteLength(served(host)));
      expect(served(host)).toContain(`d-i netcfg/get_hostname string ${host}`);
      // What it fetched reports the install's end to the child, with its token, in a POST body.
      expect(served(host)).toMatch(new RegExp(`^d-i preseed/late_command string wget -q -O /dev/null --post-data "token=[A-Za-z0-9_-]{43}" http://${seg.childAddress.replace(/\./g, "\\.")}:80/report/${host}/done`, "m"));
      // The address came from the site's DHCP range, not from the child.
      const last = Number(fetch.client.split(".")[3]);
      expect(fetch.client.startsWith(`${seg.prefix}.`) && last >= 100 && last <= 149, fetch.client).toBe(true);
    }
    // Both ran iPXE, which found the host's own entry by MAC.
    expect(bios.serial).toContain("01-52-54-00-5e-00-01.ipxe");
    expect(uefi.serial).toMatch(/iPXE/);
    expect(uefi.serial).toContain("01-52-54-00-5e-00-02.ipxe");
  }, BOOT_LIMIT_MS + 5 * 60_000);

  it("netboot off: the plan names that host's entries only; it boots its disk through PXELINUX, while another host still installs", async () => {
    fleet.writeServers([{ ...fleet.servers[0]!, dhcp: { mode: "proxy", interface: seg.bridge, ipxe: false } }]);
    await up();
    hosts[0] = hostEntry(HOSTS.bios, { netboot: false });
    writeHosts();
    const plan = JSON.parse((await provisionOk(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, "--json"])).stdout) as {
      touched: string[];
      servers: Record<string, { objects: { kind: string; name: string; op: string }[]; files: { path: string; op: string }[] }>;
    };
    expect(plan.touched).toEqual([SERVER]);
    expect(plan.servers[SERVER]!.objects).toEqual([{ kind: "host", name: HOSTS.bios.name, op: "update" }]);
    // Never armed now: its own files, arm record and local entries leave the child.
    const own = ["arm", "autoinstall.cfg", "local/tftp/grub/hosts/01-52-54-00-5e-00-01.cfg", "local/tftp/ipxe/hosts/01-52-54-00-5e-00-01.ipxe", "local/tftp/pxelinux.cfg/01-52-54-00-5e-00-01"].map((f) => `hosts/${HOSTS.bios.name}/${f} delete`);
    expect(plan.servers[SERVER]!.files.map((f) => `${f.path} ${f.op}`)).toEqual([...own, ...["manifest.json", "tftp/grub/hosts/01-52-54-00-5e-00-01.cfg", "tftp/ipxe/hosts/01-52-54-00-5e-00-01.ipxe", "tftp/pxelinux.cfg/01-52-54-00-5e-00-01"].map((p) => `${p} update`)]);
    await up();

    const offset = fs.statSync(accessLog).size;
    const [local, other] = await Promise.all([
      boot("bios-local", { mac: HOSTS.bios.mac, firmware: "bios" }, (vm) => (vm.serialText().includes("Host bios-01: booting from its local disk") ? true : undefined)),
      boot("bios-other", { mac: HOSTS.other.mac, firmware: "bios" }, preseedFetch(HOSTS.other.name, offset)),
    ]);
    console.info(`network: netboot off, BIOS to local boot ${local.seconds} s; the other host to preseed GET ${other.seconds} s (in parallel)`);
    expect(accessLines(accessLog, `/hosts/${HOSTS.bios.name}/[token]/autoinstall.cfg`, offset)).toEqual([]);
    expect(other.result.status).toBe(200);
    expect(other.serial).toContain("Host bios-02: installing profile debian12-serial");
  }, BOOT_LIMIT_MS + 5 * 60_000);

  it("server mode: the child is the DHCP server; a Secure Boot guest gets its reserved address and installs through shim and GRUB", async () => {
    hosts.push(hostEntry(HOSTS.secure));
    writeHosts();
    writeLoaders(PXELINUX, SHIM_GRUB);
    fleet.writeServers([{ ...fleet.servers[0]!, dhcp: { mode: "server", interface: seg.bridge, range: { start: `${seg.prefix}.50`, end: `${seg.prefix}.60` }, dns: [seg.childAddress] } }]);
    // The site's DHCP server leaves: the child is the only one on the segment.
    seg.stopPeers();
    await up();
    expect(fs.readFileSync(path.join(root, "dhcp", "hosts"), "utf8")).toBe(`${HOSTS.secure.mac},${seg.prefix}.${HOSTS.secure.ip},${HOSTS.secure.name}\n`);
    const pid = fs.readFileSync(path.join(root, "run", "dnsmasq.pid"), "utf8").trim();

    // A new reservation alone: dnsmasq re-reads it (SIGHUP); the same process keeps its leases.
    hosts.push(hostEntry(HOSTS.spare));
    writeHosts();
    await up();
    expect(fs.readFileSync(path.join(root, "dhcp", "hosts"), "utf8")).toContain(`${HOSTS.spare.mac},${seg.prefix}.${HOSTS.spare.ip},${HOSTS.spare.name}\n`);
    expect(fs.readFileSync(path.join(root, "run", "dnsmasq.pid"), "utf8").trim()).toBe(pid);

    const offset = fs.statSync(accessLog).size;
    const secure = await boot("secure", { mac: HOSTS.secure.mac, firmware: "secureboot" }, preseedFetch(HOSTS.secure.name, offset));
    console.info(`network: server mode, Secure Boot to preseed GET ${secure.seconds} s`);
    expect(secure.result.status).toBe(200);
    expect(secure.result.client).toBe(`${seg.prefix}.${HOSTS.secure.ip}`);
    expect(served(HOSTS.secure.name)).toContain(`d-i netcfg/get_hostname string ${HOSTS.secure.name}`);
    // The firmware enforced Secure Boot on the way: shim, then GRUB, then the signed kernel.
    expect(secure.serial).toContain("shimx64.efi");
    expect(secure.serial).toMatch(/Secure boot enabled/i);
  }, BOOT_LIMIT_MS + 5 * 60_000);
});
