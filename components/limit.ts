/**
 * Bounded concurrency, the one limiter of the package: SSH channels on one connection, files
 * written to one child, stacks previewed at once.
 */

/** A gate that lets at most `max` tasks run at a time; the others wait their turn, in order. */
export function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Runs `task` over `items`, at most `max` at a time; every failure is reported together. */
export async function eachLimited<T>(items: readonly T[], max: number, task: (item: T) => Promise<void>): Promise<void> {
  const gate = limiter(max);
  const errors: string[] = [];
  await Promise.all(items.map((item) => gate(() => task(item)).catch((e: Error) => void errors.push(e.message))));
  if (errors.length > 0) throw new Error(errors.length === 1 ? errors[0] : `${errors.length} failed:\n${errors.join("\n")}`);
}
