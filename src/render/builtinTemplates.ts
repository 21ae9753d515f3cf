/**
 * Default boot menus; a catalog template with the same name replaces one. They see the menu
 * context (`server`, `entries`) described in context.ts.
 */
import type { TemplateKind } from "../catalog/schema";

export interface BuiltinTemplate {
  readonly name: string;
  readonly kind: TemplateKind;
  readonly body: string;
}

export const PXELINUX_MENU = "pxelinux-menu";
export const GRUB_MENU = "grub-menu";
export const IPXE_MENU = "ipxe-menu";
/** A host's own boot entry, per firmware: found by the client's MAC, it boots the host's profile (or its disk). */
export const PXELINUX_HOST = "pxelinux-host";
export const GRUB_HOST = "grub-host";
export const IPXE_HOST = "ipxe-host";

/** Menu template name → the template kind an override must have. */
export const MENU_TEMPLATES: Readonly<Record<string, TemplateKind>> = {
  [PXELINUX_MENU]: "pxe-menu",
  [GRUB_MENU]: "grub-menu",
  [IPXE_MENU]: "ipxe",
};

/** Host entry template name → the template kind an override must have. */
export const HOST_TEMPLATES: Readonly<Record<string, TemplateKind>> = {
  [PXELINUX_HOST]: "pxe-menu",
  [GRUB_HOST]: "grub-menu",
  [IPXE_HOST]: "ipxe",
};

export const BUILTIN_TEMPLATES: readonly BuiltinTemplate[] = [
  {
    name: PXELINUX_MENU,
    kind: "pxe-menu",
    body: `UI menu.c32
PROMPT 0
TIMEOUT 200
ONTIMEOUT local
MENU TITLE {{ server.name }} ({{ server.site }})

LABEL local
  MENU LABEL Boot from local disk
  MENU DEFAULT
  LOCALBOOT 0
{% for e in entries %}

LABEL {{ e.profile }}
  MENU LABEL {{ e.profile }} ({{ e.distribution.name }})
  KERNEL {{ e.distribution.kernelPath }}
  INITRD {{ e.distribution.initrdPath }}
  APPEND {{ e.kernelArgs }}
{% endfor %}
`,
  },
  {
    name: GRUB_MENU,
    kind: "grub-menu",
    body: `{% for h in hosts %}{% for mac in h.macs %}# Host {{ h.name }}: its own entry, by the MAC GRUB booted from.
if [ "$net_default_mac" = "{{ mac }}" ]; then configfile "$prefix/{{ h.entries[loop.index0] }}"; fi
{% endfor %}{% endfor %}set timeout=20
set default=local

menuentry 'Boot from local disk' --id local {
  exit
}
{% for e in entries %}

menuentry '{{ e.profile }} ({{ e.distribution.name }})' --id {{ e.profile }} {
  linux /{{ e.distribution.kernelPath }} {{ e.kernelArgs }}
  initrd /{{ e.distribution.initrdPath }}
}
{% endfor %}
`,
  },
  {
    name: IPXE_MENU,
    kind: "ipxe",
    body: `#!ipxe
set tftp tftp://{{ server.address }}:{{ server.tftpPort }}
# A host's own entry first, found by this client's MAC (ipxe/hosts/01-aa-bb-….ipxe).
chain --replace --autofree \${tftp}/ipxe/hosts/01-\${mac:hexhyp}.ipxe ||
menu {{ server.name }} ({{ server.site }})
item local Boot from local disk
{% for e in entries %}
item {{ e.profile }} {{ e.profile }} ({{ e.distribution.name }})
{% endfor %}
choose --default local --timeout 20000 target && goto \${target}

:local
exit
{% for e in entries %}

:{{ e.profile }}
kernel \${tftp}/{{ e.distribution.kernelPath }} initrd=initrd.img {{ e.kernelArgs }}
initrd \${tftp}/{{ e.distribution.initrdPath }}
boot
{% endfor %}
`,
  },
  {
    name: PXELINUX_HOST,
    kind: "pxe-menu",
    body: `# Host {{ host.name }}: {{ "installs profile " + entry.profile if host.netboot else "boots from its local disk" }}
DEFAULT {{ "install" if host.netboot else "local" }}
PROMPT 0
TIMEOUT 1
{% if host.netboot %}
LABEL install
  KERNEL {{ entry.distribution.kernelPath }}
  INITRD {{ entry.distribution.initrdPath }}
  APPEND {{ entry.kernelArgs }}
{% else %}
LABEL local
  LOCALBOOT 0
{% endif %}`,
  },
  {
    name: GRUB_HOST,
    kind: "grub-menu",
    body: `# Host {{ host.name }}: {{ "installs profile " + entry.profile if host.netboot else "boots from its local disk" }}
set timeout=0
{% if host.netboot %}
menuentry 'Install {{ host.name }} ({{ entry.profile }})' {
  linux /{{ entry.distribution.kernelPath }} {{ entry.kernelArgs }}
  initrd /{{ entry.distribution.initrdPath }}
}
{% else %}
menuentry 'Boot {{ host.name }} from its local disk' {
  exit
}
{% endif %}`,
  },
  {
    name: IPXE_HOST,
    kind: "ipxe",
    body: `#!ipxe
# Host {{ host.name }}: {{ "installs profile " + entry.profile if host.netboot else "boots from its local disk" }}
{% if host.netboot %}
set tftp tftp://{{ server.address }}:{{ server.tftpPort }}
kernel \${tftp}/{{ entry.distribution.kernelPath }} initrd=initrd.img {{ entry.kernelArgs }}
initrd \${tftp}/{{ entry.distribution.initrdPath }}
boot
{% else %}
exit
{% endif %}`,
  },
];
