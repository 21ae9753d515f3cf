/**
 * Text that a person reads (a terminal, a pull-request comment, a page) shows every character
 * that could move the cursor, recolour, retitle, reorder or hide what follows. Catalog text
 * is untrusted, so its control characters are written out as visible escapes instead of acting.
 */

/**
 * C0 controls, DEL, C1 controls, and the Unicode format characters that reorder or hide text
 * (bidirectional embeddings, overrides and isolates, marks, zero-width joiners and spaces,
 * the line and paragraph separators, the byte-order mark).
 */
const HIDING = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;

const NAMED: Readonly<Record<string, string>> = { "\t": "\\t", "\n": "\\n", "\r": "\\r", "\u001b": "\\x1b" };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
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
