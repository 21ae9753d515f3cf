// `npm run pulumi -- <args>`: the pinned Pulumi CLI with the project's program.
//
// With a standard Pulumi install the CLI starts the Node language host itself and this is a plain
// pass-through. The Go module proxy serves no build of that language host, so when it is absent
// the program's language runtime is hosted here, in-process (as the Automation API does for
// inline programs), and the real CLI is pointed at it with `--client`. The engine, its diff,
// previews, state and plugins are the CLI's own either way.
import * as grpc from "@grpc/grpc-js";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

/** Verbs that run the program, so need a language runtime. */
const PROGRAM_VERBS = new Set(["up", "update", "preview", "pre", "destroy", "refresh", "import", "watch"]);

function pulumiPath(): string {
  const found = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error("pulumi is not on PATH: run through `npm run pulumi` (scripts/with-toolchain.js)");
  return fs.realpathSync(found);
}

function hasLanguageHost(pulumi: string): boolean {
  return fs.existsSync(path.join(path.dirname(pulumi), "pulumi-language-nodejs"));
}

function programMain(projectDir: string): string {
  const project = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { main?: string };
  return path.resolve(projectDir, project.main ?? ".");
}

/** Requires the program afresh on every run: `up` without --skip-preview runs it twice. */
function inlineProgram(main: string): () => Promise<Record<string, unknown>> {
  return async () => {
    // The SDK captures a stack trace per resource and promise; mapping each through tsx's source
    // maps was a third of the program's CPU at fleet scale (bench/ANALYSIS.md). Program errors
    // that users see are catalog errors with YAML positions, not stack traces.
    if (process.env.PROVISIONING_SOURCE_MAPS !== "1") process.setSourceMapsEnabled(false);
    for (const key of Object.keys(require.cache)) {
      if (key !== __filename && !key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
    }
    return require(main);
  };
}

async function runWithInlineHost(pulumi: string, args: string[], verbIndex: number): Promise<number> {
  // Internal modules of @pulumi/pulumi: the same ones the Automation API uses for inline programs.
  const { LanguageServer } = require("@pulumi/pulumi/automation/server");
  const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
  const { grpcChannelOptions } = require("@pulumi/pulumi/runtime");

  const server = new grpc.Server({ ...grpcChannelOptions });
  const languageServer = new LanguageServer(inlineProgram(programMain(process.cwd())));
  server.addService(langrpc.LanguageRuntimeService, languageServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const cliArgs = [
    ...args.slice(0, verbIndex + 1),
    `--client=127.0.0.1:${port}`,
    "--exec-kind=auto.inline",
    ...args.slice(verbIndex + 1),
  ];
  const child = spawn(pulumi, cliArgs, { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1))));
  languageServer.onPulumiExit(code !== 0);
  server.forceShutdown();
  return code;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const pulumi = pulumiPath();
  const verbIndex = args.findIndex((a) => PROGRAM_VERBS.has(a));
  if (verbIndex < 0 || hasLanguageHost(pulumi)) {
    return spawnSync(pulumi, args, { stdio: "inherit" }).status ?? 1;
  }
  return runWithInlineHost(pulumi, args, verbIndex);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`pulumi: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
