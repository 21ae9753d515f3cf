/**
 * Boot loaders: each file is a payload like a distribution's kernel and is placed under the TFTP
 * root at `as`, or at the root under its own file name (BIOS PXE clients look for `ldlinux.c32`
 * and the menu's modules next to `pxelinux.0`; shim looks for `grubx64.efi` next to itself). So
 * targets must be unique across loaders and clear of the paths the layout already uses there.
 */
import * as path from "node:path";
import { BOOT_LOADER_RESERVED_PATHS } from "../render/layout";
import { compareStrings } from "../util/canonical";
import { type PayloadFile, payloadKey } from "./checksums";
import type { CatalogIssue } from "./errors";
import type { Located } from "./load";
import { type BootLoader, NAME_PATTERN } from "./schema";

export interface BootLoaderFile extends PayloadFile {
  /** Path under the TFTP root: `as`, else the last segment of the payload's path or URL. */
  readonly fileName: string;
}

export type ResolvedBootLoader = Located<BootLoader> & {
  readonly placed: readonly BootLoaderFile[];
  /** What DHCP names to this loader's clients: `bootFile`, else the first file. */
  readonly bootFile: string;
  /** The firmware DHCP hands `bootFile` to, if any. */
  readonly firmware?: "bios" | "uefi";
};

const DEFAULT_FIRMWARE: Record<string, "bios" | "uefi" | undefined> = { "pxelinux-menu": "bios", "grub-menu": "uefi" };

/** Whether a target collides with a path the layout uses (equal, inside it, or holding it). */
const collides = (target: string, reserved: string) => target === reserved || target.startsWith(`${reserved}/`) || reserved.startsWith(`${target}/`);

const fileNameOf = (p: { path?: string; url?: string }) =>
  p.path !== undefined ? path.posix.basename(p.path) : path.posix.basename(new URL(p.url!).pathname);

export function resolveBootLoaders(loaders: readonly Located<BootLoader>[], payloads: Readonly<Record<string, PayloadFile>>, issues: CatalogIssue[]): Map<string, ResolvedBootLoader> {
  const out = new Map<string, ResolvedBootLoader>();
  const owner = new Map<string, string>();
  for (const b of [...loaders].sort((x, y) => compareStrings(x.name, y.name))) {
    const placed = b.files.map((f, i): BootLoaderFile => {
      const key = `files[${i}]`;
      const at = { file: b.origin.file, line: b.origin.keyLines[key] ?? b.origin.line, path: `${b.origin.path}.${key}`, severity: "error" as const };
      const fileName = f.as ?? fileNameOf(f);
      const clash = BOOT_LOADER_RESERVED_PATHS.find((r) => collides(fileName, r));
      const taken = [...owner.keys()].find((t) => collides(fileName, t));
      if (f.as === undefined && (!NAME_PATTERN.test(fileName) || fileName.includes(".."))) {
        issues.push({ ...at, message: `boot loader file name ${JSON.stringify(fileName)} cannot be placed at the TFTP root: expected letters, digits, '.', '_' or '-' (or set as: <path under the TFTP root>)` });
      } else if (clash !== undefined) {
        issues.push({ ...at, message: `boot loader file ${JSON.stringify(fileName)} would overlap ${clash}, which the child layout uses (${BOOT_LOADER_RESERVED_PATHS.join(", ")})` });
      } else if (taken !== undefined) {
        issues.push({ ...at, message: taken === fileName ? `boot loader file ${JSON.stringify(fileName)} is already placed by boot loader ${owner.get(taken)}` : `boot loader file ${JSON.stringify(fileName)} overlaps ${taken}, placed by boot loader ${owner.get(taken)}` });
      } else owner.set(fileName, b.name);
      return { ...payloads[payloadKey("bootLoader", b.name, key)]!, fileName };
    });
    const bootFile = b.bootFile ?? placed[0]!.fileName;
    if (!placed.some((p) => p.fileName === bootFile)) {
      issues.push({ file: b.origin.file, line: b.origin.keyLines["bootFile"] ?? b.origin.line, path: `${b.origin.path}.bootFile`, message: `bootFile ${JSON.stringify(bootFile)} is none of this boot loader's files (${placed.map((p) => p.fileName).join(", ")})`, severity: "error" });
    }
    const firmware = b.firmware ?? DEFAULT_FIRMWARE[b.menu];
    const rival = firmware === undefined ? undefined : [...out.values()].find((o) => o.firmware === firmware);
    if (rival) {
      issues.push({ file: b.origin.file, line: b.origin.keyLines["firmware"] ?? b.origin.line, path: `${b.origin.path}.firmware`, message: `boot loader ${rival.name} is already the ${firmware} one (DHCP hands each firmware one boot file): set firmware on one of them to the other firmware, or remove one`, severity: "error" });
    }
    out.set(b.name, { ...b, placed, bootFile, ...(firmware ? { firmware } : {}) });
  }
  return out;
}
