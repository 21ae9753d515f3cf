/**
 * Nunjucks over the catalog's templates only, confined: a catalog arrives in pull requests, so a
 * template is untrusted input that must not reach the JavaScript runtime.
 *
 * - `{% include %}`, `{% import %}`, `{% from %}` and `{% extends %}` name catalog templates by a
 *   literal name; the loader knows nothing else (no file system), and a computed name is refused.
 * - Every template is parsed before it is compiled, and the parse tree is checked: no lookup of
 *   `constructor`, `__proto__`, `prototype` or the function methods that lead from a value to
 *   the Function constructor, no `random` filter (rendering must be deterministic).
 * - At run time a member lookup returns only a value's own data (and a few pure string and list
 *   methods), and a name resolves only to own variables of the template's frames, its context
 *   or the three nunjucks globals. A computed key (`x[k]`) is checked the same way.
 * - Compiled templates are evaluated with `vm` rather than `new Function`, so the renderer can run
 *   in a process where code generation from strings is disabled altogether (the sandbox).
 * Undefined values are errors, output is not HTML-escaped.
 */
import * as nunjucks from "nunjucks";
import * as vm from "node:vm";
import type { CatalogIssue } from "../catalog/errors";
import type { Origin, TemplateKind } from "../catalog/schema";

// Internal modules of nunjucks: its parser and compiler (to check a template before compiling
// it) and the runtime its compiled code calls (to confine lookups).
/* eslint-disable @typescript-eslint/no-require-imports */
const nunjucksParser = require("nunjucks/src/parser") as { parse(src: string, extensions?: unknown[], opts?: object): AstNode };
const nunjucksTransformer = require("nunjucks/src/transformer") as { transform(ast: AstNode, asyncFilters: string[], name?: string): AstNode };
const nunjucksCompiler = require("nunjucks/src/compiler") as { Compiler: new (name: string, throwOnUndefined: boolean) => { compile(ast: AstNode): void; getCode(): string } };
const nunjucksRuntime = require("nunjucks/src/runtime") as Record<string, unknown>;
/* eslint-enable @typescript-eslint/no-require-imports */

interface AstNode {
  readonly typename: string;
  readonly fields: readonly string[];
  readonly children?: readonly AstNode[];
  readonly lineno: number;
  readonly colno: number;
  readonly value?: unknown;
  readonly [field: string]: unknown;
}

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

/** A lookup the confinement refuses, raised while rendering. */
class RefusedLookup extends Error {
  override readonly name = "RefusedLookup";
}

/**
 * Keys that lead from a value to its constructor, prototype or the Function constructor, or that
 * call a function with another `this`: refused in the template text and at run time.
 */
export const REFUSED_KEYS: ReadonlySet<string> = new Set([
  "constructor",
  "__proto__",
  "prototype",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  "call",
  "apply",
  "bind",
  "caller",
  "callee",
  "arguments",
]);

/** Filters a template may not use: rendering must give the same bytes every time. */
const REFUSED_FILTERS: ReadonlySet<string> = new Set(["random"]);

/** Pure methods of strings and lists a template may call (`name.split(".")`, `list.join(",")`). */
const STRING_METHODS: ReadonlySet<string> = new Set([
  "endsWith", "includes", "indexOf", "lastIndexOf", "padEnd", "padStart", "repeat", "replace", "replaceAll", "slice",
  "split", "startsWith", "substring", "toLowerCase", "toUpperCase", "trim", "trimEnd", "trimStart",
]);
const LIST_METHODS: ReadonlySet<string> = new Set(["concat", "includes", "indexOf", "join", "lastIndexOf", "slice"]);

const hasOwn = (o: object, k: PropertyKey) => Object.prototype.hasOwnProperty.call(o, k);

