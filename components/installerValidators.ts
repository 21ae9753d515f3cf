/**
 * Runs each installer's own validator over the rendered autoinstall files, where it is installed
 * on the central machine: pykickstart's `ksvalidator` (kickstart), `debconf-set-selections -c`
 * (preseed), `cloud-init schema` (Ubuntu autoinstall user-data). The rendered text is catalog
 * text, so each validator gets only that text: a file written to an empty temporary folder,
 * secrets as placeholders, no `%include` followed and `%ksappend` commented out, an empty
 * environment, a time limit, and (as root) a network namespace of its own with no interface up.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type CatalogIssue, knownList } from "../src/catalog/errors";
import { type InstallerFile, type InstallerFormat, type ValidatorInput, validatorInput } from "../src/render/installerFiles";
import { visibleText } from "../src/util/visibleText";

/** Where `.ci/install-validators` puts pykickstart when `ksvalidator` is not on PATH. */
export const DEFAULT_KSVALIDATOR = "/opt/pulumi-provisioning/pykickstart/bin/ksvalidator";
/** @default PROVISIONING_VALIDATOR_TIMEOUT seconds, else 60 */
const timeLimitMs = () => (Number(process.env.PROVISIONING_VALIDATOR_TIMEOUT) > 0 ? Number(process.env.PROVISIONING_VALIDATOR_TIMEOUT) : 60) * 1000;
/** A validator's message is quoted at most this long. */
const MESSAGE_CHARS = 400;
/** Problems reported per file; the rest are counted. */
const PROBLEMS_PER_FILE = 10;

const TOOL: Record<InstallerFormat, string> = { kickstart: "ksvalidator", preseed: "debconf-set-selections", "cloud-config": "cloud-init schema" };

export interface ValidatorsReport {
  /** Validators that ran, with the distinct files each checked. */
  readonly ran: readonly { readonly tool: string; readonly version?: string; readonly files: number }[];
  /** Validators not installed here, with the files left unchecked. */
  readonly unavailable: readonly { readonly tool: string; readonly files: number }[];
  /** Files no validator could check, and why. */
  readonly unchecked: readonly { readonly reason: string; readonly files: number }[];
  /** What the validators rejected (errors) or warned about, located. */
  readonly issues: readonly CatalogIssue[];
}

