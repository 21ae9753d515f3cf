/**
 * Loads a catalog from a YAML file or a folder of YAML files. Every issue of every file is
 * collected (syntax, schema, duplicates) and thrown together as one CatalogError.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { type CatalogIssue, CatalogError, formatPath } from "./errors";
import {
  type BootLoader,
  COLLECTIONS,
  CatalogFileSchema,
  type ConfigFile,
  type Distribution,
  type DistributionProfile,
  type Origin,
  type Profile,
  type Template,
} from "./schema";
import { keyLines, lineAt, pathAtOffset, textLineOffset } from "./yamlPositions";
import { zodToIssues } from "./zodIssues";

export type Located<T> = T & { readonly origin: Origin };

/**
 * Size limits: a template is rendered per profile and per server and its output is served to
 * installers, so a source beyond 1 MiB is a mistake (a payload named as a template), not a
 * template; a catalog YAML file beyond 4 MiB would be a generated dump nobody reviews.
 */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;
export const MAX_CATALOG_FILE_BYTES = 4 * 1024 * 1024;

function tooLarge(file: string, line: number, keyPath: string, what: string, size: number, max: number): CatalogIssue {
  return { file, line, path: keyPath, message: `${what} is ${size} bytes, above the limit of ${max} bytes`, severity: "error" };
}

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
  readonly bootLoaders: Located<BootLoader>[];
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
  const big = files.map((f) => [f, fs.statSync(f).size] as const).filter(([, size]) => size > MAX_CATALOG_FILE_BYTES);
  if (big.length > 0) throw new CatalogError(big.map(([f, size]) => tooLarge(f, 0, "", "catalog file", size, MAX_CATALOG_FILE_BYTES)));
  const sources = files.map((f) => ({ file: f, text: fs.readFileSync(f, "utf8"), baseDir: path.resolve(path.dirname(f)) }));
  return loadCatalogSources(sources);
}

/** Load already-read YAML texts (used by loadCatalog, generators and tests). */
export function loadCatalogSources(
  sources: readonly CatalogSource[],
  readFile: (abs: string) => string = (abs) => fs.readFileSync(abs, "utf8"),
): Catalog {
  const issues: CatalogIssue[] = [];
  const catalog: Catalog = { files: [], distributions: [], profiles: [], templates: [], configFiles: [], distributionProfiles: [], bootLoaders: [] };
  for (const src of sources) {
    catalog.files.push(src.file);
    const lc = new LineCounter();
    const doc = parseDocument(src.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        issues.push({
          file: src.file,
          line: err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line,
          path: formatPath(pathAtOffset(doc, err.pos[0])),
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
              const size = fs.statSync(abs).size;
              if (size > MAX_TEMPLATE_BYTES) {
                issues.push(tooLarge(src.file, lineOf([...p, "source"]), formatPath([...p, "source"]), `template source ${JSON.stringify(t.source)}`, size, MAX_TEMPLATE_BYTES));
              } else body = readFile(abs);
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
          if (t.text !== undefined && Buffer.byteLength(t.text) > MAX_TEMPLATE_BYTES) {
            issues.push(tooLarge(src.file, lineOf([...p, "text"]), formatPath([...p, "text"]), "inline template text", Buffer.byteLength(t.text), MAX_TEMPLATE_BYTES));
            body = "";
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
  bootLoaders: "boot loader",
};

/** Names are unique per collection across all files of a catalog. */
function duplicateIssues(catalog: Catalog): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  for (const coll of ["distributions", "profiles", "templates", "configFiles", "bootLoaders"] as const) {
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
