/**
 * What one server's entries in a state file are made of, in bytes of the compact JSON the file
 * backend writes: the figures behind "state per server". Pure: the parsed state file in.
 */
export interface StatePart {
  readonly part: string;
  readonly bytes: number;
}

type Entry = Record<string, unknown> & { urn: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };

const size = (v: unknown) => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v)));
// A key of an object as written: `"key":` and the comma after the value.
const keyed = (k: string, v: unknown) => (v === undefined ? 0 : size(k) + 2 + size(v));

/** Which part a field of a resource entry, or of its inputs and outputs, belongs to. */
const PARTS: readonly [part: string, test: (field: string, where: "entry" | "inputs" | "outputs") => boolean][] = [
  ["files (content key per path, by directory)", (f, w) => w === "inputs" && f === "files"],
  ["object list (its content key) and digests", (f, w) => w !== "entry" && ["objects", "digest", "objectsDigest", "manifestSha256"].includes(f)],
  ["daemons' settings and connection (in and out)", (f, w) => w !== "entry" && ["serve", "transport", "server", "child", "serving", "credentials", "secrets", "secretVersions"].includes(f)],
  ["provider module reference (in and out)", (f, w) => w !== "entry" && f === "__provider"],
  ["URNs, parent, provider and dependency references", (f, w) => w === "entry" && ["urn", "parent", "provider", "dependencies", "propertyDependencies", "id", "type", "custom"].includes(f)],
  ["call stacks recorded by the SDK", (f, w) => w === "entry" && ["sourcePosition", "stackTrace"].includes(f)],
  ["timestamps and the rest", () => true],
];

/** The parts of the entries whose URN ends with `::<server>` (its component and its resource). */
export function stateParts(state: unknown, server: string): StatePart[] {
  const resources = ((state as { checkpoint?: { latest?: { resources?: Entry[] } } }).checkpoint?.latest?.resources ?? []).filter((r) => r.urn.endsWith(`::${server}`));
  const bytes = new Map<string, number>(PARTS.map(([p]) => [p, 0]));
  const add = (field: string, where: "entry" | "inputs" | "outputs", n: number) => {
    const part = PARTS.find(([, test]) => test(field, where))![0];
    bytes.set(part, bytes.get(part)! + n);
  };
  for (const r of resources) {
    add("", "entry", 2); // the entry's braces
    for (const [field, value] of Object.entries(r)) {
      if (field !== "inputs" && field !== "outputs") add(field, "entry", keyed(field, value));
      else {
        add("", "entry", keyed(field, {}));
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(k, field, keyed(k, v));
      }
    }
  }
  return [...bytes].filter(([, n]) => n > 0).map(([part, n]) => ({ part, bytes: n }));
}
