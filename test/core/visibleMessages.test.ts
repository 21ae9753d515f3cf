// Messages echo what they are about (a catalog file's name, a key, a value, an argument): every
// control and hiding character in them is written out visibly, each message stays one line, and
// the CLI's write point lets nothing raw through (JSON stays JSON).
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { run } from "../../components/cli/main";
import { shownResult } from "../../components/cli/result";
import { formatIssue } from "../../src/catalog/errors";
import { FAMILY, hidingIn } from "../support/hidingCharacters";
import { tempDir } from "./helpers";

const example = path.resolve(__dirname, "../../stacks/catalogs/example");
const stack = `config:
  provisioning:catalog: ${example}
  provisioning:servers:
    - name: dc1-a
      transport: { kind: local, root: /tmp/prov/dc1-a }
      arch: [x86_64]
      site: dc1
      profiles: ["web*", db]
      tftpPort: 6969
      httpPort: 8080
`;

/** A YAML double-quoted scalar holding `s`, every character beyond ASCII as an escape (YAML refuses some raw). */
const yamlQuoted = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const isUsageOf = (stderr: string) => stderr.split("\n")[0]!;

describe("messages show what they quote", () => {
  const text = fc.string({ unit: fc.oneof(fc.constantFrom(...FAMILY, "\n", "\t"), fc.constantFrom("a", "/", ".", "\\", ":")), maxLength: 16 });

  it("formatIssue: one line, no control or hiding character, whatever the file, key and message hold", () => {
    fc.assert(
      fc.property(text, text, text, fc.nat(1000), fc.constantFrom("error" as const, "warning" as const), (file, key, message, line, severity) => {
        const shown = formatIssue({ file, line, path: key, message, severity });
        expect(hidingIn(shown)).toEqual([]);
        expect(shown).not.toContain("\n");
      }),
      { numRuns: 500 },
    );
  });

  const project = tempDir({ "stacks/Pulumi.dev.yaml": stack });

  it("arguments echoed by usage errors: a stack, a server, a wave, a command", () => {
    for (const x of FAMILY.filter((c) => c !== "\0")) {
      const results = [
        run(["select", example, "--stack", "dev", "--server", `web${x}`, "--project", project]),
        run(["plan", "--stack", `dev${x}`, "--project", project]),
        run(["impact", example, example, "--stack", `dev${x}`, "--project", project]),
        run(["up", "--stack", "dev", "--wave", `1${x}`]),
        run([`plan${x}`]),
      ];
      for (const r of results) {
        expect(r.exitCode, JSON.stringify(x)).not.toBe(0);
        expect(hidingIn(r.stderr, "\n"), `${JSON.stringify(x)}: ${r.stderr}`).toEqual([]);
        expect(isUsageOf(r.stderr)).toMatch(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[tnr])/);
      }
    }
  });

  it("a catalog file's name and the values its errors quote", () => {
    for (const x of FAMILY.filter((c) => c !== "\0")) {
      const dir = tempDir({});
      fs.writeFileSync(path.join(dir, `c${x}.yaml`), `profiles:\n  - name: a\n    parent: ${yamlQuoted(`zz${x}\u202e\x9b`)}\n`);
      const r = run(["validate", dir]);
      expect(r.exitCode).toBe(1);
      expect(hidingIn(r.stderr, "\n"), `${JSON.stringify(x)}: ${r.stderr}`).toEqual([]);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${path.join(dir, "c")}\\`);
      expect(lines[0]).toMatch(/:3 profiles\[0\]\.parent: invalid name "zz.*\\u202e\\x9b"/);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the CLI's write point: text keeps its lines and tabs only; JSON stays valid and parses to the same characters", () => {
    fc.assert(
      fc.property(text, text, (out, err) => {
        const t = shownResult({ stdout: out, stderr: err, exitCode: 0 }, false);
        expect(hidingIn(t.stdout, "\n\t")).toEqual([]);
        expect(hidingIn(t.stderr, "\n\t")).toEqual([]);
        const value = { diff: out, paths: [err] };
        const j = shownResult({ stdout: `${JSON.stringify(value, null, 2)}\n`, stderr: err, exitCode: 0 }, true);
        expect(hidingIn(j.stdout, "\n")).toEqual([]);
        expect(JSON.parse(j.stdout)).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });
});
