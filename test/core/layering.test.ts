// The pure core imports neither Pulumi nor the repository's scripts: it is plain data in, plain
// data out, and a program (or a browser) can use it without the engine.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../../src");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** Every module specifier a file imports or requires. */
const specifiers = (text: string) => [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);

describe("layering", () => {
  const files = sources(SRC);

  it("finds the core's modules", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it("src/ imports no @pulumi package, nothing of components/ or scripts/", () => {
    const offending = files.flatMap((f) =>
      specifiers(fs.readFileSync(f, "utf8"))
        .filter((s) => s.startsWith("@pulumi/") || /^(\.\.\/)+(components|scripts|stacks|bench|test)\//.test(s) || (s.startsWith(".") && !path.resolve(path.dirname(f), s).startsWith(SRC)))
        .map((s) => `${path.relative(SRC, f)}: ${s}`),
    );
    expect(offending).toEqual([]);
  });
});
