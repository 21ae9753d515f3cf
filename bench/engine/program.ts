// The engine benchmark's Pulumi program: the stack's catalog and servers (as stacks/index.ts reads
// them), each server a ProvisioningServer-typed component holding one PlacedFile per rendered file,
// with the same inputs and provider as components/provisioningServer.ts (and the server's selection
// as its inputs). Left out: the per-server
// Bootstrap (one resource per server that would start two daemons per child) and the catalog
// object components; the per-file resources, which dominate, are the product's own.
//
// Environment (bench only):
// - BENCH_VARIANT=coarse: one resource per server holding its whole tree (bench/engine/treeProvider.ts)
//   instead of one per file; the variant the profile points at.
// - BENCH_MODE_OVERRIDE=0640: every file gets this mode, so every file differs and is rewritten
//   through the provider: the engine's re-copy-everything baseline.
// - BENCH_PROGRAM_TIMING=<file>: appends "<ms> <resources>" when registration is done.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { loadCatalog, readStackConfig, render, resolveCatalog } from "../../src";
import { PlacedFile } from "../../components/placedFile";
import { TYPE, fileResourceName } from "../../components/names";
import { selectedObjectHashes } from "../../components/provisioningServer";
import { ServerTree } from "./serverTree";

const t0 = Date.now();
const config = new pulumi.Config("provisioning");
const stack = readStackConfig(process.cwd(), pulumi.getStack());
if (!stack.catalogPath) throw new Error(`${stack.file}: provisioning:catalog is not set`);
const catalog = resolveCatalog(loadCatalog(stack.catalogPath));
const coarse = process.env.BENCH_VARIANT === "coarse";
const modeOverride = process.env.BENCH_MODE_OVERRIDE || undefined;

// The selection as inputs, as ProvisioningServer has them: the plan reads server steps from this.
class BenchServer extends pulumi.ComponentResource {
  constructor(name: string, objects: Record<string, string>) {
    super(TYPE.server, name, { objects }, {});
  }
}

let resources = 0;
for (const server of stack.servers) {
  const tree = render(catalog, server);
  const parent = new BenchServer(server.name, selectedObjectHashes(catalog, tree));
  const t = server.transport;
  const connection =
    t.kind === "local"
      ? { server: server.name, kind: "local" as const, root: t.root }
      : { server: server.name, kind: "ssh" as const, root: t.root, host: t.host, port: t.port, user: t.user, hostKey: t.hostKey, privateKey: config.requireSecret(t.privateKey.secret) };
  if (coarse) {
    resources++;
    new ServerTree(
      `${server.name}/tree`,
      {
        ...connection,
        files: Object.fromEntries(
          tree.files.map((f) => [
            f.path,
            { sha256: f.sha256, mode: modeOverride ?? f.mode, ...(f.content !== undefined ? { content: f.content } : {}), ...(f.sourcePath ? { sourcePath: f.sourcePath } : {}) },
          ]),
        ),
      },
      { parent },
    );
    continue;
  }
  for (const file of tree.files) {
    resources++;
    new PlacedFile(
      fileResourceName(server.name, file.path),
      {
        props: {
          ...connection,
          path: file.path,
          mode: modeOverride ?? file.mode,
          originKind: file.origin.kind,
          originName: file.origin.name,
          sha256: file.sha256,
          content: file.content,
          sourcePath: file.sourcePath,
        },
      },
      { parent },
    );
  }
}
// How long the program took to load, render and register (read by bench/engine.ts).
if (process.env.BENCH_PROGRAM_TIMING) fs.appendFileSync(process.env.BENCH_PROGRAM_TIMING, `${Date.now() - t0} ${resources}\n`);
