// Builds `pulumi preview --json` documents shaped like the engine's for the stack program:
// central → ProvisioningServer(<server>) → the server's resource `<server>` (content keys of its
// files by directory, the content key of its object list, secret versions).
import { byDirectory, encodeEntry } from "../../src/state/fileEntries";
import type { ObjectLists } from "../../src/plan/fromPreview";
import type { PreviewJson, PreviewStep } from "../../src/plan/previewJson";
import { objectListKey } from "../../src/state/serverState";

const STACK = "test";
const PROJECT = "provisioning";
const CENTRAL = "provisioning:index:CentralServer";
const SERVER = `${CENTRAL}$provisioning:index:ProvisioningServer`;
const RESOURCE = `${SERVER}$pulumi-nodejs:dynamic:Resource`;

export const urn = (qualifiedType: string, name: string) => `urn:pulumi:${STACK}::${PROJECT}::${qualifiedType}::${name}`;
export const serverUrn = (server: string) => urn(SERVER, server);
export const resourceUrn = (server: string) => urn(RESOURCE, server);

/** A content key derived from a short seed, readable in failures. */
export const key = (seed: string) => `${seed}${"k".repeat(22)}`.slice(0, 22);

export interface FileSpec {
  path: string;
  key: string;
  mode?: string;
  secrets?: string[];
}

export interface ServerState {
  files: FileSpec[];
  objects?: string[];
  secretVersions?: Record<string, string>;
  serve?: Record<string, unknown>;
  transport?: Record<string, unknown>;
  /** The shape a state written before 0.6 holds: files by path, the object list itself. */
  legacy?: boolean;
}

const lists = new Map<string, readonly string[]>();

/** The content key of an object list, remembered as the program's store would hold it. */
function registered(objects: readonly string[]): string {
  const k = objectListKey(objects);
  lists.set(k, [...objects]);
  return k;
}

/** Every object list these documents name, by key: the content store of a machine that ran the program. */
export const knownLists: ObjectLists = (k) => lists.get(k);

const inputs = (server: string, s: ServerState) => ({
  server,
  transport: s.transport ?? { kind: "local", root: `/srv/${server}` },
  serve: s.serve ?? { tftpPort: 69, httpPort: 80, bindAddress: "127.0.0.1", install: true, script: key("script") },
  files: ((flat) => (s.legacy ? flat : byDirectory(flat)))(Object.fromEntries(s.files.map((f) => [f.path, encodeEntry({ key: f.key, mode: f.mode ?? "0644", secrets: f.secrets ?? [] })]))),
  objects: s.legacy ? (s.objects ?? []) : registered(s.objects ?? []),
  ...(s.secretVersions ? { secretVersions: s.secretVersions, secrets: "[secret]" } : {}),
  __provider: "exports.handler = …",
});

/**
 * A step of a server's resource; `old`/`next` absent for create/delete. `outputs` are what the
 * old state's outputs hold beyond the inputs (a refresh's `drift`, `serving`).
 */
export function serverStep(op: string, server: string, old: ServerState | undefined, next: ServerState | undefined, outputs: Record<string, unknown> = {}): PreviewStep {
  const u = resourceUrn(server);
  const parent = serverUrn(server);
  return {
    op,
    urn: u,
    ...(old ? { oldState: { urn: u, type: "pulumi-nodejs:dynamic:Resource", parent, inputs: inputs(server, old), outputs: { server, serving: true, ...outputs } } } : {}),
    ...(next ? { newState: { urn: u, type: "pulumi-nodejs:dynamic:Resource", parent, inputs: inputs(server, next) } } : {}),
  };
}

/** A ProvisioningServer component step (created or deleted with its server; no inputs). */
export function componentStep(op: string, server: string): PreviewStep {
  const u = serverUrn(server);
  return { op, urn: u, oldState: { urn: u, type: "provisioning:index:ProvisioningServer", inputs: {} }, newState: { urn: u, type: "provisioning:index:ProvisioningServer", inputs: {} } };
}

/** A stack-level record below central (the stack key, a wave barrier): not a server. */
export function recordStep(op: string, name: string): PreviewStep {
  const u = urn(`${CENTRAL}$pulumi-nodejs:dynamic:Resource`, name);
  const state = { urn: u, type: "pulumi-nodejs:dynamic:Resource", parent: urn(CENTRAL, "central"), inputs: { record: { wave: 0 }, __provider: "…" } };
  return { op, urn: u, oldState: state, newState: state };
}

export const doc = (steps: PreviewStep[], diagnostics: PreviewJson["diagnostics"] = []): PreviewJson => ({ steps, diagnostics });
