/**
 * POSIX sh single-quote quoting. Inside single quotes nothing is special except the closing
 * quote, so `'` becomes `'\''` (close, escaped quote, reopen). The result is always one word,
 * whatever the input holds: `;`, `$(...)`, backticks, newlines, globs, spaces are all inert.
 * NUL cannot be passed through a shell word at all and is refused.
 */
export function shellQuote(value: string): string {
  if (typeof value !== "string") throw new TypeError("shellQuote expects a string");
  if (value.includes("\0")) throw new Error("shellQuote: NUL bytes cannot be passed to a shell");
  return "'" + value.replace(/'/g, "'\\''") + "'";
}

/** Quotes every element and joins them with spaces: an argv as one shell command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