/** `ksvalidator (RHEL9) ran on 4 files; cloud-init schema not available (1 file unchecked)` */
export function validatorsLine(r: ValidatorsReport): string {
  const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
  const parts = [
    ...r.ran.map((x) => `${x.tool}${x.version ? ` (${x.version})` : ""} ran on ${files(x.files)}`),
    ...r.unavailable.map((x) => `${x.tool} not available (${files(x.files)} unchecked)`),
    ...r.unchecked.map((x) => `${files(x.files)} not checked: ${x.reason}`),
  ];
  return parts.length ? parts.join("; ") : "no autoinstall file has a validator";
}

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) if (dir && path.isAbsolute(dir) && executable(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

/** Each format's validator command, or undefined where it is not installed. `PROVISIONING_KSVALIDATOR` names ksvalidator. */
export function findValidators(env: NodeJS.ProcessEnv = process.env): Record<InstallerFormat, string | undefined> {
  const ks = env.PROVISIONING_KSVALIDATOR !== undefined ? (executable(env.PROVISIONING_KSVALIDATOR) ? env.PROVISIONING_KSVALIDATOR : undefined) : (onPath("ksvalidator", env) ?? (executable(DEFAULT_KSVALIDATOR) ? DEFAULT_KSVALIDATOR : undefined));
  return { kickstart: ks, preseed: onPath("debconf-set-selections", env), "cloud-config": onPath("cloud-init", env) };
}

let isolation: string[] | undefined;

/** `unshare --net` when it works here (root): the validator then has no network at all. */
function networkIsolation(): string[] {
  if (isolation) return isolation;
  const unshare = ["/usr/bin/unshare", "/bin/unshare"].find(executable);
  const works = unshare !== undefined && process.getuid?.() === 0 && spawnSync(unshare, ["--net", "--", "/bin/true"], { env: {}, timeout: 10_000, stdio: "ignore" }).status === 0;
  isolation = works ? [unshare, "--net", "--"] : [];
  return isolation;
}

interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs `command args… <file>` on `text` written to a file in a fresh empty folder, confined as described above. */
function runTool(command: string, args: readonly string[], text: string, fileName: string): ToolRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "provision-check-"));
  try {
    const file = path.join(dir, fileName);
    fs.writeFileSync(file, text, { mode: 0o600 });
    const [bin, ...pre] = [...networkIsolation(), command];
    const r = spawnSync(bin!, [...pre, ...args, file], { cwd: dir, env: {}, encoding: "utf8", timeout: timeLimitMs(), killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT" || r.signal === "SIGKILL";
    if (r.error && !timedOut) throw r.error;
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", timedOut };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A problem as a validator states it: the line of the text it was given (0: none), what, how bad. */
export interface Problem {
  readonly line: number;
  readonly message: string;
  readonly severity: "error" | "warning";
}

const quoted = (s: string) => {
  const shown = visibleText(s.trim().replace(/\s*\n\s*/g, " "));
  return shown.length > MESSAGE_CHARS ? `${shown.slice(0, MESSAGE_CHARS)}…` : shown;
};

/** ksvalidator's report (its parse errors on stderr, the rest on stdout): `The following problem occurred on line N of the kickstart file:` blocks, or one general message. */
export function ksvalidatorProblems(output: string): Problem[] {
  const body = output.replace(/^\s*Checking kickstart file [^\n]*\n/, "");
  const found = [...body.matchAll(/The following problem occurred on line (\d+) of the kickstart file:\n\n([\s\S]*?)(?=\n+The following problem occurred on line \d+ of the kickstart file:|\n*$)/g)];
  if (found.length > 0) return found.map((m) => ({ line: Number(m[1]), message: m[2]!, severity: "error" }));
  // A deprecation: `Ignoring deprecated option on line N: …`.
  return [{ line: Number(/\bon line (\d+)\b/.exec(body)?.[1] ?? 0), message: body.trim() || "rejected the file", severity: "error" }];
}

/** debconf-set-selections' lines: `warning: Unknown type x, skipping line 3`, `error: parse error on line 4: '…'`. */
export function debconfProblems(stderr: string): Problem[] {
  return stderr
    .split("\n")
    .map((l) => /^(warning|error): (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ line: Number(/\bline (\d+)/.exec(m[2]!)?.[1] ?? 0), message: m[2]!, severity: m[1] as "error" | "warning" }));
}

/**
 * cloud-init's `Cloud config schema errors: key.path: message, …`, or a YAML error at
 * `format-lN.cM`. A schema error is located at the line of its top-level key.
 */
export function cloudInitProblems(stderr: string, text: string): Problem[] {
  const message = stderr.replace(/^\s*Error:\s*/, "").trim() || "rejected the file";
  const yamlAt = /format-l(\d+)\.c\d+/.exec(message);
  if (yamlAt) return [{ line: Number(yamlAt[1]), message, severity: "error" }];
  const key = /^Cloud config schema errors: ([A-Za-z0-9_-]+)[.:]/.exec(message)?.[1];
  const lines = text.split("\n");
  const at = key !== undefined ? lines.findIndex((l) => l.startsWith(`${key}:`) || l.startsWith(`"${key}":`)) : -1;
  return [{ line: at + 1, message, severity: "error" }];
}

function ksVersions(command: string): Set<string> {
  const r = runTool(command, ["-l"], "", "unused");
  return new Set(r.stdout.split("\n").map((l) => l.trim()).filter((l) => /^[A-Z0-9.]+$/.test(l)));
}

const located = (f: InstallerFile, input: ValidatorInput, problem: Problem, tool: string, withServer: boolean): CatalogIssue => {
  const renderedLine = problem.line > 0 ? (input.renderedLines[problem.line - 1] ?? 0) : 0;
  const source = renderedLine > 0 ? f.sources[renderedLine - 1] : null;
  const where = `${f.path}${renderedLine > 0 ? `:${renderedLine}` : ""}${withServer ? ` on server ${f.server}${f.copies ? ` (and ${f.copies} more like it)` : ""}` : ""}`;
  const verb = problem.severity === "error" ? "rejects" : "warns about";
  return {
    file: source?.file ?? f.path,
    line: source?.line ?? renderedLine,
    path: `${f.origin.kind} ${f.origin.name}`,
    message: `${tool} ${verb} ${source || withServer ? where : renderedLine > 0 ? "this line" : "this file"}: ${quoted(problem.message)}`,
    severity: problem.severity,
  };
};

/**
 * Checks every file with its format's validator where it is installed. `withServer` names the
 * server holding each file in messages (a plan; `validate` renders one imaginary server).
 */
export function checkInstallerFiles(files: readonly InstallerFile[], opts: { env?: NodeJS.ProcessEnv; withServer?: boolean } = {}): ValidatorsReport {
  const tools = findValidators(opts.env);
  const issues: CatalogIssue[] = [];
  const ran = new Map<string, { tool: string; version?: string; files: number }>();
  const unavailable = new Map<string, number>();
  const unchecked = new Map<string, number>();
  const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
  let versions: Set<string> | undefined;
  const badVersion = new Set<string>();

  for (const f of files) {
    const command = tools[f.format];
    const tool = TOOL[f.format];
    if (command === undefined) {
      count(unavailable, tool);
      continue;
    }
    let args: string[];
    let fileName: string;
    if (f.format === "kickstart") {
      if (f.osVersion === undefined) {
        count(unchecked, `distribution ${f.distribution} has no osVersion for ksvalidator`);
        continue;
      }
      versions ??= ksVersions(command);
      if (!versions.has(f.osVersion)) {
        if (!badVersion.has(f.distribution)) {
          badVersion.add(f.distribution);
          issues.push({ file: f.distributionAt.file, line: f.distributionAt.line, path: `distribution ${f.distribution}.osVersion`, message: `ksvalidator knows no kickstart version ${f.osVersion} (${knownList(versions)})`, severity: "error" });
        }
        continue;
      }
      // No -i: an %include names a file or URL that only the installing machine reads.
      args = ["-v", f.osVersion];
      fileName = "ks.cfg";
    } else if (f.format === "preseed") {
      args = ["-c"];
      fileName = "preseed.cfg";
    } else {
      args = ["schema", "--config-file"];
      fileName = "user-data";
    }
    const input = validatorInput(f.format, f.content);
    const run = runTool(command, args, input.text, fileName);
    const key = `${tool}\0${f.osVersion ?? ""}`;
    const seen = ran.get(key) ?? { tool, ...(f.osVersion ? { version: f.osVersion } : {}), files: 0 };
    ran.set(key, { ...seen, files: seen.files + 1 });
    for (const line of input.neutralized) {
      issues.push(located(f, input, { line: input.renderedLines.indexOf(line) + 1, message: "%ksappend is not followed by the check (the installer fetches it)", severity: "warning" }, tool, opts.withServer ?? false));
    }
    let problems: Problem[];
    if (run.timedOut) problems = [{ line: 0, message: `did not finish within ${timeLimitMs() / 1000} s and was stopped (PROVISIONING_VALIDATOR_TIMEOUT sets the limit in seconds)`, severity: "error" }];
    else if (f.format === "kickstart") problems = run.status === 0 ? [] : ksvalidatorProblems(`${run.stdout}\n${run.stderr}`);
    else if (f.format === "preseed") problems = debconfProblems(run.stderr);
    else problems = run.status === 0 ? [] : cloudInitProblems(run.stderr, input.text);
    // A validator that failed without saying why still rejected the file.
    if (run.status !== 0 && !problems.some((p) => p.severity === "error")) problems.push({ line: 0, message: `exited ${run.status ?? "on a signal"}: ${run.stderr || run.stdout}`, severity: "error" });
    issues.push(...problems.slice(0, PROBLEMS_PER_FILE).map((p) => located(f, input, p, f.format === "kickstart" ? `${tool} -v ${f.osVersion}` : tool, opts.withServer ?? false)));
    if (problems.length > PROBLEMS_PER_FILE) issues.push({ file: f.path, line: 0, path: `${f.origin.kind} ${f.origin.name}`, message: `${tool}: ${problems.length - PROBLEMS_PER_FILE} more problems`, severity: "error" });
  }
  // In one order whatever the files' order: kickstart, preseed, cloud-config.
  const rank = (tool: string) => Object.values(TOOL).indexOf(tool);
  return {
    ran: [...ran.values()].sort((a, b) => rank(a.tool) - rank(b.tool) || (a.version ?? "").localeCompare(b.version ?? "")),
    unavailable: [...unavailable].map(([tool, n]) => ({ tool, files: n })).sort((a, b) => rank(a.tool) - rank(b.tool)),
    unchecked: [...unchecked].map(([reason, n]) => ({ reason, files: n })),
    issues,
  };
}
