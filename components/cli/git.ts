/**
 * The one way the product runs git. What git is pointed at may be a pull request's checkout, whose
 * committed files can look like a repository of their own (`HEAD`, `refs/`, `objects/`, a `config`
 * naming filter commands, `info/attributes`): git must never take its settings or commands from
 * there. So every call names its repository explicitly (`--git-dir`), except the one discovery
 * from a folder the caller trusts to be in the right work tree, and that discovery refuses a
 * repository found implicitly in a folder that is not a `.git` (`safe.bareRepository=explicit`).
 * The system config and every inherited `GIT_*` variable are left out; the user's global config is
 * kept (it may hold `safe.directory` for a checkout owned by another user) but its knobs that run
 * or fetch something are overridden here.
 */
import { spawnSync } from "node:child_process";

export interface GitResult {
  readonly ok: boolean;
  readonly out: string;
  readonly err: string;
}

/** Where git runs: discovered from a folder (once), or an explicit repository. */
export type GitAt = { readonly discoverFrom: string } | { readonly gitDir: string };

const HARDENING = [
  ["safe.bareRepository", "explicit"],
  ["core.attributesFile", "/dev/null"],
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["protocol.allow", "never"],
] as const;

/**
 * The environment git runs with: none of the caller's `GIT_*` but the global config's location (a
 * hook's GIT_DIR or GIT_CONFIG_PARAMETERS would redirect or configure it), no system config, no
 * replace refs, no prompt, messages untranslated.
 */
export function gitEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(Object.entries(env).filter(([k]) => !k.toUpperCase().startsWith("GIT_") || k === "GIT_CONFIG_GLOBAL"));
  return { ...kept, LC_ALL: "C", GIT_CONFIG_NOSYSTEM: "1", GIT_NO_REPLACE_OBJECTS: "1", GIT_TERMINAL_PROMPT: "0" };
}

/** The arguments before the subcommand: where, then the hardening. */
export function gitArgs(at: GitAt, args: readonly string[]): string[] {
  // A pathspec is a path, never a pattern.
  const where = "gitDir" in at ? [`--git-dir=${at.gitDir}`, "--literal-pathspecs"] : ["-C", at.discoverFrom];
  return [...where, ...HARDENING.flatMap(([k, v]) => ["-c", `${k}=${v}`]), ...args];
}

/** Runs git; `missing` makes the error thrown when git cannot be started at all. */
export function runGit(at: GitAt, args: readonly string[], missing: (message: string) => Error): GitResult {
  // Run from inside the repository's git dir, where no work-tree prefix applies: paths are from the top.
  const cwd = "gitDir" in at ? at.gitDir : undefined;
  const r = spawnSync("git", gitArgs(at, args), { encoding: "utf8", env: gitEnv(), ...(cwd !== undefined ? { cwd } : {}), stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw missing(r.error.message);
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}
