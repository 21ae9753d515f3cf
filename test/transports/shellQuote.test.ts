import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { shellJoin, shellQuote } from "../../components/transports/shellQuote";

/** Runs `printf '%s' <quoted>` through a real /bin/sh and returns what the shell saw as the word. */
const throughSh = (word: string): string =>
  execFileSync("/bin/sh", ["-c", `printf '%s' ${shellQuote(word)}`], { encoding: "utf8" });

describe("shellQuote", () => {
  it("wraps in single quotes and escapes single quotes as '\\''", () => {
    expect(shellQuote("abc")).toBe("'abc'");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("''")).toBe("''\\'''\\'''");
  });

  it("injection attempts are inert: the shell sees one literal word and runs nothing", () => {
    const marker = `/tmp/pwned-${randomBytes(6).toString("hex")}`;
    const words = [
      `x; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x\ntouch ${marker}\n`,
      `x' ; touch ${marker}; echo '`,
      `x && touch ${marker} || touch ${marker} | touch ${marker} > ${marker}`,
      `\${IFS}touch\${IFS}${marker}`,
      `* ? [a] ~ {a,b} \\ " ! # %`,
      "\t \r\n",
    ];
    for (const w of words) expect(throughSh(w)).toBe(w);
    expect(existsSync(marker)).toBe(false);
  });

  it("works for dash and bash alike, and for arbitrary strings (fuzz)", () => {
    for (let i = 0; i < 200; i++) {
      // random ASCII 1..127 plus some non-ASCII characters
      const alphabet = [...Array.from({ length: 127 }, (_, k) => String.fromCharCode(k + 1)), "é", "ü", "€", "😀"];
      const w = Array.from(randomBytes(24), (b) => alphabet[b % alphabet.length]).join("");
      for (const shell of ["/bin/sh", "/bin/bash"]) {
        const out = execFileSync(shell, ["-c", `printf '%s' ${shellQuote(w)}`], { encoding: "utf8" });
        expect(out).toBe(w);
      }
    }
  });

  it("refuses NUL, which no shell word can carry", () => {
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });

  it("shellJoin quotes each argv element", () => {
    expect(shellJoin(["touch", "--", "a b; c"])).toBe("'touch' '--' 'a b; c'");
    const out = execFileSync("/bin/sh", ["-c", `printf '<%s>' ${shellJoin(["a b", "$(x)", "'"])}`], { encoding: "utf8" });
    expect(out).toBe("<a b><$(x)><'>");
  });
});
