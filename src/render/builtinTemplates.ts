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

/** Menu template name → the template kind an override must have. */
export const MENU_TEMPLATES: Readonly<Record<string, TemplateKind>> = {
  [PXELINUX_MENU]: "pxe-menu",
  [GRUB_MENU]: "grub-menu",
  [IPXE_MENU]: "ipxe",
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
    body: `set timeout=20
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
];
