// Process trees on this machine, read from /proc: for tests that kill everything a command
// started, including the plugins Pulumi puts in process groups of their own.
import { readdirSync, readFileSync } from "node:fs";

/** Every descendant of `pid`, breadth first. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** SIGKILLs `pid` and all its descendants at once, as a crash or an OOM kill of the whole job would. */
export function killTree(pid: number): number[] {
  const all = [pid, ...descendants(pid)];
  // Stop them first so none reacts to another's death (or forks) before it is killed itself.
  for (const p of all) signal(p, "SIGSTOP");
  for (const p of all) signal(p, "SIGKILL");
  return all;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
