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

/** A boot loader file sits at the TFTP root, where `pxelinux.0` looks for its modules. */
export const bootLoaderPath = (fileName: string) => `${TFTP_DIR}/${fileName}`;
/** Names at the TFTP root the layout already uses (menus, images). */
export const BOOT_LOADER_RESERVED_NAMES: readonly string[] = ["pxelinux.cfg", "grub", "boot.ipxe", "images"];

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
