/**
 * What `provision status` says of one child, from the one run of the child's status script
 * (components/scripts/child-status.sh). Everything in it is the child's word, so untrusted: each
 * line is checked against its shape, sizes are capped, and what does not fit is "unreadable".
 */
import { MANIFEST_PATH, parseManifest } from "../render/manifest";
import { type HostStatus, MAX_HOST_RECORD_BYTES, armGeneration, hostStatus, localVariants, parseHostRecord, sourceOf, switched } from "./hostLifeCycle";

export interface FilesStatus {
  readonly state: "match" | "differ" | "no manifest" | "unreadable manifest";
  /** Files the manifest lists: how many, and those that differ (absent or other bytes), the first few. */
  readonly listed: number;
  readonly differ: number;
  readonly examples: readonly string[];
}

export type ChildStatus =
  | { readonly server: string; readonly reachable: true; readonly daemons: string; readonly files: FilesStatus; readonly hosts: readonly HostStatus[] }
  | { readonly server: string; readonly reachable: false; readonly error: string };

const SHOWN_DIFFERENCES = 5;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Decoded text of a line's base64 field; over `max` bytes it is cut (the reader then finds it too large or unreadable). */
function fromBase64(v: string | undefined, max = Infinity): string | undefined {
  if (v === undefined || v === "-" || !/^[A-Za-z0-9+/=]*$/.test(v)) return undefined;
  if (v.length > (max / 3) * 4 + 4) v = v.slice(0, Math.ceil(max / 3) * 4 + 4);
  return Buffer.from(v, "base64").toString("utf8");
}

/**
 * The child's status from its script's output; `hosts` are the catalog's hosts it holds (with
 * what the catalog asks of each), in the order to show them.
 */
export function childStatus(server: string, output: string, hosts: readonly { readonly name: string; readonly netboot: boolean; readonly generation: string }[]): ChildStatus {
  const lines = output.split("\n");
  if (lines[0] === "noroot") return { server, reachable: false, error: "its root does not exist" };
  if (!lines.includes("end")) return { server, reachable: false, error: "its status script did not finish" };
  let daemons = "unknown";
  let manifestB64: string | undefined;
  const sums = new Map<string, string>();
  const arms = new Map<string, string>();
  const records = new Map<string, string>();
  for (const line of lines) {
    const [kind, ...rest] = line.split(" ");
    if (kind === "daemons") daemons = /^(serving|stopped:( (nginx|tftpd|handler|dnsmasq))+)$/.test(rest.join(" ")) ? rest.join(" ") : "unreadable";
    else if (kind === "manifest") manifestB64 = rest[0];
    else if ((kind === "arm" || kind === "record") && rest.length === 2 && NAME.test(rest[0]!)) {
      const text = fromBase64(rest[1], MAX_HOST_RECORD_BYTES + 1);
      if (text !== undefined) (kind === "arm" ? arms : records).set(rest[0]!, text);
    } else {
      // sha256sum's line; a name with a backslash or newline is escaped by it (and listed by no manifest).
      const m = /^([0-9a-f]{64}) {2}([^\\].*)$/.exec(line);
      if (m) sums.set(m[2]!, m[1]!);
    }
  }
  const manifestText = fromBase64(manifestB64);
  const manifest = manifestText === undefined ? undefined : parseManifest(manifestText);
  let files: FilesStatus;
  if (manifestText === undefined) files = { state: "no manifest", listed: 0, differ: 0, examples: [] };
  else if (manifest === undefined) files = { state: "unreadable manifest", listed: 0, differ: 0, examples: [] };
  else {
    // A host whose install reported serves its local-disk entries: those are its entries' bytes.
    const listed = new Map(manifest.files.map((f) => [f.path, f.sha256]));
    const variants = localVariants(listed.keys());
    const hostsSwitched = new Set([...new Set([...variants.values()].map((v) => v.host))].filter((h) => switched(armGeneration(arms.get(h)), parseHostRecord(records.get(h)))));
    const differing = manifest.files.filter((f) => f.path !== MANIFEST_PATH && sums.get(f.path) !== listed.get(sourceOf(f.path, variants, hostsSwitched))).map((f) => `${f.path} (${sums.has(f.path) ? "changed" : "absent"})`);
    files = { state: differing.length ? "differ" : "match", listed: manifest.files.length, differ: differing.length, examples: differing.slice(0, SHOWN_DIFFERENCES) };
  }
  return { server, reachable: true, daemons, files, hosts: hosts.map((h) => hostStatus(h, arms.get(h.name), records.get(h.name))) };
}
