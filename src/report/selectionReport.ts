/** Readable form of a server's selection and files. */
import type { ServerTree } from "../render/render";
import { secretMarker } from "../render/secretTokens";
import { visibleText } from "../util/visibleText";
import { textTable } from "./table";

/**
 * The `select --json` contract: `{server, objects:[{kind,name,reason}], files:[{path,sha256}]}`.
 * A file that prints secrets has the sha256 of its text with the secrets left out (their tokens), as the state compares it.
 */
export function selectionJson(tree: ServerTree) {
  return {
    server: tree.server,
    objects: tree.selection.objects.map((o) => ({ kind: o.kind, name: o.name, reason: o.reason })),
    files: tree.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
  };
}

/** The selection for a terminal: every cell and warning visible text, one line each. */
export function selectionText(tree: ServerTree): string {
  const v = (s: string) => visibleText(s);
  const objects = textTable(["kind", "name", "reason"], tree.selection.objects.map((o) => [o.kind, o.name, o.reason].map(v)));
  const files = textTable(
    ["path", "size", "sha256", ""],
    tree.files.map((f) => [f.path, f.size === null ? "?" : String(f.size), f.sha256.slice(0, 12), f.secrets.length ? `prints ${f.secrets.map(secretMarker).join(", ")}` : ""].map(v)),
  );
  const warnings = tree.selection.warnings.map((w) => `warning: ${v(w)}`);
  return `${[`server ${v(tree.server)}: ${tree.selection.profiles.length} profiles, ${tree.selection.objects.length} objects, ${tree.files.length} files`, "", objects, "", files, ...(warnings.length ? ["", ...warnings] : [])].join("\n")}\n`;
}
