/**
 * The child's DHCP for PXE clients, as dnsmasq configuration: two rendered files like any other
 * (diffed by the engine, listed in the manifest, shown in a plan). `dhcp/dnsmasq.conf` holds the
 * mode and the boot file per client firmware; `dhcp/hosts` the reservations of the hosts the
 * child holds (server mode), which dnsmasq re-reads on SIGHUP without dropping a lease.
 *
 * Boot files: a BIOS PXE client gets the boot file of the loader of the PXELINUX menu, an x86-64
 * UEFI client (architecture 7 or 9) that of the GRUB menu's loader (shim, for Secure Boot), and an
 * iPXE client (option 175), when `ipxe` is on, the child's `boot.ipxe` over TFTP.
 */
import { netmask } from "../catalog/dhcpSegment";
import type { ResolvedHost } from "../catalog/hosts";
import type { Dhcp, Server } from "../catalog/schema";

export interface DhcpBootFiles {
  /** Under the TFTP root. */
  readonly bios?: string;
  readonly uefi?: string;
}

const IPXE_TAG = "ipxe";
const UEFI_TAG = "efi-x86_64";

export function dnsmasqConfig(server: Server, dhcp: Dhcp, boot: DhcpBootFiles): string {
  const address = server.address;
  const ipxeScript = `tftp://${address}/boot.ipxe`;
  const lines = [
    `# DHCP for PXE clients of ${server.name} (site ${server.site}), mode ${dhcp.mode}: rendered from the catalog, do not edit.`,
    "port=0",
    `interface=${dhcp.interface}`,
    "bind-interfaces",
    "log-dhcp",
    "dhcp-no-override",
    `dhcp-match=set:${IPXE_TAG},175`,
    `dhcp-match=set:${UEFI_TAG},option:client-arch,7`,
    `dhcp-match=set:${UEFI_TAG},option:client-arch,9`,
  ];
  const notIpxe = dhcp.ipxe ? `tag:!${IPXE_TAG},` : "";
  if (dhcp.mode === "proxy") {
    // Addresses stay with the site's DHCP server; this answers PXE clients only.
    lines.push(`dhcp-range=${address},proxy`);
    if (boot.bios) lines.push(`pxe-service=${notIpxe}x86PC,"Network boot (BIOS)",${boot.bios},${address}`);
    if (boot.uefi) lines.push(`pxe-service=${notIpxe}X86-64_EFI,"Network boot (UEFI)",${boot.uefi},${address}`);
    if (boot.uefi) lines.push(`pxe-service=${notIpxe}BC_EFI,"Network boot (UEFI)",${boot.uefi},${address}`);
    if (dhcp.ipxe) lines.push(`pxe-service=tag:${IPXE_TAG},x86PC,"iPXE",${ipxeScript}`, `pxe-service=tag:${IPXE_TAG},X86-64_EFI,"iPXE",${ipxeScript}`);
  } else {
    // The netmask the catalog was checked against (dhcpSegment.ts), not one dnsmasq reads off the interface.
    lines.push(`dhcp-range=${dhcp.range.start},${dhcp.range.end},${netmask(dhcp.prefix)},${dhcp.leaseSeconds}`, "dhcp-authoritative");
    if (dhcp.router) lines.push(`dhcp-option=option:router,${dhcp.router}`);
    if (dhcp.dns?.length) lines.push(`dhcp-option=option:dns-server,${dhcp.dns.join(",")}`);
    if (dhcp.ipxe) lines.push(`dhcp-boot=tag:${IPXE_TAG},${ipxeScript}`);
    if (boot.uefi) lines.push(`dhcp-boot=${notIpxe}tag:${UEFI_TAG},${boot.uefi},,${address}`);
    if (boot.bios) lines.push(`dhcp-boot=${notIpxe}tag:!${UEFI_TAG},${boot.bios},,${address}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Reservations, one `mac,ip,name` line per interface with an address (server mode; empty in proxy mode). */
export function dnsmasqHosts(dhcp: Dhcp, hosts: readonly ResolvedHost[]): string {
  if (dhcp.mode !== "server") return "";
  const lines = hosts.flatMap((h) => h.interfaces.filter((i) => i.ip !== undefined).map((i) => `${i.mac},${i.ip},${h.name}`));
  return lines.length ? `${lines.join("\n")}\n` : "";
}
