/**
 * Reads a stack's provisioning settings from `stacks/Pulumi.<stack>.yaml`:
 * `provisioning:catalog` (path relative to the project dir) and `provisioning:servers`.
 * Secret values (`secure:` entries) are not read here: the Pulumi program gets them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import picomatch from "picomatch";
import { LineCounter, parseDocument } from "yaml";
import { type CatalogIssue, CatalogError, formatPath } from "./catalog/errors";
import { type Server, ServersSchema } from "./catalog/schema";
import { lineAt, pathAtOffset } from "./catalog/yamlPositions";
import { zodToIssues } from "./catalog/zodIssues";

export const CATALOG_KEY = "provisioning:catalog";
export const SERVERS_KEY = "provisioning:servers";

export interface StackConfig {
  readonly stack: string;
  /** Stack file as messages name it. */
  readonly file: string;
  /** Catalog path as written, and resolved against the project dir. */
  readonly catalogSetting: string | undefined;
  readonly catalogPath: string | undefined;
  readonly servers: Server[];
  /** Line of each server's served patterns (`[server][pattern]`), for messages about them. */
  readonly patternLines: number[][];
}

export const stackFilePath = (projectDir: string, stack: string) => path.join(projectDir, "stacks", `Pulumi.${stack}.yaml`);

export function readStackConfig(projectDir: string, stack: string): StackConfig {
  const file = stackFilePath(projectDir, stack);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CatalogError([{ file, line: 0, path: "", message: `cannot read stack config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, severity: "error" }]);
  }
  return parseStackConfig(text, file, projectDir, stack);
}

export function parseStackConfig(text: string, file: string, projectDir: string, stack: string): StackConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const issue = (line: number, p: string, message: string): CatalogIssue => ({ file, line, path: p, message, severity: "error" });
  if (doc.errors.length) {
    throw new CatalogError(
      doc.errors.map((e) => issue(e.linePos?.[0]?.line ?? 0, formatPath(pathAtOffset(doc, e.pos[0])), `YAML syntax error: ${e.message.split("\n")[0]}`)),
    );
  }
  const config = ((doc.toJS() ?? {}) as { config?: Record<string, unknown> }).config ?? {};
  const issues: CatalogIssue[] = [];
  const lineOf = (p: PropertyKey[]) => lineAt(doc, lc, ["config", ...p]);
  const catalogSetting = config[CATALOG_KEY];
  if (catalogSetting !== undefined && typeof catalogSetting !== "string") issues.push(issue(lineOf([CATALOG_KEY]), CATALOG_KEY, "expected a path string"));
  const parsed = ServersSchema.safeParse(config[SERVERS_KEY] ?? []);
  let servers: Server[] = [];
  if (!parsed.success) issues.push(...zodToIssues(parsed.error, ServersSchema, file, lineOf, [SERVERS_KEY]));
  else {
    servers = parsed.data;
    issues.push(...serverConflicts(servers, file, lineOf));
  }
  if (issues.length) throw new CatalogError(issues);
  return {
    stack,
    file,
    catalogSetting: catalogSetting as string | undefined,
    catalogPath: typeof catalogSetting === "string" ? path.resolve(projectDir, catalogSetting) : undefined,
    servers,
    patternLines: servers.map((srv, i) => srv.profiles.map((_, j) => lineOf([SERVERS_KEY, i, "profiles", j]))),
  };
}

/**
 * Served patterns that name no profile of the catalog: a warning (the server still converges to
 * what the other patterns select), located at the pattern in the stack file.
 */
export function unmatchedPatterns(stack: StackConfig, profileNames: readonly string[]): CatalogIssue[] {
  return stack.servers.flatMap((s, i) =>
    s.profiles.flatMap((pattern, j) => {
      const isMatch = picomatch(pattern, { dot: true });
      return profileNames.some((n) => isMatch(n))
        ? []
        : [{ file: stack.file, line: stack.patternLines[i]?.[j] ?? 0, path: `${SERVERS_KEY}[${i}].profiles[${j}]`, message: `'${pattern}' matches no profile`, severity: "warning" as const }];
    }),
  );
}

/** Rules across entries: unique names, no two daemons on one port of one machine, no shared local root. */
export function serverConflicts(servers: readonly Server[], file: string, lineOf: (p: PropertyKey[]) => number): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const seen = new Map<string, number>();
  const at = (i: number, key: string) => ({ line: lineOf([SERVERS_KEY, i, key]), path: `${SERVERS_KEY}[${i}].${key}` });
  servers.forEach((s, i) => {
    // Local servers share the central machine; SSH servers are distinct per host.
    const machine = s.transport.kind === "local" ? "local" : `ssh:${s.transport.host}`;
    const checks: [string, string, string][] = [
      ["name", `name:${s.name}`, `duplicate server name "${s.name}"`],
      ["tftpPort", `tftp:${machine}:${s.tftpPort}`, `tftpPort ${s.tftpPort} already used on ${machine === "local" ? "the local machine" : s.transport.kind === "ssh" ? s.transport.host : ""}`],
      ["httpPort", `http:${machine}:${s.httpPort}`, `httpPort ${s.httpPort} already used on ${machine === "local" ? "the local machine" : s.transport.kind === "ssh" ? s.transport.host : ""}`],
      ["transport", `root:${machine}:${path.posix.normalize(s.transport.root)}`, `transport root ${s.transport.root} already used on ${machine === "local" ? "the local machine" : machine.slice(4)}`],
    ];
    for (const [key, k, msg] of checks) {
      const first = seen.get(k);
      if (first !== undefined) issues.push({ file, ...at(i, key), message: `${msg} (first: ${servers[first]!.name} at line ${lineOf([SERVERS_KEY, first, key])})`, severity: "error" });
      else seen.set(k, i);
    }
  });
  return issues;
}
