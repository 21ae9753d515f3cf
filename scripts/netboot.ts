// The netboot catalog (stacks/catalogs/netboot) ships files that Debian packages install on the
// central machine, outside the catalog's folder: a stack that uses it allows these folders as
// payload roots (`provisioning:payloadRoots`). The boot demo and the tests use this list.
export const NETBOOT_PAYLOAD_ROOTS = ["/usr/lib/debian-installer/images", "/usr/lib/PXELINUX", "/usr/lib/syslinux/modules/bios", "/usr/lib/shim", "/usr/lib/grub/x86_64-efi-signed"];
