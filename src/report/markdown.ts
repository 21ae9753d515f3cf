/**
 * Catalog text in markdown (a pull-request comment): whatever it holds, it stays text. A block
 * of it (a diff, an error) sits in a code fence longer than any run of backticks inside, so no
 * line can close the block; a name or sentence inline is escaped, so it can form no markup, no
 * mention and no line break. Control and hiding characters are shown as escapes (visibleText).
 * Every markdown renderer, and the CI scripts through `provision fence`, use these three.
 */
import { visibleText } from "../util/visibleText";

const longestRun = (text: string, ch: string) => Math.max(0, ...[...text.matchAll(new RegExp(`${ch}+`, "g"))].map((m) => m[0].length));

/**
 * The lines in a fenced code block: a fence of backticks longer than the longest run in them
 * (at least three), so none of them can close it. Tabs stay; other control characters show.
 */
export function fence(lines: readonly string[], lang = ""): string {
  const shown = lines.map((l) => visibleText(l, "\t"));
  const ticks = "`".repeat(Math.max(3, longestRun(shown.join("\n"), "`") + 1));
  return [`${ticks}${visibleText(lang).replace(/[`\s]/g, "")}`, ...shown, ticks].join("\n");
}

/** A text of lines in a fenced block (`fence`); a final newline ends the last line, it adds none. */
export const fenceText = (text: string, lang = "") => fence(text.replace(/\r?\n$/, "").split(/\r?\n/), lang);

/**
 * Inline code: a name or path shown as it is. The backtick run around it is longer than any
 * inside, so the name cannot end it; a newline shows as `\n`; in a table cell `|` is escaped,
 * as GitHub splits cells before it reads code (a backslash just before it shows as `\x5c`).
 */
export function mdCode(text: string, opts: { table?: boolean } = {}): string {
  let shown = visibleText(text);
  // GitHub splits a row at every `|` not escaped by a backslash, and reads `\\` as an escaped
  // backslash first: a backslash before a pipe shows as its escape so the pipe stays escaped.
  if (opts.table) shown = shown.replace(/\\(?=\|)/g, "\\x5c").replace(/\|/g, "\\|");
  if (shown === "") return "";
  const ticks = "`".repeat(longestRun(shown, "`") + 1);
  // A space each side when the text starts or ends with a backtick or space (CommonMark strips one on each side).
  return /^[` ]|[` ]$/.test(shown) ? `${ticks} ${shown} ${ticks}` : `${ticks}${shown}${ticks}`;
}

/** Markup that escaping with `\` does not defuse on GitHub: mentions, e-mail and web autolinks. */
const UNESCAPABLE = /@|www\.|:\/\//gi;

/**
 * A name or sentence as plain markdown text (in a heading, a list, a table cell, a warning):
 * every character that could start markup (`*`, `_`, `` ` ``, `[`, `<`, `|`, `#`, `~`, `&`, …)
 * is escaped, a list or quote marker at the start too; a mention (`@name`) or autolink is broken
 * up by showing its `@`, `www.` or `://` as code; a newline shows as `\n`.
 */
export function mdText(text: string): string {
  const escaped = visibleText(text)
    .replace(/[\\`*_{}[\]<>#+!|~&=]/g, (c) => `\\${c}`)
    .replace(/^(\s*)(-|\d+(?=[.)]))/, (_m, space: string, mark: string) => (mark === "-" ? `${space}\\-` : `${space}${mark}\\`));
  return escaped.replace(UNESCAPABLE, (m) => `\`${m}\``);
}
