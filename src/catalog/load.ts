/**
 * Loads a catalog from YAML files or a folder of them, or from objects declared in code. Every
 * issue of every source is collected (encoding, syntax, parser limits, schema, duplicates,
 * payloads) and thrown together as one CatalogError. The catalog is untrusted input: its files
 * are read only as regular files inside its own folder (YAML files, template sources) or the
 * allowed payload roots (payloads), see catalogFile.ts, and nothing a YAML file holds can exhaust
 * the parser without a located error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Document, LineCounter } from "yaml";
import { aboveLimit, isRefusal, leadsOutside, readCatalogFile } from "./catalogFile";
import { type PayloadConfinement, type PayloadFile, checkPayload, payloadKey } from "./checksums";
import { type CatalogIssue, CatalogError, formatPath } from "./errors";
import {
  type BootLoader,
  type Host,
  COLLECTIONS,
  CatalogFileSchema,
  type ConfigFile,
  type Distribution,
  type DistributionProfile,
  type Origin,
  type Payload,
  type Profile,
  type Template,
  type CatalogFileInput,
} from "./schema";
import { keyLines, lineAt, textLineOffset } from "./yamlPositions";
import { decodeText, parseYaml } from "./yamlText";
import { zodToIssues } from "./zodIssues";

export type Located<T> = T & { readonly origin: Origin };

/**
 * Size limits: a template is rendered per profile and per server and its output is served to
 * installers, so a source beyond 1 MiB is a mistake (a payload named as a template), not a
 * template; a catalog YAML file beyond 4 MiB would be a generated dump nobody reviews.
 */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;
export const MAX_CATALOG_FILE_BYTES = 4 * 1024 * 1024;

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
  readonly hosts: Located<Host>[];
  /** Every payload, checked: by `payloadKey(kind, name, key)`. */
  readonly payloads: Record<string, PayloadFile>;
}

/**
 * A YAML text to load, or a catalog declared in code (an object with the catalog's keys); `file`
 * is how messages name it, `baseDir` resolves relative paths.
 */
export type CatalogSource = (
  | { readonly file: string; readonly text: string; readonly baseDir: string }
  | { readonly file: string; readonly object: CatalogFileInput; readonly baseDir: string }
) & {
  /** The folder this source's template sources and payloads must lie in. @default LoadOptions.catalogRoot */
  readonly root?: string;
};

/** A catalog as a program gives it: a YAML file or folder, a catalog object, or a list of them (merged). */
export type CatalogInput = string | CatalogFileInput | readonly (string | CatalogFileInput)[];

export interface LoadOptions {
  /** Folders besides the catalog's own from which local payloads may come. @default [] */
  readonly payloadRoots?: readonly string[];
  /**
   * Whether local payloads are read and hashed. A review of an older revision passes false: a
   * payload that declares its sha256 is taken at its word (size unknown), as nothing is served.
   * @default true
   */
  readonly readPayloads?: boolean;
  /** The catalog's folder: template sources and payloads must lie inside it. @default the folder of the first source */
  readonly catalogRoot?: string;
}

const issueAt = (file: string, line: number, keyPath: string, message: string): CatalogIssue => ({ file, line, path: keyPath, message, severity: "error" });

const tooLarge = (file: string, line: number, keyPath: string, what: string, size: number, max: number) => issueAt(file, line, keyPath, `${what} is ${aboveLimit(size, max)}`);

/** Load a `.yaml`/`.yml` file, or every such file in a folder (sorted by name, not recursive). */
export function loadCatalog(fileOrDir: string, options: LoadOptions = {}): Catalog {
  const { sources, root } = yamlSources(fileOrDir);
  return loadCatalogSources(sources, { catalogRoot: root, ...options });
}

/**
 * Load a catalog as a program gives it (CatalogInput): paths resolve from `baseDir`, objects
 * declared in code are named `(code)` in messages, with each object's name in the key path; a
 * list is one catalog (names unique across all of it). Local payloads and template sources of a
 * code object come from `baseDir`.
 */
export function loadCatalogInput(input: CatalogInput, options: LoadOptions & { baseDir?: string } = {}): Catalog {
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  const parts = Array.isArray(input) ? input : [input as string | CatalogFileInput];
  const sources: CatalogSource[] = [];
  const issues: CatalogIssue[] = [];
  let root: string | undefined;
  parts.forEach((part, i) => {
    if (typeof part === "string") {
      // A relative path is the program's place in baseDir: a link there leading elsewhere is not followed.
      const outside = path.isAbsolute(part) ? undefined : leadsOutside(path.resolve(baseDir, part), baseDir);
      if (outside) {
        issues.push(issueAt(path.resolve(baseDir, part), 0, "", `cannot read catalog: ${outside.refused} the base folder ${baseDir}`));
        return;
      }
      try {
        // Each catalog of a list is confined to its own folder.
        const found = yamlSources(path.resolve(baseDir, part));
        sources.push(...found.sources.map((src) => ({ ...src, root: found.root })));
        root ??= found.root;
      } catch (e) {
        if (e instanceof CatalogError) issues.push(...e.issues);
        else throw e;
      }
    } else sources.push({ file: parts.length > 1 ? `(code #${i + 1})` : "(code)", object: part, baseDir });
  });
  if (issues.length > 0) throw new CatalogError(issues);
  return loadCatalogSources(sources, { catalogRoot: root ?? baseDir, ...options });
}

