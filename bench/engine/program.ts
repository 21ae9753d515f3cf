// The engine benchmark's Pulumi program: the stack's catalog and servers (as stacks/index.ts reads
// them), each server a ProvisioningServer-typed component (with the server's selection as its
// inputs) holding the product's resources, with the same inputs and providers as
// components/provisioningServer.ts: a PlacedTree with every file but the manifest, and the
// manifest as a PlacedFile written after it (the bench catalog has no secrets). Left out: the per-server
// Bootstrap (one resource per server that would start two daemons per child) and the catalog
// object components.
//
// Environment (bench only):
// - BENCH_VARIANT=per-file: the former shape instead, one resource per file (the provider
//   components/provider/placedFileProvider.ts, kept for stacks made with it), for comparison.
// - BENCH_MODE_OVERRIDE=0640: every file gets this mode, so every file differs and is rewritten
//   through the provider: the engine's re-copy-everything baseline.
// - BENCH_PROGRAM_TIMING=<file>: appends "<ms> <resources>" when registration is done.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { loadCatalog, readStackConfig, render, resolveCatalog } from "../../src";
import { PlacedFile } from "../../components/placedFile";
import { PlacedTree } from "../../components/placedTree";
import { TYPE, fileResourceName, treeResourceName } from "../../components/names";
import { selectedObjectHashes } from "../../components/provisioningServer";
import { MANIFEST_PATH } from "../../src/render/layout";

const t0 = Date.now();
const config = new pulumi.Config("provisioning");
const stack = readStackConfig(process.cwd(), pulumi.getStack());
if (!stack.catalogPath) throw new Error(`${stack.file}: provisioning:catalog is not set`);
const catalog = resolveCatalog(loadCatalog(stack.catalogPath));
const perFile = process.env.BENCH_VARIANT === "per-file";
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
  const entry = (f: (typeof tree.files)[number]) => ({
    mode: modeOverride ?? f.mode,
    originKind: f.origin.kind,
    originName: f.origin.name,
    sha256: f.sha256,
    ...(f.content !== undefined ? { content: f.content } : {}),
    ...(f.sourcePath ? { sourcePath: f.sourcePath } : {}),
  });
  const placeFile = (file: (typeof tree.files)[number], dependsOn: pulumi.Resource[]) => {
    resources++;
    return new PlacedFile(fileResourceName(server.name, file.path), { props: { ...connection, path: file.path, ...entry(file) } }, { parent, dependsOn });
  };
  const manifest = tree.files.find((f) => f.path === MANIFEST_PATH)!;
  const others = tree.files.filter((f) => f !== manifest);
  if (perFile) {
    placeFile(manifest, others.map((f) => placeFile(f, [])));
    continue;
  }
  resources++;
  const files = new PlacedTree(treeResourceName(server.name), { props: { ...connection, files: Object.fromEntries(others.map((f) => [f.path, entry(f)])) } }, { parent });
  placeFile(manifest, [files]);
}
// How long the program took to load, render and register (read by bench/engine.ts).
if (process.env.BENCH_PROGRAM_TIMING) fs.appendFileSync(process.env.BENCH_PROGRAM_TIMING, `${Date.now() - t0} ${resources}\n`);
