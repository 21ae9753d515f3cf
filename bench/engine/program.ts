// The engine benchmark's Pulumi program: the product's CentralServer over the stack's catalog and
// servers, as stacks/index.ts reads them, with each child's daemons left out (`bootstrap:
// { daemons: false }`: two daemons per child would measure the machine, not the engine).
//
// Environment (bench only):
// - BENCH_MODE_OVERRIDE=0640: every file gets this mode, so every file differs and is rewritten
//   through the provider: the engine's re-copy-everything baseline.
// - BENCH_PROGRAM_TIMING=<file>: appends "<ms> <servers>" when registration is done.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "../../src";
import { type FilesByDirectory, byDirectory, flatFiles } from "../../src/state/fileEntries";
import { CentralServer } from "../../components";

const t0 = Date.now();
const config = new pulumi.Config("provisioning");
const stack = readStackConfig(process.cwd(), pulumi.getStack());
if (stack.catalogPaths.length === 0) throw new Error(`${stack.file}: provisioning:catalog is not set`);
const modeOverride = process.env.BENCH_MODE_OVERRIDE;
const servers = stack.servers.map((s) => ({ ...s, bootstrap: { install: false, daemons: false } }));
const central = new CentralServer("central", { catalog: [...stack.catalogPaths], servers, payloadRoots: stack.payloadRoots, secrets: { names: stack.catalogSecrets, lookup: (n) => config.requireSecret(n) }, credentials: (n) => config.requireSecret(n) }, modeOverride ? { transformations: [overrideModes(modeOverride)] } : {});
void central;

/** Every file of every server with another mode: the state's entries all change. */
function overrideModes(mode: string): pulumi.ResourceTransformation {
  return (args) => {
    const files = (args.props as { files?: pulumi.Input<FilesByDirectory> }).files;
    if (args.type !== "pulumi-nodejs:dynamic:Resource" || files === undefined) return undefined;
    const changed = pulumi.output(files).apply((f) => byDirectory(Object.fromEntries(Object.entries(flatFiles(f)).map(([p, e]) => [p, `${e.split(" ")[0]} m=${mode}`]))));
    return { props: { ...args.props, files: changed }, opts: args.opts };
  };
}
// How long the program took to load, render and register (read by bench/engine.ts).
if (process.env.BENCH_PROGRAM_TIMING) fs.appendFileSync(process.env.BENCH_PROGRAM_TIMING, `${Date.now() - t0} ${servers.length}\n`);