function yamlSources(fileOrDir: string): { sources: CatalogSource[]; root: string } {
  let files: string[];
  let root: string;
  try {
    const isDir = fs.statSync(fileOrDir).isDirectory();
    root = isDir ? fileOrDir : path.dirname(fileOrDir);
    files = isDir
      ? fs
          .readdirSync(fileOrDir)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => path.join(fileOrDir, f))
      : [fileOrDir];
  } catch (e) {
    throw new CatalogError([issueAt(fileOrDir, 0, "", `cannot read catalog: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)]);
  }
  if (files.length === 0) throw new CatalogError([issueAt(fileOrDir, 0, "", "no *.yaml or *.yml file in folder")]);
  const issues: CatalogIssue[] = [];
  const sources: CatalogSource[] = [];
  for (const f of files) {
    // Only regular files inside the folder: a committed link to `.git/config` or `/dev/zero` is refused unread.
    const read = readCatalogFile(f, [root], MAX_CATALOG_FILE_BYTES);
    if (isRefusal(read)) {
      issues.push(issueAt(f, 0, "", `cannot read catalog file: ${read.refused}`));
      continue;
    }
    const decoded = decodeText(read.bytes);
    if ("error" in decoded) issues.push(issueAt(f, decoded.line, "", `catalog file ${decoded.error}`));
    else sources.push({ file: f, text: decoded.text, baseDir: path.resolve(path.dirname(f)) });
  }
  if (issues.length > 0) throw new CatalogError(issues);
  return { sources, root: path.resolve(root) };
}

/** Reads a template source beside the catalog, refusing anything but a regular file inside the catalog folder. */
function readTemplateSource(abs: string, catalogRoot: string): { text: string } | { error: string } {
  const read = readCatalogFile(abs, [catalogRoot], MAX_TEMPLATE_BYTES);
  if (isRefusal(read)) return { error: read.refused };
  const decoded = decodeText(read.bytes);
  return "error" in decoded ? { error: `it ${decoded.error} (line ${decoded.line})` } : decoded;
}

/** Load already-read YAML texts (used by loadCatalog, generators and tests). */
export function loadCatalogSources(sources: readonly CatalogSource[], options: LoadOptions = {}): Catalog {
  const issues: CatalogIssue[] = [];
  const catalog: Catalog = { files: [], distributions: [], profiles: [], templates: [], configFiles: [], distributionProfiles: [], bootLoaders: [], hosts: [], payloads: {} };
  const catalogRoot = options.catalogRoot ?? sources[0]?.baseDir ?? process.cwd();
  for (const src of sources) {
    catalog.files.push(src.file);
    let raw: unknown;
    let doc: Document | undefined;
    let lc = new LineCounter();
    if ("object" in src) raw = src.object;
    else {
      const yaml = parseYaml(src.file, src.text);
      if (!yaml.ok) {
        issues.push(...yaml.issues);
        continue;
      }
      ({ doc, lc } = yaml);
      raw = yaml.value ?? {};
    }
    const parsed = CatalogFileSchema.safeParse(raw);
    // In code there are no lines: an object is named by its name in the key path.
    const lineOf = (p: PropertyKey[]) => (doc ? lineAt(doc, lc, p) : 0);
    const shown = (p: readonly PropertyKey[]) => (doc ? formatPath(p) : namedPath(raw, p));
    if (!parsed.success) {
      const found = zodToIssues(parsed.error, CatalogFileSchema, src.file, lineOf);
      issues.push(...(doc ? found : found.map((i) => ({ ...i, path: i.path.replace(/^(\w+)\[(\d+)\]/, (_, coll: string, n: string) => namedPath(raw, [coll, Number(n)])) }))));
      continue;
    }
    for (const coll of COLLECTIONS) {
      const items = parsed.data[coll] ?? [];
      items.forEach((item, index) => {
        const p = [coll, index];
        const origin: Origin = { file: src.file, line: lineOf(p), path: shown(p), baseDir: src.baseDir, keyLines: doc ? keyLines(doc, lc, p) : {}, ...(src.root ? { root: src.root } : {}) };
        if (coll === "templates") catalog.templates.push(loadTemplate(item as Template, origin, src, doc, lc, p, src.root ?? catalogRoot, issues));
        else (catalog[coll] as Located<unknown>[]).push({ ...(item as object), origin });
      });
    }
  }
  issues.push(...duplicateIssues(catalog));
  if (issues.length === 0) checkPayloads(catalog, { catalogRoot, payloadRoots: options.payloadRoots ?? [], readPayloads: options.readPayloads ?? true }, issues);
  if (issues.length > 0) throw new CatalogError(issues);
  return catalog;
}

/** `profiles[2]` → `profiles[web]` when the object has a name: the only handle code has. */
function namedPath(raw: unknown, p: readonly PropertyKey[]): string {
  const [coll, index, ...rest] = p;
  const item = typeof coll === "string" && typeof index === "number" ? (raw as Record<string, unknown[] | undefined>)?.[coll]?.[index] : undefined;
  const name = (item as { name?: unknown } | undefined)?.name ?? (item as { profile?: unknown } | undefined)?.profile;
  return typeof name === "string" ? `${String(coll)}[${name}]${rest.length ? (typeof rest[0] === "number" ? "" : ".") + formatPath(rest) : ""}` : formatPath(p);
}

function loadTemplate(
  t: Template,
  origin: Origin,
  src: CatalogSource,
  doc: Document | undefined,
  lc: LineCounter,
  p: PropertyKey[],
  catalogRoot: string,
  issues: CatalogIssue[],
): LoadedTemplate {
  const at = (key: string) => ({ line: origin.keyLines[key] ?? origin.line, keyPath: formatPath([...p, key]) });
  let body = t.text ?? "";
  let bodyFile = src.file;
  let bodyLineOffset = doc ? textLineOffset(doc, lc, [...p, "text"]) : 0;
  if (t.source !== undefined) {
    bodyFile = path.join(path.dirname(src.file), t.source);
    bodyLineOffset = 0;
    const read = readTemplateSource(path.resolve(src.baseDir, t.source), catalogRoot);
    if ("error" in read) {
      const { line, keyPath } = at("source");
      issues.push(issueAt(src.file, line, keyPath, `cannot read template source ${JSON.stringify(t.source)}: ${read.error}`));
    } else body = read.text;
  } else if (Buffer.byteLength(body) > MAX_TEMPLATE_BYTES) {
    const { line, keyPath } = at("text");
    issues.push(tooLarge(src.file, line, keyPath, "inline template text", Buffer.byteLength(body), MAX_TEMPLATE_BYTES));
    body = "";
  } else if (/[\u0000\u0001]/.test(body)) {
    const { line, keyPath } = at("text");
    issues.push(issueAt(src.file, line, keyPath, "inline template text contains a control character U+0000 or U+0001 (expected text)"));
    body = "";
  }
  return { ...t, origin, body, bodyFile, bodyLineOffset };
}

/** Checks every payload (hash, declared sha256, confinement) once, into `catalog.payloads`. */
function checkPayloads(catalog: Catalog, confinement: PayloadConfinement, issues: CatalogIssue[]): void {
  const check = (kind: string, name: string, key: string, payload: Payload, origin: Origin, what: string) => {
    catalog.payloads[payloadKey(kind, name, key)] = checkPayload(payload, origin, key, what, confinement, issues);
  };
  for (const d of catalog.distributions) {
    check("distribution", d.name, "kernel", d.kernel, d.origin, "kernel");
    check("distribution", d.name, "initrd", d.initrd, d.origin, "initrd");
  }
  for (const b of catalog.bootLoaders) b.files.forEach((f, i) => check("bootLoader", b.name, `files[${i}]`, f, b.origin, "boot loader"));
}

const KIND_OF: Record<string, string> = {
  distributions: "distribution",
  profiles: "profile",
  templates: "template",
  configFiles: "config file",
  bootLoaders: "boot loader",
  hosts: "host",
};

/** Names are unique per collection across all files of a catalog. */
function duplicateIssues(catalog: Catalog): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  for (const coll of ["distributions", "profiles", "templates", "configFiles", "bootLoaders", "hosts"] as const) {
    const seen = new Map<string, Origin>();
    for (const obj of catalog[coll] as Located<{ name: string }>[]) {
      const first = seen.get(obj.name);
      if (first) {
        issues.push(
          issueAt(obj.origin.file, obj.origin.keyLines["name"] ?? obj.origin.line, `${obj.origin.path}.name`, `duplicate ${KIND_OF[coll]} name ${JSON.stringify(obj.name)} (first defined at ${first.file}:${first.line})`),
        );
      } else seen.set(obj.name, obj.origin);
    }
  }
  return issues;
}
