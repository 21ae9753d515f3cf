import { describe, expect, it } from "vitest";
import { CatalogError, didYouMean, editDistance, formatIssue, formatPath, knownList } from "../../src/catalog/errors";

describe("errors", () => {
  it("formats an issue as file:line path: message", () => {
    expect(formatIssue({ file: "catalog.yaml", line: 42, path: "profiles[3].parent", message: 'unknown profile "x" (known: a, b, c)', severity: "error" })).toBe(
      'catalog.yaml:42 profiles[3].parent: unknown profile "x" (known: a, b, c)',
    );
    expect(formatIssue({ file: "c.yaml", line: 0, path: "", message: "m", severity: "warning" })).toBe("c.yaml: warning: m");
  });
  it("formats paths with indexes", () => {
    expect(formatPath(["profiles", 3, "parent"])).toBe("profiles[3].parent");
  });
  it("suggests close names only", () => {
    expect(editDistance("parnet", "parent")).toBe(2);
    expect(didYouMean("parnet", ["parent", "name", "variables"])).toBe("parent");
    expect(didYouMean("zzzzzz", ["parent", "name"])).toBeUndefined();
  });
  it("lists known names sorted and capped", () => {
    expect(knownList(["c", "a", "b"])).toBe("known: a, b, c");
    expect(knownList(Array.from({ length: 15 }, (_, i) => `p${String(i).padStart(2, "0")}`))).toMatch(/, … 3 more$/);
  });
  it("carries all issues", () => {
    const e = new CatalogError([{ file: "f", line: 1, path: "a", message: "m", severity: "error" }]);
    expect(e.issues).toHaveLength(1);
    expect(e.message).toContain("f:1 a: m");
  });
});
