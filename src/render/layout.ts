/**
 * The child-server layout contract: where each rendered file lives under a child's root.
 * Components and tests import these instead of spelling paths.
 */
export const TFTP_DIR = "tftp";
export const HTTP_DIR = "http";
export const PXELINUX_MENU_PATH = "tftp/pxelinux.cfg/default";
export const GRUB_MENU_PATH = "tftp/grub/grub.cfg";
export const IPXE_MENU_PATH = "tftp/boot.ipxe";
export const MANIFEST_PATH = "manifest.json";

/** Path of an image relative to the TFTP root, as boot menus reference it. */
export const kernelTftpPath = (distribution: string) => `images/${distribution}/vmlinuz`;
export const initrdTftpPath = (distribution: string) => `images/${distribution}/initrd.img`;
export const kernelPath = (distribution: string) => `${TFTP_DIR}/${kernelTftpPath(distribution)}`;
export const initrdPath = (distribution: string) => `${TFTP_DIR}/${initrdTftpPath(distribution)}`;

/** A boot loader file sits under the TFTP root (by default at it, where `pxelinux.0` looks for its modules). */
export const bootLoaderPath = (fileName: string) => `${TFTP_DIR}/${fileName}`;

/** A MAC as PXELINUX spells it in file names: `01-` (Ethernet) then lower-case pairs with dashes. */
export const macFileName = (mac: string) => `01-${mac.toLowerCase().replace(/:/g, "-")}`;
/** Per host and MAC: the BIOS PXELINUX file, the UEFI GRUB entry, the iPXE entry (each found by the client's MAC). */
export const PXELINUX_HOST_DIR = `${TFTP_DIR}/pxelinux.cfg/01-`;
export const hostPxelinuxPath = (mac: string) => `${TFTP_DIR}/pxelinux.cfg/${macFileName(mac)}`;
/** The MAC of a host's PXELINUX entry path (`…/01-52-54-00-12-34-07` → `52:54:00:12:34:07`). */
export const macOfEntry = (entryPath: string) => entryPath.slice(entryPath.lastIndexOf("/01-") + 4).replace(/-/g, ":");
export const hostGrubPath = (mac: string) => `${TFTP_DIR}/grub/hosts/${macFileName(mac)}.cfg`;
export const hostIpxePath = (mac: string) => `${TFTP_DIR}/ipxe/hosts/${macFileName(mac)}.ipxe`;
/**
 * A host's install (build mode): its own autoinstall and config files, its arm record and the
 * local-disk variant of its per-MAC entries live under `hosts/<host>/`, outside the served roots.
 * The child's handler serves the files under the host's token URL while it is armed, and swaps the
 * local entries in when the installer reports (components/scripts/host-handler.sh).
 */
export const HOSTS_DIR = "hosts/";
export const hostDir = (host: string) => `${HOSTS_DIR}${host}`;
export const hostAutoinstallPath = (host: string) => `${hostDir(host)}/autoinstall.cfg`;
export const hostConfigFilePath = (host: string, configFile: string) => `${hostDir(host)}/files/${configFile}`;
/** `generation=<hex>` and `token_sha256=<hex>` lines: what the handler checks a token against. */
export const hostArmPath = (host: string) => `${hostDir(host)}/arm`;
/** The local-disk variant of a served entry (`tftp/…`), copied over it when the install is done. */
export const LOCAL_ENTRY_DIR = "local/";
export const hostLocalEntryPath = (host: string, servedPath: string) => `${hostDir(host)}/${LOCAL_ENTRY_DIR}${servedPath}`;
/** The host's life-cycle record, written by the child's handler only. */
export const STATE_HOSTS_DIR = "state/hosts/";
export const hostStatePath = (host: string) => `${STATE_HOSTS_DIR}${host}.json`;
/** URL paths of a host's files while armed, and of its report (`<report>/done`, `<report>/failed`). */
export const hostAutoinstallUrlPath = (host: string, token: string) => `hosts/${host}/${token}/autoinstall.cfg`;
export const hostConfigFileUrlPath = (host: string, token: string, configFile: string) => `hosts/${host}/${token}/files/${configFile}`;
export const hostReportUrlPath = (host: string) => `report/${host}`;

/** The child's DHCP configuration (dnsmasq) and its host reservations: outside tftp/ and http/, never served. */
export const DHCP_DIR = "dhcp/";
export const DHCP_CONFIG_PATH = `${DHCP_DIR}dnsmasq.conf`;
export const DHCP_HOSTS_PATH = `${DHCP_DIR}hosts`;

/** Paths under the TFTP root the layout already uses (menus, per-host entries, images). */
export const BOOT_LOADER_RESERVED_PATHS: readonly string[] = ["pxelinux.cfg", "grub/grub.cfg", "grub/hosts", "boot.ipxe", "ipxe", "images"];

/** Paths relative to the HTTP root, as URLs reference them. */
export const autoinstallHttpPath = (profile: string) => `autoinstall/${profile}.cfg`;
export const configFileHttpPath = (profile: string, configFile: string) => `files/${profile}/${configFile}`;
export const autoinstallPath = (profile: string) => `${HTTP_DIR}/${autoinstallHttpPath(profile)}`;
export const configFilePath = (profile: string, configFile: string) => `${HTTP_DIR}/${configFileHttpPath(profile, configFile)}`;

/** Menu template name → file it renders to. */
export const MENU_PATHS: Readonly<Record<string, string>> = {
  "pxelinux-menu": PXELINUX_MENU_PATH,
  "grub-menu": GRUB_MENU_PATH,
  "ipxe-menu": IPXE_MENU_PATH,
};

/** Mode of every placed file: children only serve them, so world-readable, never executable. */
export const DEFAULT_FILE_MODE = "0644";
