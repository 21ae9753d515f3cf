// How GitHub reads a comment, as far as a forged comment needs it: fenced code blocks (an
// opening run of N >= 3 backticks, closed by a line of >= N backticks and nothing else), inline
// code spans (a run of N backticks to the next run of exactly N) and backslash escapes. What is
// left is the text that renders as markup: an injected summary, heading or @mention must not be
// in it.

export interface MarkdownLine {
  readonly text: string;
  /** Inside a fenced code block (its fences excluded). */
  readonly fenced: boolean;
}

const OPENING = /^ {0,3}(`{3,})([^`]*)$/;

/** Every line of the document, marked fenced or not. An unclosed fence runs to the end, as in CommonMark. */
export function markdownLines(md: string): MarkdownLine[] {
  const out: MarkdownLine[] = [];
  let open: number | null = null;
  for (const text of md.split("\n")) {
    if (open === null) {
      const m = OPENING.exec(text);
      if (m) open = m[1]!.length;
      out.push({ text, fenced: false });
    } else {
      const close = /^ {0,3}(`{3,})\s*$/.exec(text);
      if (close && close[1]!.length >= open) {
        open = null;
        out.push({ text, fenced: false });
      } else out.push({ text, fenced: true });
    }
  }
  return out;
}

/** The contents of each fenced block, in order. */
export function fencedBlocks(md: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] | null = null;
  for (const l of markdownLines(md)) {
    if (l.fenced) (current ??= []).push(l.text);
    else if (current) {
      blocks.push(current);
      current = null;
    }
  }
  if (current) blocks.push(current);
  return blocks;
}

/** A line outside code with its code spans and escaped characters removed: what renders as markup. */
export function markupOf(line: string): string {
  let out = "";
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === "\\" && i + 1 < line.length && /[!-/:-@[-`{-~]/.test(line[i + 1]!)) {
      out += " ";
      i += 2;
    } else if (ch === "`") {
      const run = /^`+/.exec(line.slice(i))![0].length;
      // The closing run: exactly as long, not part of a longer run.
      const rest = line.slice(i + run);
      const close = [...rest.matchAll(/`+/g)].find((m) => m[0].length === run);
      if (close) {
        out += " ";
        i += run + close.index! + run;
      } else {
        out += line.slice(i, i + run);
        i += run;
      }
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** The markup of every line outside fenced blocks (a fence line itself included). */
export const markupLines = (md: string) => markdownLines(md).filter((l) => !l.fenced).map((l) => markupOf(l.text));