function confinedMemberLookup(obj: unknown, key: unknown): unknown {
  if (obj === undefined || obj === null) return undefined;
  if (typeof key !== "string" && typeof key !== "number") throw new RefusedLookup(`a lookup by a key of type ${typeof key}`);
  const k = String(key);
  if (REFUSED_KEYS.has(k)) throw new RefusedLookup(`the lookup of "${k}"`);
  if (typeof obj === "string" || Array.isArray(obj)) {
    if (k === "length" || /^\d+$/.test(k)) return (obj as unknown as Record<string, unknown>)[k];
    const methods = typeof obj === "string" ? STRING_METHODS : LIST_METHODS;
    if (!methods.has(k)) return undefined;
    const method = (obj as unknown as Record<string, (...a: unknown[]) => unknown>)[k]!;
    return (...args: unknown[]) => method.apply(obj, args);
  }
  if (typeof obj !== "object" && typeof obj !== "function") return undefined;
  if (!hasOwn(obj, k)) return undefined;
  const value = (obj as Record<string, unknown>)[k];
  return typeof value === "function" ? (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(obj, args) : value;
}

interface Frame {
  variables: Record<string, unknown>;
  parent?: Frame;
}
interface Context {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

function confinedContextOrFrameLookup(context: Context, frame: Frame, name: string): unknown {
  if (REFUSED_KEYS.has(name)) throw new RefusedLookup(`the name "${name}"`);
  for (let f: Frame | undefined = frame; f; f = f.parent) if (hasOwn(f.variables, name) && f.variables[name] !== undefined) return f.variables[name];
  if (hasOwn(context.ctx, name)) return context.ctx[name];
  if (hasOwn(context.env.globals, name)) return context.env.globals[name];
  return undefined;
}

// The compiled code of every template calls the runtime module's functions: confine them once
// for the process. Idempotent; nothing else in this package uses nunjucks.
nunjucksRuntime.memberLookup = confinedMemberLookup;
nunjucksRuntime.contextOrFrameLookup = confinedContextOrFrameLookup;

const INCLUDING = new Set(["Include", "Import", "FromImport", "Extends"]);

/** Every node of a parse tree, depth first. */
function* walk(node: unknown): Generator<AstNode> {
  if (!node || typeof node !== "object" || typeof (node as AstNode).typename !== "string") return;
  const n = node as AstNode;
  yield n;
  for (const field of n.fields ?? []) yield* walk(n[field]);
  for (const child of n.children ?? []) yield* walk(child);
}

/** What the check of a parse tree found: the literal names it includes, and what it refuses. */
interface Analysis {
  readonly includes: string[];
  readonly refusals: { line: number; col: number; message: string }[];
}

function analyze(ast: AstNode): Analysis {
  const includes = new Set<string>();
  const refusals: Analysis["refusals"] = [];
  const refuse = (n: AstNode, message: string) => refusals.push({ line: n.lineno + 1, col: n.colno + 1, message });
  for (const n of walk(ast)) {
    if (INCLUDING.has(n.typename)) {
      const target = n.template as AstNode | undefined;
      if (target?.typename === "Literal" && typeof target.value === "string") includes.add(target.value);
      else refuse(n, `${n.typename.toLowerCase()} of a template by a computed name; only literal catalog names can be shipped and checked`);
    } else if (n.typename === "Symbol" && REFUSED_KEYS.has(String(n.value))) {
      refuse(n, `the name "${String(n.value)}" is refused: templates see data, not the JavaScript runtime`);
    } else if (n.typename === "LookupVal") {
      const key = n.val as AstNode | undefined;
      if (key?.typename === "Literal" && REFUSED_KEYS.has(String(key.value))) refuse(n, `the lookup of "${String(key.value)}" is refused: templates see data, not the JavaScript runtime`);
    } else if (n.typename === "Filter") {
      const name = (n.name as AstNode | undefined)?.value;
      if (REFUSED_FILTERS.has(String(name))) refuse(n, `the filter "${String(name)}" is refused: a rendered file must be the same every time`);
    }
  }
  return { includes: [...includes].sort(), refusals };
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

interface Compiled {
  readonly props: object;
  readonly includes: readonly string[];
}

export class TemplateEngine {
  private readonly env: nunjucks.Environment;
  private readonly compiled = new Map<string, Compiled>();
  private readonly templateCache = new Map<string, nunjucks.Template>();
  private readonly inlineCache = new Map<string, nunjucks.Template>();

  constructor(private readonly templates: ReadonlyMap<string, TemplateEntry>) {
    const loader: nunjucks.ILoader = {
      getSource: (name: string) => {
        if (!this.templates.has(name)) throw new Error(`unknown template ${JSON.stringify(name)}`);
        return { src: { type: "code", obj: this.compileOrThrow(name).props }, path: name, noCache: false } as unknown as nunjucks.LoaderSource;
      },
    };
    // trimBlocks/lstripBlocks: block tags do not leave blank lines, so kickstarts read naturally.
    this.env = new nunjucks.Environment(loader, { throwOnUndefined: true, autoescape: false, trimBlocks: true, lstripBlocks: true });
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  /**
   * Parse, check and compile a template (once); the literal names it includes. A syntax error or
   * a refused construct is a TemplateFailure located in the template's file.
   */
  compile(name: string): readonly string[] {
    return this.compileOrThrow(name).includes;
  }

  private compileOrThrow(name: string): Compiled {
    const hit = this.compiled.get(name);
    if (hit) return hit;
    const t = this.templates.get(name);
    if (!t) throw new TemplateFailure({ file: "(template)", line: 0, path: `template ${name}`, message: `unknown template ${JSON.stringify(name)}`, severity: "error" });
    const compiled = this.compileSource(t.body, name, (line, message) => ({
      file: t.bodyFile,
      line: line > 0 ? t.bodyLineOffset + line : (t.origin?.line ?? 0),
      path: `template ${name}`,
      message,
      severity: "error",
    }));
    this.compiled.set(name, compiled);
    return compiled;
  }

  private compileSource(src: string, name: string, issue: (line: number, message: string) => CatalogIssue): Compiled {
    let ast: AstNode;
    try {
      ast = nunjucksParser.parse(src, [], { trimBlocks: true, lstripBlocks: true });
    } catch (e) {
      if (e instanceof RangeError) throw new TemplateFailure(issue(0, "the template nests too deeply to parse"));
      const err = e as { lineno?: number; message?: string };
      throw new TemplateFailure(issue(err.lineno ?? 0, cleanMessage(e)));
    }
    const { includes, refusals } = analyze(ast);
    if (refusals.length > 0) {
      const first = refusals[0]!;
      throw new TemplateFailure(issue(first.line, `${first.message} (column ${first.col})${refusals.length > 1 ? `; and ${refusals.length - 1} more` : ""}`));
    }
    try {
      const compiler = new nunjucksCompiler.Compiler(name, true);
      compiler.compile(nunjucksTransformer.transform(ast, [], name));
      const props = vm.runInThisContext(`(function () {\n${compiler.getCode()}\n})`, { filename: `template:${name}` })() as object;
      return { props, includes };
    } catch (e) {
      if (e instanceof RangeError) throw new TemplateFailure(issue(0, "the template nests too deeply to compile"));
      throw new TemplateFailure(issue((e as { lineno?: number }).lineno ?? 0, cleanMessage(e)));
    }
  }

  render(name: string, context: object): string {
    try {
      let t = this.templateCache.get(name);
      if (!t) {
        t = new nunjucks.Template({ type: "code", obj: this.compileOrThrow(name).props } as unknown as string, this.env, name, true);
        this.templateCache.set(name, t);
      }
      return t.render(context);
    } catch (e) {
      if (e instanceof TemplateFailure) throw e;
      throw new TemplateFailure(this.issueFrom(e, name));
    }
  }

  /** Render a short inline template (a kernel option value); `where` names it in errors. */
  renderInline(src: string, context: object, where: { file: string; line: number; path: string }): string {
    if (!src.includes("{{") && !src.includes("{%")) return src;
    const fail = (message: string) => new TemplateFailure({ ...where, message: `in ${JSON.stringify(src)}: ${message}`, severity: "error" });
    try {
      let t = this.inlineCache.get(src);
      if (!t) {
        const { props } = this.compileSource(src, "(inline)", (_line, message) => ({ ...where, message, severity: "error" }));
        t = new nunjucks.Template({ type: "code", obj: props } as unknown as string, this.env, "(inline)", true);
        this.inlineCache.set(src, t);
      }
      return t.render(context);
    } catch (e) {
      if (e instanceof TemplateFailure) throw fail(e.issue.message);
      throw fail(cleanMessage(e));
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
    if (/RefusedLookup: /.test(msg)) message = `${/RefusedLookup: (.*)/.exec(msg)![1]} is refused: templates see data, not the JavaScript runtime`;
    if (/Code generation from strings disallowed/.test(msg)) message = "the template tried to generate code, which the renderer does not allow";
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
  return last.replace(/^Error: /, "").replace(/^Template render error: /, "").replace(/^RefusedLookup: (.*)$/, "$1 is refused: templates see data, not the JavaScript runtime");
}
