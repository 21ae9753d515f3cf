/**
 * Loads a catalog from a YAML file or a folder of YAML files. Every issue of every file is
 * collected (syntax, schema, duplicates) and thrown together as one CatalogError.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { type CatalogIssue, CatalogError, formatPath } from "./errors";
import {
  COLLECTIONS,
  CatalogFileSchema,
  type ConfigFile,
  type Distribution,
  type DistributionProfile,
  type Origin,
  type Profile,
  type Template,
} from "./schema";
import { keyLines, lineAt, textLineOffset } from "./yamlPositions";
import { zodToIssues } from "./zodIssues";

export type Located<T> = T & { readonly origin: Origin };

/** A template with its text read: from `source` (a file beside the YAML) or inline `text`. */
export type LoadedTemplate = Located<Template> & {
  readonly body: string;
  /** File where template line 1 lives, and the offset to add to a template line to get a file line. */
  readonly bodyFile: string;
  readonly bodyLineOffset: number;
};

export interface Catalog {
  readonly files: string[];
  readonly distributions: Located<Distribution>[];
  readonly profiles: Located<Profile>[];
  readonly templates: LoadedTemplate[];
  readonly configFiles: Located<ConfigFile>[];
  readonly distributionProfiles: Located<DistributionProfile>[];
}

/** A YAML text to load; `file` is how messages name it, `baseDir` resolves relative paths. */
export interface CatalogSource {
  readonly file: string;
  readonly text: string;
  readonly baseDir: string;
}

/** Load a `.yaml`/`.yml` file, or every such file in a folder (sorted by name, not recursive). */
export function loadCatalog(fileOrDir: string): Catalog {
  let files: string[];
  try {
    files = fs.statSync(fileOrDir).isDirectory()
      ? fs
          .readdirSync(fileOrDir)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => path.join(fileOrDir, f))
      : [fileOrDir];
  } catch (e) {
    throw new CatalogError([{ file: fileOrDir, line: 0, path: "", message: `cannot read catalog: ${(e as Error).message}`, severity: "error" }]);
  }
  if (files.length === 0) {
    throw new CatalogError([{ file: fileOrDir, line: 0, path: "", message: "no *.yaml or *.yml file in folder", severity: "error" }]);
  }
  const sources = files.map((f) => ({ file: f, text: fs.readFileSync(f, "utf8"), baseDir: path.resolve(path.dirname(f)) }));
  return loadCatalogSources(sources);
}

/** Load already-read YAML texts (used by loadCatalog, generators and tests). */
export function loadCatalogSources(
  sources: readonly CatalogSource[],
  readFile: (abs: string) => string = (abs) => fs.readFileSync(abs, "utf8"),
): Catalog {
  const issues: CatalogIssue[] = [];
  const catalog: Catalog = { files: [], distributions: [], profiles: [], templates: [], configFiles: [], distributionProfiles: [] };
  for (const src of sources) {
    catalog.files.push(src.file);
    const lc = new LineCounter();
    const doc = parseDocument(src.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        issues.push({
          file: src.file,
          line: err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line,
          path: "",
          message: `YAML syntax error: ${err.message.split("\n")[0]}`,
          severity: "error",
        });
      }
      continue;
    }
    const raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
    const parsed = CatalogFileSchema.safeParse(raw);
    const lineOf = (p: PropertyKey[]) => lineAt(doc, lc, p);
    if (!parsed.success) {
      issues.push(...zodToIssues(parsed.error, CatalogFileSchema, src.file, lineOf));
      continue;
    }
    for (const coll of COLLECTIONS) {
      const items = parsed.data[coll] ?? [];
      items.forEach((item, index) => {
        const p = [coll, index];
        const origin: Origin = {
          file: src.file,
          line: lineOf(p),
          path: formatPath(p),
          baseDir: src.baseDir,
          keyLines: keyLines(doc, lc, p),
        };
        if (coll === "templates") {
          const t = item as Template;
          let body = t.text ?? "";
          let bodyFile = src.file;
          let bodyLineOffset = textLineOffset(doc, lc, [...p, "text"]);
          if (t.source !== undefined) {
            const abs = path.resolve(src.baseDir, t.source);
            bodyFile = path.join(path.dirname(src.file), t.source);
            bodyLineOffset = 0;
            try {
              body = readFile(abs);
            } catch (e) {
              issues.push({
                file: src.file,
                line: lineOf([...p, "source"]),
                path: formatPath([...p, "source"]),
                message: `cannot read template source ${JSON.stringify(t.source)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
                severity: "error",
              });
            }
          }
          catalog.templates.push({ ...t, origin, body, bodyFile, bodyLineOffset });
        } else {
          (catalog[coll] as Located<unknown>[]).push({ ...(item as object), origin });
        }
      });
    }
  }
  issues.push(...duplicateIssues(catalog));
  if (issues.length > 0) throw new CatalogError(issues);
  return catalog;
}

const KIND_OF: Record<string, string> = {
  distributions: "distribution",
  profiles: "profile",
  templates: "template",
  configFiles: "config file",
};

/** Names are unique per collection across all files of a catalog. */
function duplicateIssues(catalog: Catalog): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  for (const coll of ["distributions", "profiles", "templates", "configFiles"] as const) {
    const seen = new Map<string, Origin>();
    for (const obj of catalog[coll] as Located<{ name: string }>[]) {
      const first = seen.get(obj.name);
      if (first) {
        issues.push({
          file: obj.origin.file,
          line: obj.origin.keyLines["name"] ?? obj.origin.line,
          path: `${obj.origin.path}.name`,
          message: `duplicate ${KIND_OF[coll]} name ${JSON.stringify(obj.name)} (first defined at ${first.file}:${first.line})`,
          severity: "error",
        });
      } else seen.set(obj.name, obj.origin);
    }
  }
  return issues;
}
