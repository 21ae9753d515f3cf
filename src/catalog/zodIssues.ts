/** Turns zod issues into CatalogIssues with a file line and a "did you mean" for unknown keys. */
import type { z } from "zod";
import { type CatalogIssue, didYouMean, formatPath } from "./errors";

/** Keys a schema accepts at `path` (walking objects, arrays, wrappers), for typo suggestions. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let cur: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType[] => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const def = (s as any)._zod.def;
    switch (def.type) {
      case "optional":
      case "default":
      case "nullable":
      case "prefault":
        return unwrap(def.innerType);
      case "pipe":
        return unwrap(def.in);
      case "union":
        return def.options.flatMap(unwrap);
      default:
        return [s];
    }
  };
  let layer: z.ZodType[] = cur ? unwrap(cur) : [];
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const s of layer) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const def = (s as any)._zod.def;
      if (def.type === "array" && typeof seg === "number") next.push(...unwrap(def.element));
      else if (def.type === "object" && typeof seg === "string" && def.shape[seg]) next.push(...unwrap(def.shape[seg]));
      else if (def.type === "record") next.push(...unwrap(def.valueType));
    }
    layer = next;
    cur = layer[0];
  }
  const keys = new Set<string>();
  for (const s of layer) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const def = (s as any)._zod.def;
    if (def.type === "object") Object.keys(def.shape).forEach((k) => keys.add(k));
  }
  return [...keys].sort();
}

export function zodToIssues(
  error: z.ZodError,
  schema: z.ZodType,
  file: string,
  lineOf: (path: PropertyKey[]) => number,
  prefix: PropertyKey[] = [],
): CatalogIssue[] {
  const out: CatalogIssue[] = [];
  for (const iss of error.issues) {
    const p = [...prefix, ...iss.path];
    if (iss.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, iss.path);
      for (const key of iss.keys) {
        const hint = didYouMean(key, known);
        out.push({
          file,
          line: lineOf([...p, key]),
          path: formatPath([...p, key]),
          message: `unknown key ${JSON.stringify(key)}${hint ? ` (did you mean "${hint}"?)` : ""}${known.length ? `; expected one of: ${known.join(", ")}` : ""}`,
          severity: "error",
        });
      }
      continue;
    }
    let message = iss.message;
    if (iss.code === "invalid_type" && /received undefined/.test(message)) message = `missing required key (${message})`;
    out.push({ file, line: lineOf(p), path: formatPath(p), message, severity: "error" });
  }
  return out;
}
