/**
 * Text that a person reads (a terminal, a pull-request comment, a page) shows every character
 * that could move the cursor, recolour, retitle, reorder or hide what follows. Catalog text
 * is untrusted, so its control characters are written out as visible escapes instead of acting.
 */

/**
 * Controls (C0, DEL, C1: `\p{Cc}`), every format character (`\p{Cf}`: bidirectional embeddings,
 * overrides and isolates, marks, zero-width joiners and spaces, the soft hyphen, the byte-order
 * mark, interlinear annotations, tag characters) and the line and paragraph separators. Unicode's
 * own categories rather than a hand-made list, so a character a list forgot cannot hide text.
 */
const HIDING = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

const NAMED: Readonly<Record<string, string>> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0)!;
  return code <= 0xff ? `\\x${hex(code, 2)}` : code <= 0xffff ? `\\u${hex(code, 4)}` : `\\u{${hex(code, 5)}}`;
}

/**
 * `text` with every control and hiding format character written as a visible escape (`\x1b`,
 * `\r`, `\u202e`), except the characters in `keep` (e.g. "\n\t" for a diff body or a report
 * made of lines). Printable text, a backslash included, is unchanged, so the result of an
 * earlier call is unchanged by a later one.
 */
export function visibleText(text: string, keep = ""): string {
  return text.replace(HIDING, (ch) => (keep.includes(ch) ? ch : escapeOne(ch)));
}

/** True when `visibleText(text, keep)` would change something. */
export function hasHiddenCharacters(text: string, keep = ""): boolean {
  for (const m of text.matchAll(HIDING)) if (!keep.includes(m[0])) return true;
  return false;
}

/**
 * `JSON.stringify(value, null, space)` in which no hiding character is left raw: JSON.stringify
 * escapes C0 already; DEL, C1 and the format characters become `\uXXXX` too (both halves of a
 * character beyond U+FFFF). Still valid JSON that parses to the same value; only the layout's
 * own newlines stay.
 */
export function visibleJson(value: unknown, space: number | string = 2): string {
  return visibleJsonText(JSON.stringify(value, null, space) ?? "null");
}

/** A JSON text with its hiding characters (newlines aside) as `\uXXXX`: valid JSON stays valid and parses the same. */
export function visibleJsonText(json: string): string {
  return json.replace(HIDING, (ch) => (ch === "\n" ? ch : [...Array(ch.length).keys()].map((i) => `\\u${hex(ch.charCodeAt(i), 4)}`).join("")));
}
