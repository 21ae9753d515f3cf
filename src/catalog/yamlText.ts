/**
 * YAML text in, a document (with lines) and its value out, or located issues: the one way this
 * package parses YAML it is given (catalogs, stack files). Text that is not UTF-8, holds NUL, nests
 * deeper than any catalog would, or expands aliases beyond a few (a "billion laughs") is an issue
 * at its line, never a crash of the parser.
 */
import { type Document, LineCounter, parseDocument, visit } from "yaml";
import { type CatalogIssue, formatPath } from "./errors";
import { pathAtOffset } from "./yamlPositions";

/** Aliases are few in a hand-written file; a hundred expansions is far beyond real use and far below an attack. */
export const MAX_ALIAS_COUNT = 100;
/** Nesting beyond this (brackets, or spaces of indentation) is a document built to exhaust the parser. */
export const MAX_NESTING = 512;

export type ParsedYaml = { readonly ok: true; readonly doc: Document; readonly lc: LineCounter; readonly value: unknown } | { readonly ok: false; readonly issues: CatalogIssue[] };

const issueAt = (file: string, line: number, keyPath: string, message: string): CatalogIssue => ({ file, line, path: keyPath, message, severity: "error" });

/** 1-based line of a character offset. */
export const lineOfOffset = (text: string, offset: number) => text.slice(0, Math.max(0, offset)).split("\n").length;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Bytes as UTF-8 text without a byte order mark, or the reason (and line) they are not text. */
export function decodeText(bytes: Uint8Array): { text: string } | { error: string; line: number } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const lossy = Buffer.from(bytes).toString("utf8");
    return { error: "is not valid UTF-8 text", line: lineOfOffset(lossy, lossy.indexOf("\ufffd")) };
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0) return { error: "contains a NUL character (expected text)", line: lineOfOffset(text, nul) };
  return { text };
}

/**
 * The first line where a YAML text nests deeper than MAX_NESTING (flow brackets, or indentation):
 * checked before parsing, since the parser recurses per level. Brackets inside quoted or block
 * scalars count too; no catalog comes near the limit either way.
 */
export function tooDeep(text: string): number | undefined {
  let depth = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length - line.trimStart().length > MAX_NESTING) return i + 1;
    for (const c of line) {
      if (c === "[" || c === "{") depth++;
      else if ((c === "]" || c === "}") && depth > 0) depth--;
      if (depth > MAX_NESTING) return i + 1;
    }
  }
  return undefined;
}

export function parseYaml(file: string, text: string, opts: { uniqueKeys?: boolean } = {}): ParsedYaml {
  const deep = tooDeep(text);
  if (deep !== undefined) return { ok: false, issues: [issueAt(file, deep, "", `YAML nests deeper than ${MAX_NESTING} levels (a document built to exhaust the parser?)`)] };
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: opts.uniqueKeys ?? true });
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, issues: [issueAt(file, 0, "", "YAML nests too deeply to load (a document built to exhaust the parser?)")] };
    throw e;
  }
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((err) => issueAt(file, err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line, formatPath(pathAtOffset(doc, err.pos[0])), `YAML syntax error: ${err.message.split("\n")[0]}`)),
    };
  }
  try {
    return { ok: true, doc, lc, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, issues: [issueAt(file, 0, "", "YAML nests too deeply to load (a document built to exhaust the parser?)")] };
    if (!(e instanceof ReferenceError && /alias/i.test(e.message))) throw e;
    // Located at the first alias: where the expansion starts.
    let at = { line: 0, path: "" };
    visit(doc, {
      Alias: (_key, node) => {
        const offset = node.range?.[0] ?? 0;
        at = { line: lc.linePos(offset).line, path: formatPath(pathAtOffset(doc, offset)) };
        return visit.BREAK;
      },
    });
    return { ok: false, issues: [issueAt(file, at.line, at.path, `YAML expands aliases beyond the limit of ${MAX_ALIAS_COUNT} (a document built to exhaust the parser?)`)] };
  }
}
