/**
 * Boot loaders: each file is a payload like a distribution's kernel and is placed at the TFTP
 * root under its own file name (BIOS PXE clients look for `ldlinux.c32` and the menu's modules
 * next to `pxelinux.0`). So file names must be safe, unique across loaders, and clear of the
 * names the layout already uses there.
 */
import * as path from "node:path";
import { BOOT_LOADER_RESERVED_NAMES } from "../render/layout";
import { compareStrings } from "../util/canonical";
import { type PayloadFile, payloadKey } from "./checksums";
import type { CatalogIssue } from "./errors";
import type { Located } from "./load";
import { type BootLoader, NAME_PATTERN } from "./schema";

export interface BootLoaderFile extends PayloadFile {
  /** File name at the TFTP root: the last segment of the payload's path or URL. */
  readonly fileName: string;
}

export type ResolvedBootLoader = Located<BootLoader> & { readonly placed: readonly BootLoaderFile[] };

const fileNameOf = (p: { path?: string; url?: string }) =>
  p.path !== undefined ? path.posix.basename(p.path) : path.posix.basename(new URL(p.url!).pathname);

export function resolveBootLoaders(loaders: readonly Located<BootLoader>[], payloads: Readonly<Record<string, PayloadFile>>, issues: CatalogIssue[]): Map<string, ResolvedBootLoader> {
  const out = new Map<string, ResolvedBootLoader>();
  const owner = new Map<string, string>();
  for (const b of [...loaders].sort((x, y) => compareStrings(x.name, y.name))) {
    const placed = b.files.map((f, i): BootLoaderFile => {
      const key = `files[${i}]`;
      const at = { file: b.origin.file, line: b.origin.keyLines[key] ?? b.origin.line, path: `${b.origin.path}.${key}`, severity: "error" as const };
      const fileName = fileNameOf(f);
      if (!NAME_PATTERN.test(fileName) || fileName.includes("..")) {
        issues.push({ ...at, message: `boot loader file name ${JSON.stringify(fileName)} cannot be placed at the TFTP root: expected letters, digits, '.', '_' or '-'` });
      } else if (BOOT_LOADER_RESERVED_NAMES.includes(fileName)) {
        issues.push({ ...at, message: `boot loader file name ${JSON.stringify(fileName)} is used by the child layout (${BOOT_LOADER_RESERVED_NAMES.join(", ")})` });
      } else if (owner.has(fileName)) {
        issues.push({ ...at, message: `boot loader file name ${JSON.stringify(fileName)} is already placed by boot loader ${owner.get(fileName)}` });
      } else owner.set(fileName, b.name);
      return { ...payloads[payloadKey("bootLoader", b.name, key)]!, fileName };
    });
    out.set(b.name, { ...b, placed });
  }
  return out;
}
