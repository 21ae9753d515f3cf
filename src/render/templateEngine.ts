/**
 * Nunjucks over the catalog's templates only: `{% include "name" %}` resolves by catalog name,
 * never from the file system, so a template can only see what the catalog declares (and what
 * selection therefore ships). Undefined values are errors, output is not HTML-escaped.
 */
import * as nunjucks from "nunjucks";
import type { CatalogIssue } from "../catalog/errors";
import type { Origin, TemplateKind } from "../catalog/schema";

export interface TemplateEntry {
  readonly name: string;
  readonly kind: TemplateKind;
  readonly body: string;
  /** Where template line 1 lives: file line = template line + bodyLineOffset. */
  readonly bodyFile: string;
  readonly bodyLineOffset: number;
  readonly builtin: boolean;
  readonly origin?: Origin;
}

/** A render or compile failure, already phrased as a catalog issue. */
export class TemplateFailure extends Error {
  constructor(readonly issue: CatalogIssue) {
    super(issue.message);
    this.name = "TemplateFailure";
  }
}

// include/import/from/extends with a literal name: a dependency selection must ship along.
const INCLUDE_RE = /\{%-?\s*(?:include|import|from|extends)\s+(["'])([^"']+)\1/g;
const DYNAMIC_INCLUDE_RE = /\{%-?\s*(?:include|import|from|extends)\s+(?!["'])/;

/** Names a template includes directly (literal names only; dynamic includes are rejected by resolve). */
export function directIncludes(body: string): string[] {
  const out = new Set<string>();
  for (const m of body.matchAll(INCLUDE_RE)) out.add(m[2]!);
  return [...out].sort();
}

/** True if the body uses include/import/extends with a non-literal name, which selection cannot follow. */
export function hasDynamicInclude(body: string): boolean {
  return DYNAMIC_INCLUDE_RE.test(body);
}

/** Every template reachable through includes from `name` (not `name` itself), sorted; cycles are tolerated here. */
export function transitiveIncludes(name: string, includesOf: (n: string) => readonly string[]): string[] {
  const seen = new Set<string>();
  const stack = [...includesOf(name)];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...includesOf(n));
  }
  seen.delete(name);
  return [...seen].sort();
}

export class TemplateEngine {
  private readonly env: nunjucks.Environment;
  private readonly stringCache = new Map<string, nunjucks.Template>();
  private readonly compiled = new Map<string, nunjucks.Template>();

  constructor(private readonly templates: ReadonlyMap<string, TemplateEntry>) {
    const loader: nunjucks.ILoader = {
      getSource: (name: string) => {
        const t = this.templates.get(name);
        if (!t) throw new Error(`unknown template ${JSON.stringify(name)}`);
        return { src: t.body, path: name, noCache: false };
      },
    };
    // trimBlocks/lstripBlocks: block tags do not leave blank lines, so kickstarts read naturally.
    this.env = new nunjucks.Environment(loader, { throwOnUndefined: true, autoescape: false, trimBlocks: true, lstripBlocks: true });
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  /** Compile a template (and so its syntax) without rendering; compiled templates are cached. */
  compile(name: string): void {
    try {
      this.env.getTemplate(name, true);
    } catch (e) {
      throw new TemplateFailure(this.issueFrom(e, name));
    }
  }

  render(name: string, context: object): string {
    try {
      let t = this.compiled.get(name);
      if (!t) {
        t = this.env.getTemplate(name, true);
        this.compiled.set(name, t);
      }
      return t.render(context);
    } catch (e) {
      throw new TemplateFailure(this.issueFrom(e, name));
    }
  }

  /** Render a short inline template (a kernel option value); `where` names it in errors. */
  renderInline(src: string, context: object, where: { file: string; line: number; path: string }): string {
    if (!src.includes("{{") && !src.includes("{%")) return src;
    try {
      let t = this.stringCache.get(src);
      if (!t) {
        t = new nunjucks.Template(src, this.env, undefined, true);
        this.stringCache.set(src, t);
      }
      return t.render(context);
    } catch (e) {
      throw new TemplateFailure({ ...where, message: `in ${JSON.stringify(src)}: ${cleanMessage(e)}`, severity: "error" });
    }
  }

  /** Map a nunjucks error to the innermost template's file and line. */
  private issueFrom(e: unknown, fallback: string): CatalogIssue {
    const msg = String((e as Error)?.message ?? e);
    const locs = [...msg.matchAll(/\(([^)\n]*)\) \[Line (\d+), Column (\d+)\]/g)];
    const last = locs[locs.length - 1];
    const name = last?.[1] && this.templates.has(last[1]) ? last[1] : fallback;
    const t = this.templates.get(name);
    const tline = last ? Number(last[2]) : 0;
    const col = last ? Number(last[3]) : 0;
    let message = cleanMessage(e);
    if (/attempted to output null or undefined value/.test(message) && t) {
      const lineText = t.body.split("\n")[tline - 1] ?? "";
      const expr = /^\{\{.*?\}\}/.exec(lineText.slice(Math.max(0, col - 1)))?.[0];
      message = `undefined value${expr ? ` in ${expr}` : ""}`;
    }
    const missing = /unknown template "([^"]+)"/.exec(msg);
    if (missing) message = `includes unknown template "${missing[1]}"`;
    return {
      file: t ? t.bodyFile : "(template)",
      line: t && tline ? t.bodyLineOffset + tline : (t?.origin?.line ?? 0),
      path: `template ${name}`,
      message,
      severity: "error",
    };
  }
}

function cleanMessage(e: unknown): string {
  const msg = String((e as Error)?.message ?? e);
  const lines = msg
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\([^)]*\)( \[Line \d+, Column \d+\])?$/.test(l) && !/^Template render error: \([^)]*\)/.test(l));
  const last = lines[lines.length - 1] ?? msg;
  return last.replace(/^Error: /, "").replace(/^Template render error: /, "");
}
