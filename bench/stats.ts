/** Repeated measurements reduced to median, min and max. */
export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function stat(samples: readonly number[]): Stat {
  if (samples.length === 0) throw new Error("no samples");
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

export const ms = () => performance.now();

export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = ms();
  const value = await fn();
  return { ms: ms() - t0, value };
}

/** `1234 (1200–1300)` in seconds or milliseconds. */
export function fmt(st: Stat, unit: "s" | "ms" = "s"): string {
  const f = (x: number) => (unit === "s" ? (x / 1000).toFixed(1) : x.toFixed(0));
  return `${f(st.median)} (${f(st.min)}–${f(st.max)})`;
}
