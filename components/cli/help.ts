/** What `provision --help` and `provision <command> --help` print: every command, its options, one example. */

export interface CommandHelp {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  readonly options: readonly (readonly [flag: string, meaning: string])[];
  readonly example: string;
}

const PROJECT: readonly [string, string] = ["--project DIR", "folder holding stacks/Pulumi.<stack>.yaml (default: the current directory)"];

export const COMMANDS: readonly CommandHelp[] = [
  {
    name: "validate",
    synopsis: "validate <catalog> [--payload-root DIR…]",
    summary: "load, validate, resolve and render-check a catalog (a YAML file or a folder of them)",
    options: [["--payload-root DIR", "a folder besides the catalog's own that local payloads may come from (repeatable)"]],
    example: "provision validate stacks/catalogs/example",
  },
  {
    name: "select",
    synopsis: "select <catalog> --stack S --server NAME [--json]",
    summary: "the objects one server holds, each with the reason, and the files they render to",
    options: [["--stack S", "the stack whose server entries to read"], ["--server NAME", "the server"], ["--json", "{server, objects, files} as JSON"], PROJECT],
    example: "provision select stacks/catalogs/example --stack dev --server pxe-east --json",
  },
  {
    name: "impact",
    synopsis: "impact (<before> <after> | --base REF) --stack S [--json|--markdown]",
    summary: "the servers, objects and files a catalog change touches, with each file's masked diff, predicted without Pulumi, state or secrets",
    options: [
      ["--stack S", "the stack whose servers to compare on"],
      ["--base REF", "instead of two folders: the stack's catalog now against itself at this git revision (CI: the merge base)"],
      ["--json", "{touched, servers, changes} as JSON"],
      ["--markdown", "a pull-request comment"],
      PROJECT,
    ],
    example: "provision impact --base origin/main --stack dev --markdown",
  },
  {
    name: "plan",
    synopsis: "plan --stack S | --stacks GLOB [--json|--markdown] [--html FILE] [--refresh] [--base REF]",
    summary: "runs `pulumi preview` on the stack and groups its steps by server, object and file, with each file's masked diff and the rollout order",
    options: [
      ["--stack S", "the stack to preview"],
      ["--stacks GLOB", "site stacks: every stack whose stack file matches (e.g. 'site-*'), previewed in parallel, one report; servers named <stack>/<server>"],
      ["--parallel N", "with --stacks: at most N stacks at once (default 4)"],
      ["--base REF", "render the catalog at this git revision for the text before each change (CI: the merge base); without it, the content store of this machine"],
      ["--json", "the same shape as impact --json, from the engine"],
      ["--markdown", "a pull-request comment"],
      ["--html FILE", "also write the self-contained report page (servers × objects matrix)"],
      ["--refresh", "read the children first: drift (hand edits, deletions, stopped daemons) shows per server"],
      ["--project DIR", "the Pulumi project (Pulumi.yaml) (default: the current directory)"],
    ],
    example: "provision plan --stack dev --base origin/main --markdown > plan.md",
  },
  {
    name: "up",
    synopsis: "up --stack S [--wave N] | up --stacks GLOB [--wave N]",
    summary: "applies the stack's rollout waves in order, each a `pulumi up` targeted at exactly that wave's changes, and stops at the first that fails; with --stacks, every matching stack in parallel, each one `pulumi up` in which a wave waits for the one before (its barrier), one result line each",
    options: [
      ["--stack S", "the stack"],
      ["--wave N", "only this wave (with --stacks, only that wave of each stack)"],
      ["--stacks GLOB", "site stacks: every stack whose stack file matches, at once; exit 1 if any failed"],
      ["--parallel N", "with --stacks: at most N stacks at once (default 4)"],
      ["--project DIR", "the Pulumi project (default: the current directory)"],
    ],
    example: "provision up --stack dev",
  },
  {
    name: "power",
    synopsis: "power --stack S HOST… status|on|off|cycle",
    summary: "a host's power through its BMC (provisioning:bmcs of the stack), driven from the child that holds the host; one line per host",
    options: [["--stack S", "the stack whose BMCs, servers and secrets to use"], PROJECT],
    example: "provision power --stack dev web-07 status",
  },
  {
    name: "status",
    synopsis: "status --stack S [--json] [--html FILE] [--host NAME…] [--timeout SECONDS] [--parallel N]",
    summary:
      "where every machine is: each child's daemons and files against its manifest, each host armed, installing, installed, failed or local, with the times and client address its child saw; a child that does not answer is its line (exit 1)",
    options: [
      ["--stack S", "the stack whose children to read"],
      ["--json", "the same as JSON"],
      ["--html FILE", "also write it as an HTML page"],
      ["--host NAME", "only this host (repeat for more); every child is still read"],
      ["--timeout SECONDS", "the time bound per child (default 10)"],
      ["--parallel N", "children read at once (default 16)"],
      PROJECT,
    ],
    example: "provision status --stack dev --host web-07",
  },
  {
    name: "fence",
    synopsis: "fence < text",
    summary: "the text read from stdin as a markdown code block that nothing inside can close (CI: an error in a pull-request comment)",
    options: [],
    example: "provision plan --stack dev 2>&1 >/dev/null | provision fence",
  },
  {
    name: "pulumi",
    synopsis: "pulumi <args…>",
    summary: "the Pulumi CLI with this project's program, hosted in-process where the CLI has no Node language host",
    options: [],
    example: "provision pulumi preview --stack dev",
  },
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.synopsis.length));
  const lines = [
    "Usage: provision <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.flatMap((c) => [`  ${c.synopsis.padEnd(width)}  ${c.summary}`, `  ${"".padEnd(width)}  e.g. ${c.example}`]),
    "",
    "Options: -h, --help (also after a command: provision plan --help)",
    "Exit codes: 0 ok, 1 invalid input or a failed run, 2 usage.",
    "",
  ];
  return lines.join("\n");
}

export function commandUsage(c: CommandHelp): string {
  const width = Math.max(0, ...c.options.map(([f]) => f.length));
  return [
    `Usage: provision ${c.synopsis}`,
    "",
    c.summary,
    ...(c.options.length ? ["", "Options:", ...c.options.map(([f, m]) => `  ${f.padEnd(width)}  ${m}`)] : []),
    "",
    `Example: ${c.example}`,
    "",
  ].join("\n");
}
