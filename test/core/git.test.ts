// The one way the product runs git (components/cli/git.ts): what it inherits and what it is told.
import { describe, expect, it } from "vitest";
import { gitArgs, gitEnv } from "../../components/cli/git";

describe("git runs with a hardened environment and configuration", () => {
  const caller = {
    PATH: "/usr/bin",
    HOME: "/home/u",
    GIT_CONFIG_GLOBAL: "/home/u/.gitconfig-ci",
    // What a hook, a wrapper or a hostile parent may have set: each would redirect or configure git.
    GIT_DIR: "/tmp/pr/catalog",
    GIT_WORK_TREE: "/tmp/pr/catalog",
    GIT_CONFIG_PARAMETERS: "'filter.x.smudge'='touch /tmp/m'",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "core.attributesFile",
    GIT_CONFIG_VALUE_0: "/tmp/pr/attributes",
    GIT_ALTERNATE_OBJECT_DIRECTORIES: "/tmp/pr/objects",
    GIT_EXEC_PATH: "/tmp/pr/bin",
    git_dir: "/tmp/pr/lower-case",
    GIT_CONFIG_NOSYSTEM: "0",
  };

  it("drops every inherited GIT_* variable but the global config's location, and turns the system config off", () => {
    const env = gitEnv(caller);
    expect(Object.keys(env).filter((k) => k.toUpperCase().startsWith("GIT_")).sort()).toEqual(["GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_NO_REPLACE_OBJECTS", "GIT_TERMINAL_PROMPT"]);
    expect(env).toMatchObject({ PATH: "/usr/bin", HOME: "/home/u", GIT_CONFIG_GLOBAL: "/home/u/.gitconfig-ci", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" });
  });

  it.each([
    ["a discovery from a folder", { discoverFrom: "/tmp/pr" }, ["-C", "/tmp/pr"]],
    ["a named repository", { gitDir: "/tmp/pr/.git" }, ["--git-dir=/tmp/pr/.git", "--literal-pathspecs"]],
  ] as const)("%s: where first, then the overrides, then the command", (_name, at, where) => {
    const args = gitArgs(at, ["archive", "HEAD"]);
    expect(args.slice(0, where.length)).toEqual(where);
    const overrides = args.slice(where.length, -2);
    expect(overrides.filter((_, i) => i % 2 === 0).every((a) => a === "-c")).toBe(true);
    expect(overrides.filter((_, i) => i % 2 === 1)).toEqual(["safe.bareRepository=explicit", "core.attributesFile=/dev/null", "core.hooksPath=/dev/null", "core.fsmonitor=false", "protocol.allow=never"]);
    expect(args.slice(-2)).toEqual(["archive", "HEAD"]);
  });
});
