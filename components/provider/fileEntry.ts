// One file as the file providers receive it: the hash and mode of its bytes, the catalog object
// it comes from, and the bytes themselves (rendered text, or a payload copied from the central
// machine). Shared by the files resource of a server and by a file that is a resource of its own.
import type { Transport } from "../transports/transport";

export interface FileEntry {
  sha256: string;
  mode: string;
  originKind: string;
  originName: string;
  /** Rendered text; absent for payloads copied from `sourcePath`. Never echoed into outputs. */
  content?: string;
  sourcePath?: string;
}

/** Writes one file atomically through the transport (the child verifies its sha256). */
export async function placeEntry(transport: Transport, server: string, path: string, f: FileEntry): Promise<void> {
  if (f.content !== undefined) await transport.writeFile(path, Buffer.from(f.content, "utf8"), f.sha256, f.mode);
  else if (f.sourcePath) await transport.copyFile(path, f.sourcePath, f.sha256, f.mode);
  else throw new Error(`${server}/${path}: neither content nor sourcePath given`);
}
