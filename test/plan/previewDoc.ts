// Builds `pulumi preview --json` documents shaped like the engine's for the stack program:
// central → ProvisioningServer(<server>) → Bootstrap, the files resource `<server>/files`, and
// the files that are resources of their own `<server>/<path>` (secret ones, the manifest).
import type { PreviewJson, PreviewStep } from "../../src/plan/previewJson";

const STACK = "test";
const PROJECT = "provisioning";
const CENTRAL = "provisioning:index:CentralServer";
const SERVER = `${CENTRAL}$provisioning:index:ProvisioningServer`;
const FILE = `${SERVER}$pulumi-nodejs:dynamic:Resource`;

export const urn = (qualifiedType: string, name: string) => `urn:pulumi:${STACK}::${PROJECT}::${qualifiedType}::${name}`;
export const serverUrn = (server: string) => urn(SERVER, server);
export const fileUrn = (server: string, path: string) => urn(FILE, `${server}/${path}`);
export const treeUrn = (server: string) => urn(FILE, `${server}/files`);

export const sha = (seed: string) => {
  // 64 hex digits derived from a short seed, readable in failures.
  const hex = Buffer.from(seed).toString("hex");
  return hex.repeat(Math.ceil(64 / hex.length)).slice(0, 64);
};

export interface FileSpec {
  path: string;
  sha256: string;
  originKind: string;
  originName: string;
  mode?: string;
  content?: string;
}

const fileInputs = (server: string, f: FileSpec) => ({
  server,
  kind: "local",
  root: `/srv/${server}`,
  path: f.path,
  mode: f.mode ?? "0644",
  originKind: f.originKind,
  originName: f.originName,
  sha256: f.sha256,
  ...(f.content !== undefined ? { content: f.content } : {}),
  __provider: "exports.handler = …",
});

/** A step of a file that is its own resource; `old`/`new` absent for create/delete. */
export function fileStep(op: string, server: string, old: FileSpec | undefined, next: FileSpec | undefined): PreviewStep {
  const path = (next ?? old)!.path;
  const u = fileUrn(server, path);
  return {
    op,
    urn: u,
    ...(old ? { oldState: { urn: u, type: "pulumi-nodejs:dynamic:Resource", parent: serverUrn(server), inputs: fileInputs(server, old) } } : {}),
    ...(next ? { newState: { urn: u, type: "pulumi-nodejs:dynamic:Resource", parent: serverUrn(server), inputs: fileInputs(server, next) } } : {}),
  };
}

const treeInputs = (server: string, files: readonly FileSpec[]) => ({
  server,
  kind: "local",
  root: `/srv/${server}`,
  files: Object.fromEntries(
    files.map((f) => [f.path, { sha256: f.sha256, mode: f.mode ?? "0644", originKind: f.originKind, originName: f.originName, ...(f.content !== undefined ? { content: f.content } : {}) }]),
  ),
  __provider: "exports.handler = …",
});

/**
 * A step of a server's files resource; `old`/`next` absent for create/delete. `found` is what a
 * refresh found (the old state's outputs); by default the old files as written, without content.
 */
export function treeStep(op: string, server: string, old: readonly FileSpec[] | undefined, next: readonly FileSpec[] | undefined, found?: readonly FileSpec[]): PreviewStep {
  const u = treeUrn(server);
  const outputs = (files: readonly FileSpec[]) => treeInputs(server, files.map(({ content: _content, ...f }) => f));
  return {
    op,
    urn: u,
    ...(old ? { oldState: { urn: u, type: "pulumi-nodejs:dynamic:Resource", parent: serverUrn(server), inputs: treeInputs(server, old), outputs: outputs(found ?? old) } } : {}),
    ...(next ? { newState: { urn: u, type: "pulumi-nodejs:dynamic:Resource", parent: serverUrn(server), inputs: treeInputs(server, next) } } : {}),
  };
}

/** A ProvisioningServer step with its `objects` inputs (kind/name → definition hash). */
export function serverStep(op: string, server: string, oldObjects: Record<string, string> | undefined, newObjects: Record<string, string> | undefined): PreviewStep {
  const u = serverUrn(server);
  const state = (objects: Record<string, string>) => ({ urn: u, type: "provisioning:index:ProvisioningServer", inputs: { objects } });
  return { op, urn: u, ...(oldObjects ? { oldState: state(oldObjects) } : {}), ...(newObjects ? { newState: state(newObjects) } : {}) };
}

/** The bootstrap run of a server: a dynamic resource without a `path` input. */
export function bootstrapStep(op: string, server: string): PreviewStep {
  const u = urn(`${SERVER}$provisioning:index:Bootstrap$pulumi-nodejs:dynamic:Resource`, `${server}/bootstrap`);
  const inputs = { server, kind: "local", root: `/srv/${server}`, tftpPort: 69, httpPort: 80 };
  return { op, urn: u, oldState: { urn: u, inputs }, newState: { urn: u, inputs } };
}

/** A catalog object's component below central (not below any server). */
export function objectStep(op: string, kind: string, name: string): PreviewStep {
  const u = urn(`${CENTRAL}$provisioning:index:Template`, `${kind}/${name}`);
  return { op, urn: u, oldState: { urn: u, inputs: { definitionHash: "a" } }, newState: { urn: u, inputs: { definitionHash: "b" } } };
}

export const doc = (steps: PreviewStep[]): PreviewJson => ({ steps });
