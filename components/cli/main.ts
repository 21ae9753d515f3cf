/** Entry point of `provision`: parses argv, dispatches to a command, decides the exit code. */
import { parseArgs } from "node:util";
import * as fs from "node:fs";
import { fenceCommand } from "./commands/fence";
import { impactCommand } from "./commands/impact";
import { planCommand } from "./commands/plan";
import { powerCommand } from "./commands/power";
import { statusCommand } from "./commands/status";
import { selectCommand } from "./commands/select";
import { sitesPlanCommand, sitesUpCommand } from "./commands/sites";
import { upCommand } from "./commands/up";
import { validateCommand } from "./commands/validate";
import { COMMANDS, type CommandHelp, commandUsage, usage } from "./help";
import { type CommandResult, failureLine, shownResult, UsageError } from "./result";
import { visibleText } from "../../src/util/visibleText";
import { ToolchainError } from "./toolchain";

const need = (v: string | undefined, what: string): string => {
  if (v === undefined || v === "") throw new UsageError(`missing ${what}`);
  return v;
};

const OPTIONS = {
  stack: { type: "string" },
  server: { type: "string" },
  project: { type: "string" },
  json: { type: "boolean", default: false },
  markdown: { type: "boolean", default: false },
  html: { type: "string" },
  wave: { type: "string" },
  refresh: { type: "boolean", default: false },
  base: { type: "string" },
  stacks: { type: "string" },
  parallel: { type: "string" },
  "payload-root": { type: "string", multiple: true },
  host: { type: "string", multiple: true },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Pure dispatch: argv in, result out (tests call this). `provision pulumi` is not handled here (see main). */
export function run(argv: readonly string[]): CommandResult {
  let command: CommandHelp | undefined;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
    const [verb, ...args] = positionals;
    command = COMMANDS.find((c) => c.name === verb);
    if (verb === "help") {
      const about = COMMANDS.find((c) => c.name === args[0]);
      return { stdout: about ? commandUsage(about) : usage(), stderr: "", exitCode: 0 };
    }
    if (values.help) return { stdout: command ? commandUsage(command) : usage(), stderr: "", exitCode: 0 };
    const arity = (n: number) => {
      if (args.length !== n) throw new UsageError(`${verb} takes ${n} argument${n === 1 ? "" : "s"}, got ${args.length}`);
    };
    const project = values.project !== undefined ? { projectDir: values.project } : {};
    const format = () => {
      if (values.json && values.markdown) throw new UsageError("--json and --markdown are exclusive");
      return values.json ? ("json" as const) : values.markdown ? ("markdown" as const) : ("text" as const);
    };
    switch (verb) {
      case "validate":
        arity(1);
        return validateCommand({ catalog: args[0]!, payloadRoots: values["payload-root"] ?? [] });
      case "select":
        arity(1);
        return selectCommand({ catalog: args[0]!, stack: need(values.stack, "--stack"), server: need(values.server, "--server"), json: values.json, ...project });
      case "impact":
        if (values.base !== undefined) {
          if (args.length > 0) throw new UsageError("impact takes either --base REF or <before> <after>, not both");
          return impactCommand({ base: need(values.base, "--base REF"), stack: need(values.stack, "--stack"), format: format(), ...project });
        }
        arity(2);
        return impactCommand({ before: args[0]!, after: args[1]!, stack: need(values.stack, "--stack"), format: format(), ...project });
      case "fence":
        arity(0);
        return fenceCommand(fs.readFileSync(0, "utf8"));
      case "plan":
        arity(0);
        return planCommand({
          stack: need(values.stack, "--stack"),
          format: format(),
          refresh: values.refresh,
          ...(values.html !== undefined ? { html: need(values.html, "--html FILE") } : {}),
          ...(values.base !== undefined ? { base: need(values.base, "--base REF") } : {}),
          ...project,
        });
      case "up": {
        arity(0);
        const stack = need(values.stack, "--stack");
        if (values.wave !== undefined && !/^\d+$/.test(values.wave)) throw new UsageError(`--wave takes a wave number, got "${values.wave}"`);
        return upCommand({ stack, ...(values.wave !== undefined ? { wave: Number(values.wave) } : {}), ...project });
      }
      case undefined:
        throw new UsageError("missing command");
      default:
        throw new UsageError(`unknown command "${verb}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      return { stdout: "", stderr: `${failureLine((e as Error).message)}\n${command ? commandUsage(command) : usage()}`, exitCode: 2 };
    }
    if (e instanceof ToolchainError) return { stdout: "", stderr: failureLine(e.message), exitCode: 1 };
    throw e;
  }
}

/**
 * Commands over several stacks at once (`plan --stacks`, `up --stacks`) run their stacks in
 * parallel, so they are asynchronous; every other command is `run`.
 */
export async function runAsync(argv: readonly string[]): Promise<CommandResult> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: typeof OPTIONS }>>;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch {
    return run(argv);
  }
  const { values, positionals } = parsed;
  const verb = positionals[0];
  if (verb === "power" && !values.help) {
    const command = COMMANDS.find((c) => c.name === verb)!;
    try {
      const [, ...args] = positionals;
      return await powerCommand({ stack: need(values.stack, "--stack"), hosts: args.slice(0, -1), action: args.at(-1) ?? "", ...(values.project !== undefined ? { projectDir: values.project } : {}) });
    } catch (e) {
      if (e instanceof UsageError) return { stdout: "", stderr: `${failureLine(e.message)}\n${commandUsage(command)}`, exitCode: 2 };
      throw e;
    }
  }
  if (verb === "status" && !values.help) {
    const command = COMMANDS.find((c) => c.name === verb)!;
    const usage = (message: string): CommandResult => ({ stdout: "", stderr: `${failureLine(message)}\n${commandUsage(command)}`, exitCode: 2 });
    if (positionals.length > 1) return usage("status takes no argument");
    if (values.stack === undefined || values.stack === "") return usage("missing --stack");
    if (values.markdown) return usage("status takes --json or --html FILE, not --markdown");
    const timeout = values.timeout !== undefined ? Number(values.timeout) : undefined;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= 3600)) return usage(`--timeout takes seconds (up to 3600), got "${values.timeout}"`);
    const parallel = values.parallel !== undefined ? Number(values.parallel) : undefined;
    if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1 && parallel <= 1000)) return usage(`--parallel takes a number of children, got "${values.parallel}"`);
    return statusCommand({
      stack: values.stack,
      json: values.json,
      ...(values.html !== undefined ? { html: values.html } : {}),
      ...(values.host !== undefined ? { hosts: values.host } : {}),
      ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      ...(parallel !== undefined ? { parallel } : {}),
      ...(values.project !== undefined ? { projectDir: values.project } : {}),
    });
  }
  if (values.stacks === undefined || values.help || (verb !== "plan" && verb !== "up")) return run(argv);
  const command = COMMANDS.find((c) => c.name === verb)!;
  const usage = (message: string): CommandResult => ({ stdout: "", stderr: `${failureLine(message)}\n${commandUsage(command)}`, exitCode: 2 });
  if (values.stack !== undefined) return usage("--stack and --stacks are exclusive");
  if (positionals.length > 1) return usage(`${verb} takes no argument`);
  const parallel = values.parallel !== undefined ? Number(values.parallel) : undefined;
  if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1)) return usage(`--parallel takes a number of stacks, got "${values.parallel}"`);
  const common = { stacks: values.stacks, ...(parallel ? { parallel } : {}), ...(values.project !== undefined ? { projectDir: values.project } : {}) };
  if (verb === "up") {
    if (values.wave !== undefined && !/^\d+$/.test(values.wave)) return usage(`--wave takes a wave number, got "${values.wave}"`);
    return sitesUpCommand({ ...common, ...(values.wave !== undefined ? { wave: Number(values.wave) } : {}) });
  }
  if (values.json && values.markdown) return usage("--json and --markdown are exclusive");
  const format = values.json ? "json" : values.markdown ? "markdown" : "text";
  return sitesPlanCommand({ ...common, format, refresh: values.refresh, ...(values.html !== undefined ? { html: values.html } : {}), ...(values.base !== undefined ? { base: values.base } : {}) });
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] === "pulumi") {
    // Everything after `pulumi` belongs to the Pulumi CLI, `--help` included.
    const { hostPulumi } = await import("./pulumiHost");
    try {
      process.exitCode = await hostPulumi(argv.slice(1));
    } catch (e) {
      process.stderr.write(`provision pulumi: ${visibleText((e as Error).message)}\n`);
      process.exitCode = 1;
    }
    return;
  }
  let result: CommandResult;
  try {
    result = await runAsync(argv);
  } catch (e) {
    // An unexpected failure keeps its stack trace for a bug report, shown like any other text.
    result = { stdout: "", stderr: `provision: ${(e as Error)?.stack ?? String(e)}\n`, exitCode: 1 };
  }
  // `--json` is never an option's value: parseArgs refuses a value starting with "-".
  const r = shownResult(result, argv.includes("--json"));
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}
