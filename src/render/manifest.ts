/**
 * The child's `manifest.json` (layout contract): what the server holds, written by the provider
 * after every other file, so it always describes files that are really there. Each file with the
 * sha256 of the bytes on the child (secrets included), its size and mode; the server's name and
 * the child's identity, which tell a root that holds another server's files, and the same child
 * reached under another name, from a new one.
 */
import { z } from "zod";
import { compareStrings } from "../util/canonical";
import { MANIFEST_PATH } from "./layout";

export const ManifestSchema = z.object({
  server: z.string(),
  /** Random identity of this child's tree, kept across updates. */
  child: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: z.string(), size: z.number(), mode: z.string() })),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export function manifestText(m: Manifest): string {
  const files = [...m.files].sort((a, b) => compareStrings(a.path, b.path)).map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, mode: f.mode }));
  return `${JSON.stringify({ server: m.server, child: m.child, files }, null, 2)}\n`;
}

/** A manifest read from a child; undefined when it is not one (hand-edited, truncated). */
export function parseManifest(text: string): Manifest | undefined {
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export { MANIFEST_PATH };
