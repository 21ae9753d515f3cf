/** Entry point of `provision`: parses argv, dispatches to a command, decides the exit code. */
import { parseArgs } from "node:util";
import { impactCommand } from "./commands/impact";
import { planCommand } from "./commands/plan";
import { upCommand } from "./commands/up";
import { selectCommand } from "./commands/select";
import { validateCommand } from "./commands/validate";
import { type CommandResult, UsageError } from "./result";

export const USAGE = `Usage: provision <command> [options]

Commands:
  validate <catalog>                                  load, validate, resolve and render-check a catalog
  select <catalog> --stack S --server NAME [--json]   objects and files one server holds, with reasons
  impact <before> <after> --stack S [--json|--markdown]
                                                      servers, objects and files a catalog change touches
  plan --stack S [--json|--markdown] [--html FILE] [--refresh]
                                                      runs \`pulumi preview --json\` and groups it the same way,
                                                      with the rollout order (waves); --refresh reads the
                                                      children first, so drift shows as updates per server
  up --stack S --wave N                               applies one rollout wave: \`pulumi up\` targeted at
                                                      exactly the steps of that wave's servers

Options:
  --project DIR   folder holding stacks/Pulumi.<stack>.yaml (default: current directory);
                  for plan and up, the Pulumi project (Pulumi.yaml)
  -h, --help      show this help

Exit codes: 0 ok, 1 invalid input, 2 usage.
`;

const need = (v: string | undefined, what: string): string => {
  if (v === undefined || v === "") throw new UsageError(`missing ${what}`);
  return v;
};

/** Pure dispatch: argv in, result out (tests call this). */
export function run(argv: readonly string[]): CommandResult {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: "string" },
        server: { type: "string" },
        project: { type: "string" },
        json: { type: "boolean", default: false },
        markdown: { type: "boolean", default: false },
        html: { type: "string" },
        wave: { type: "string" },
        refresh: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    const [verb, ...args] = positionals;
    if (values.help || verb === "help") return { stdout: USAGE, stderr: "", exitCode: 0 };
    const arity = (n: number) => {
      if (args.length !== n) throw new UsageError(`${verb} takes ${n} argument${n === 1 ? "" : "s"}, got ${args.length}`);
    };
    switch (verb) {
      case "validate":
        arity(1);
        return validateCommand({ catalog: args[0]! });
      case "select":
        arity(1);
        return selectCommand({
          catalog: args[0]!,
          stack: need(values.stack, "--stack"),
          server: need(values.server, "--server"),
          json: values.json,
          ...(values.project !== undefined ? { projectDir: values.project } : {}),
        });
      case "impact":
        arity(2);
        if (values.json && values.markdown) throw new UsageError("--json and --markdown are exclusive");
        return impactCommand({
          before: args[0]!,
          after: args[1]!,
          stack: need(values.stack, "--stack"),
          format: values.json ? "json" : values.markdown ? "markdown" : "text",
          ...(values.project !== undefined ? { projectDir: values.project } : {}),
        });
      case "plan":
        arity(0);
        if (values.json && values.markdown) throw new UsageError("--json and --markdown are exclusive");
        return planCommand({
          stack: need(values.stack, "--stack"),
          format: values.json ? "json" : values.markdown ? "markdown" : "text",
          refresh: values.refresh,
          ...(values.html !== undefined ? { html: need(values.html, "--html FILE") } : {}),
          ...(values.project !== undefined ? { projectDir: values.project } : {}),
        });
      case "up": {
        arity(0);
        const wave = need(values.wave, "--wave");
        if (!/^\d+$/.test(wave)) throw new UsageError(`--wave takes a wave number, got "${wave}"`);
        return upCommand({
          stack: need(values.stack, "--stack"),
          wave: Number(wave),
          ...(values.project !== undefined ? { projectDir: values.project } : {}),
        });
      }
      case undefined:
        throw new UsageError("missing command");
      default:
        throw new UsageError(`unknown command "${verb}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      return { stdout: "", stderr: `provision: ${(e as Error).message}\n\n${USAGE}`, exitCode: 2 };
    }
    throw e;
  }
}

export function main(argv: readonly string[] = process.argv.slice(2)): void {
  const r = run(argv);
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}
