// One child provisioning server as one resource: its daemons (bootstrap) and every file it holds.
//
// The inputs name each file by its content key (src/state/fileEntries.ts); the bytes come from the
// content store on the central machine (components/store.ts), with secret tokens replaced by the
// secret values on the way to the child. The child's manifest.json, written last, is the record
// of what it holds: an update writes the files whose bytes differ from it and removes the files it
// lists that left the tree, nothing else. So a change of how the child is reached (user, port, a
// new host name) never deletes what the child holds: the provider asks the child who it is (the
// identity in its manifest) before it cleans anything up. Runs inside Pulumi's dynamic-provider
// host; imports nothing from the program.
import { randomUUID } from "node:crypto";
import { canonicalJson } from "../../src/util/canonical";
import { sha256Hex, sha256PrefixOfKey } from "../../src/state/contentKey";
import { INCOMPLETE_DIGEST } from "../../src/state/serverState";
import { type FilesByDirectory, decodeEntry, flatFiles } from "../../src/state/fileEntries";
import { unmask } from "../../src/render/secretTokens";
import { credentialValueConflict } from "../../src/catalog/secretNamespace";
import { MANIFEST_PATH, type Manifest, manifestText, parseManifest } from "../../src/render/manifest";
import { DHCP_DIR } from "../../src/render/layout";
import { HOST_RECORD_MAX_BYTES, armGeneration, lifeCycleFiles, localVariants, parseHostRecord, sourceOf, switched } from "../../src/state/hostLifeCycle";
import { eachLimited } from "../limit";
import { BOOTSTRAP_SCRIPT, STATUS_SCRIPT, STOP_SERVICES_SCRIPT, bootstrapEnv } from "../scripts";
import { ContentStore } from "../store";
import { validateRelPath } from "../transports/paths";
import type { Transport } from "../transports/transport";
import { type Credentials, type TransportProps, definedOnly, localRoot, sameTransport, transportFor } from "./connection";

/** How the child serves: a change re-runs the bootstrap. */
export interface ServeProps {
  tftpPort: number;
  httpPort: number;
  bindAddress: string;
  install: boolean;
  /** false: only the files are placed; the child's daemons are managed elsewhere. @default true */
  daemons?: boolean;
  /** The child answers PXE clients' DHCP (dnsmasq, as its rendered dhcp/ files say). @default false */
  dhcp?: boolean;
  /** Programs `provision power` runs on this child for the BMCs it reaches (`curl`, `ipmitool`). @default none */
  bmcTools?: string[];
  /** Content key of the bootstrap script: a new script re-runs the bootstrap. */
  script: string;
}

export interface ServerProps {
  server: string;
  transport: TransportProps;
  /** SSH private key and passphrase: a Pulumi secret. */
  credentials?: Credentials;
  serve: ServeProps;
  /** directory → file name → entry: content key, mode, secrets printed (fileEntries.ts). */
  files: FilesByDirectory;
  /** Content key of the server's object list, `kind/name@version` each (components/objectLists.ts). */
  objects: string;
  /** Values of the secrets the files print: a Pulumi secret. */
  secrets?: Record<string, string>;
  /** A version per secret (a keyed hash, not a secret): a new value re-writes the files that print it. */
  secretVersions?: Record<string, string>;
  /** Set when a secret's value is another credential of the stack (a BMC password, another child's key): the files are not placed. */
  credentialConflict?: string;
}

export interface ServerOutputs {
  server: string;
  transport: TransportProps;
  credentials?: Credentials;
  serve: ServeProps;
  /** Digest of the files and secret versions as last placed. */
  digest: string;
  /** Digest of the objects (and their versions) the server holds: a change is recorded, nothing is placed. */
  objectsDigest: string;
  /** sha256 of the manifest.json written last. */
  manifestSha256: string;
  /** The child's identity, as its manifest records it. */
  child: string;
  /** Whether the daemons ran when last looked at (set by create, update and refresh). */
  serving: boolean;
  /** What a refresh found changed on the child: path → "absent" | "changed" (absent when nothing drifted). */
  drift?: Record<string, "absent" | "changed">;
}

// As many as the SSH transport runs at once on one connection (sshd's MaxSessions is 10).
const PARALLEL_FILES = 8;

// Of the files by path, as the state recorded it when it held them so (0.5).
const digestOf = (p: Pick<ServerProps, "files" | "secretVersions">) => sha256Hex(canonicalJson({ files: flatFiles(p.files), secretVersions: p.secretVersions ?? {} })).slice(0, 32);
// The digest of the list's text, as the state recorded it when it held the list itself.
const objectsDigestOf = (p: Pick<ServerProps, "objects">) => sha256PrefixOfKey(p.objects);

const rootOf = (t: TransportProps) => (t.kind === "local" ? localRoot(t.root) : t.root);

function connect(p: { server: string; transport: TransportProps; credentials?: Credentials }): Transport {
  return transportFor(p.server, p.transport, p.credentials);
}

async function readManifest(t: Transport): Promise<{ text: string; manifest?: Manifest } | undefined> {
  const text = await t.readText(MANIFEST_PATH);
  return text === undefined ? undefined : { text, ...(parseManifest(text) ? { manifest: parseManifest(text)! } : {}) };
}

async function runBootstrap(t: Transport, p: ServerProps): Promise<void> {
  if (p.serve.daemons === false) return;
  const r = await t.runScript(
    BOOTSTRAP_SCRIPT,
    bootstrapEnv({ root: rootOf(p.transport), tftpPort: p.serve.tftpPort, httpPort: p.serve.httpPort, bindAddress: p.serve.bindAddress, install: p.serve.install, dhcp: p.serve.dhcp ?? false, bmcTools: p.serve.bmcTools ?? [] }),
  );
  if (r.code !== 0) throw new Error(`bootstrap of ${p.server} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
}

async function stopServices(t: Transport, server: string, transport: TransportProps, serve: ServeProps): Promise<void> {
  if (serve.daemons === false) return;
  const r = await t.runScript(STOP_SERVICES_SCRIPT, { ROOT: rootOf(transport) });
  if (r.code !== 0) throw new Error(`stopping the services of ${server} failed: ${r.stderr.trim()}`);
}

/** A file to place: its bytes (text with secrets in place) or a payload in the store, and the sha256 the child must hold. */
interface Desired {
  readonly path: string;
  readonly mode: string;
  readonly sha256: string;
  readonly size: number;
  readonly text?: Buffer;
  readonly blobPath?: string;
}

/**
 * The catalog's secrets are named apart from the credentials (src/catalog/secretNamespace.ts);
 * this is the check by value, for a catalog secret given the child's key or passphrase under
 * another name, or (as the CentralServer found) another credential of the stack: such a value is
 * never placed in a file the child serves.
 */
function refuseCredentialValues(p: ServerProps): void {
  const conflict = credentialValueConflict(p.secrets ?? {}, [
    { what: "this child's SSH private key", value: p.credentials?.privateKey ?? "", within: true },
    { what: "this child's SSH passphrase", value: p.credentials?.passphrase ?? "" },
  ]);
  if (conflict) throw new Error(`${p.server}: ${conflict}`);
  if (p.credentialConflict) throw new Error(`${p.server}: ${p.credentialConflict}`);
}

function desiredFiles(p: ServerProps, store: ContentStore): Desired[] {
  refuseCredentialValues(p);
  // Every path is checked before anything reaches the child (the transports check again).
  const files = flatFiles(p.files);
  for (const path of Object.keys(files)) validateRelPath(path, p.server);
  return Object.entries(files).map(([path, raw]) => {
    const entry = decodeEntry(raw);
    const blob = store.get(entry.key);
    if (entry.secrets.length === 0) return { path, mode: entry.mode, sha256: blob.sha256, size: blob.size, blobPath: blob.path };
    const text = Buffer.from(unmask(store.readText(entry.key), p.secrets ?? {}), "utf8");
    return { path, mode: entry.mode, sha256: sha256Hex(text), size: text.length, text };
  });
}

/**
 * The hosts whose install reported on the child (build mode, src/state/hostLifeCycle.ts): their
 * generation is the one `armText` gives (the desired arm record on an update, the child's own on
 * a refresh), their record is the child's.
 */
async function switchedHosts(t: Transport, hosts: Iterable<string>, armText: (arm: string) => Promise<string | undefined>): Promise<Set<string>> {
  const out = new Set<string>();
  await eachLimited(lifeCycleFiles(hosts), PARALLEL_FILES, async (f) => {
    if (switched(armGeneration(await armText(f.arm)), parseHostRecord(await t.readText(f.record, HOST_RECORD_MAX_BYTES)))) out.add(f.host);
  });
  return out;
}

/** The desired files with each switched host's served entries holding their local-disk bytes. */
async function withLifeCycle(t: Transport, desired: Desired[]): Promise<Desired[]> {
  const variants = localVariants(desired.map((d) => d.path));
  if (variants.size === 0) return desired;
  const byPath = new Map(desired.map((d) => [d.path, d]));
  const done = await switchedHosts(t, new Set([...variants.values()].map((v) => v.host)), async (arm) => byPath.get(arm)?.text?.toString("utf8"));
  return desired.map((d) => {
    const from = sourceOf(d.path, variants, done);
    return from === d.path ? d : { ...byPath.get(from)!, path: d.path, mode: d.mode };
  });
}

/** Removes what an old location holds of this server: only files its own manifest lists, only if it is that child. */
async function cleanUp(old: ServerOutputs): Promise<void> {
  const t = connect(old);
  const found = await readManifest(t);
  if (found?.manifest?.server !== old.server || found.manifest.child !== old.child) return;
  await eachLimited(found.manifest.files.map((f) => f.path), PARALLEL_FILES, (path) => t.removeFile(path));
  await t.removeFile(MANIFEST_PATH);
  await stopServices(t, old.server, old.transport, old.serve);
}

/**
 * After a write phase failed midway: the child must hold no file of ours that its manifest does
 * not list, or no later update or destroy would ever remove it (both go by the manifest). Files
 * this run created are removed; files it replaced keep their new bytes (the old ones are gone),
 * so the manifest is rewritten to say what is really there: the old entries of untouched files,
 * the new sha256 of replaced ones, and a created file whose removal failed too. Rolling back
 * rather than staging: a stage would still end in renames, each of which can fail the same way.
 * Returns the sha256 of the manifest the child now holds ("" for none).
 */
async function undoUnlisted(t: Transport, server: string, child: string, foundText: string | undefined, held: Map<string, Manifest["files"][number]>, created: readonly string[]): Promise<string> {
  await eachLimited(created, PARALLEL_FILES, async (path) => {
    await t.removeFile(path);
    held.delete(path);
  }).catch(() => undefined);
  if (foundText === undefined && held.size === 0) return "";
  const manifest = Buffer.from(manifestText({ server, child, files: [...held.values()] }), "utf8");
  const sha = sha256Hex(manifest);
  if (foundText !== undefined && sha256Hex(foundText) === sha) return sha;
  try {
    await t.writeFile(MANIFEST_PATH, manifest, sha, "0644");
    return sha;
  } catch {
    return foundText === undefined ? "" : sha256Hex(foundText);
  }
}

/**
 * The error Pulumi's provider host reports as a resource that changed but failed to initialize:
 * the engine records these outputs (the manifest the child really holds, digests that ask for
 * another run) and fails the update. So a later update trusts that manifest, and a destroy after
 * a failed first `up` finds the resource and removes what its manifest lists.
 */
function partiallyApplied(e: Error, p: ServerProps, outs: ServerOutputs): Error {
  const provider = (p as ServerProps & { __provider?: string }).__provider;
  return Object.assign(new Error(e.message), { id: p.server, properties: definedOnly({ ...outs, ...(provider !== undefined ? { __provider: provider } : {}) }), reasons: [e.message] });
}

/**
 * Makes the child hold exactly the desired files (and serve them), given what the last update
 * recorded (`prior`, absent on create).
 */
async function converge(p: ServerProps, prior: ServerOutputs | undefined): Promise<ServerOutputs> {
  const store = new ContentStore();
  const t = connect(p);
  const rendered = desiredFiles(p, store);
  let desired = await withLifeCycle(t, rendered);
  const found = await readManifest(t);
  if (found?.manifest && found.manifest.server !== p.server) {
    throw new Error(`${p.server}: ${rootOf(p.transport)} holds the files of server ${found.manifest.server} (its ${MANIFEST_PATH}); refusing to overwrite them: check transport.root`);
  }
  const moved = prior !== undefined && !sameTransport(prior.transport, p.transport);
  // The same child reached another way (user, port, host name) carries the identity we recorded.
  const sameChild = prior !== undefined && found?.manifest?.child === prior.child;
  const child = found?.manifest?.child ?? randomUUID();
  // A tree that moves (a new root, another machine) starts its daemons once the old ones are
  // gone: on the same machine they would want the same ports.
  const relocated = moved && !sameChild;
  const bootstrap = !prior || moved || prior.serving === false || canonicalJson(prior.serve) !== canonicalJson(p.serve);
  if (bootstrap && !relocated) await runBootstrap(t, p);

  // The manifest is trusted as the record of what the child holds only if it is the one written
  // last; a hand-edited one could name files to remove, so then nothing is pruned.
  const trusted = found?.manifest !== undefined && (prior === undefined || moved || sha256Hex(found.text) === prior.manifestSha256);
  const current = new Map((trusted ? found!.manifest!.files : []).map((f) => [f.path, f]));
  // What a refresh found changed is written again, unless the tree moved to another child.
  const drifted = new Set(relocated ? [] : Object.keys(prior?.drift ?? {}));
  const write = desired.filter((d) => drifted.has(d.path) || current.get(d.path)?.sha256 !== d.sha256 || current.get(d.path)?.mode !== d.mode);
  const wanted = new Set(desired.map((d) => d.path));
  const remove = [...current.keys()].filter((path) => !wanted.has(path) && path !== MANIFEST_PATH);

  // What the child holds of ours, kept as each write and removal lands: on a failure midway it is
  // what the manifest then says (see undoUnlisted).
  const held = new Map((found?.manifest?.files ?? []).map((f) => [f.path, f]));
  const listed = new Set(held.keys());
  const written: string[] = [];
  let manifestSha256: string;
  try {
    await eachLimited(write, PARALLEL_FILES, async (d) => {
      await (d.text ? t.writeFile(d.path, d.text, d.sha256, d.mode) : t.copyFile(d.path, d.blobPath!, d.sha256, d.mode));
      held.set(d.path, { path: d.path, sha256: d.sha256, size: d.size, mode: d.mode });
      written.push(d.path);
    });
    // An installer that reported while installer entries were being written: its entries boot the disk after all.
    const entries = localVariants(rendered.map((d) => d.path));
    const late = written.some((path) => entries.has(path)) ? await withLifeCycle(t, rendered) : desired;
    const switchedLate = late.filter((d, i) => d.sha256 !== desired[i]!.sha256 && written.includes(d.path));
    await eachLimited(switchedLate, PARALLEL_FILES, async (d) => {
      await (d.text ? t.writeFile(d.path, d.text, d.sha256, d.mode) : t.copyFile(d.path, d.blobPath!, d.sha256, d.mode));
      held.set(d.path, { path: d.path, sha256: d.sha256, size: d.size, mode: d.mode });
    });
    if (switchedLate.length > 0) desired = late;
    await eachLimited(remove, PARALLEL_FILES, async (path) => {
      await t.removeFile(path);
      held.delete(path);
    });
    const manifest = Buffer.from(manifestText({ server: p.server, child, files: desired.map((d) => ({ path: d.path, sha256: d.sha256, size: d.size, mode: d.mode })) }), "utf8");
    manifestSha256 = sha256Hex(manifest);
    if (!found || sha256Hex(found.text) !== manifestSha256) await t.writeFile(MANIFEST_PATH, manifest, manifestSha256, "0644");
  } catch (e) {
    const onChild = await undoUnlisted(t, p.server, child, found?.text, held, written.filter((path) => !listed.has(path)));
    // The state keeps what it recorded when that is still true of the child, when the child's
    // manifest was not the one recorded (a hand edit is not to be trusted by the next run either),
    // and for a tree on its way to another child (the next run moves it again, trusting what it
    // finds there); otherwise it records what the child now holds. A first `up` is always
    // recorded: its daemons run.
    if (relocated || (prior !== undefined && (!trusted || onChild === prior.manifestSha256))) throw e;
    throw partiallyApplied(e as Error, p, {
      server: p.server,
      transport: p.transport,
      credentials: p.credentials,
      serve: p.serve,
      digest: INCOMPLETE_DIGEST,
      objectsDigest: INCOMPLETE_DIGEST,
      manifestSha256: onChild,
      child,
      serving: bootstrap || prior?.serving !== false,
    });
  }

  if (relocated) {
    await cleanUp(prior!).catch(() => undefined); // an old host that is gone keeps what it had
    await runBootstrap(t, p);
  } else if ([...write.map((d) => d.path), ...remove].some((path) => path.startsWith(DHCP_DIR))) {
    // New DHCP configuration or reservations: the bootstrap restarts dnsmasq or has it re-read them.
    await runBootstrap(t, p);
  }
  return definedOnly({
    server: p.server,
    transport: p.transport,
    credentials: p.credentials,
    serve: p.serve,
    digest: digestOf(p),
    objectsDigest: objectsDigestOf(p),
    manifestSha256,
    child,
    serving: true,
  });
}

export async function create(props: ServerProps) {
  return { id: props.server, outs: await converge(props, undefined) };
}

/**
 * No replacement, ever: another transport is the same server reached anew (see converge). The
 * Node provider host passes on only `changes` and `replaces`; the preview names the changed files
 * from the old and new `files` inputs (src/plan).
 */
/** Whether the child itself must be visited: anything but the record of the objects it holds changed. */
function childChanges(olds: ServerOutputs, news: ServerProps): boolean {
  return (
    olds.digest !== digestOf(news) ||
    !sameTransport(olds.transport, news.transport) ||
    canonicalJson(olds.credentials ?? null) !== canonicalJson(news.credentials ?? null) ||
    canonicalJson(olds.serve) !== canonicalJson(news.serve) ||
    olds.serving === false ||
    Object.keys(olds.drift ?? {}).length > 0
  );
}

export async function diff(_id: string, olds: ServerOutputs, news: ServerProps) {
  return { changes: childChanges(olds, news) || olds.objectsDigest !== objectsDigestOf(news), replaces: [], deleteBeforeReplace: false };
}

export async function update(_id: string, olds: ServerOutputs, news: ServerProps) {
  // Only an object's definition changed, none of the files it renders to: recorded, the child is not visited.
  if (!childChanges(olds, news)) return { outs: { ...olds, objectsDigest: objectsDigestOf(news) } };
  return { outs: await converge(news, olds) };
}

/** The server left the stack: remove what its manifest lists (if the child is still that one) and stop its daemons. */
export async function remove(_id: string, props: ServerOutputs) {
  const t = connect(props);
  const found = await readManifest(t);
  if (found?.manifest?.server === props.server && found.manifest.child === props.child) {
    await eachLimited(found.manifest.files.map((f) => f.path), PARALLEL_FILES, (path) => t.removeFile(path));
    await t.removeFile(MANIFEST_PATH);
  }
  await stopServices(t, props.server, props.transport, props.serve);
}

/** Refresh: are the daemons up, and does every file the manifest lists still have its bytes? */
export async function read(id: string, props: ServerOutputs) {
  const t = connect(props);
  const status = props.serve.daemons === false ? { stdout: "serving" } : await t.runScript(STATUS_SCRIPT, { ROOT: rootOf(props.transport) });
  const drift: Record<string, "absent" | "changed"> = {};
  const found = await readManifest(t);
  if (!found) drift[MANIFEST_PATH] = "absent";
  else if (sha256Hex(found.text) !== props.manifestSha256 || !found.manifest) drift[MANIFEST_PATH] = "changed";
  // A host entry the child switched to the local disk holds its local variant's bytes: no drift.
  const listed = new Map((found?.manifest?.files ?? []).map((f) => [f.path, f]));
  const variants = localVariants(listed.keys());
  const done = variants.size === 0 ? new Set<string>() : await switchedHosts(t, new Set([...variants.values()].map((v) => v.host)), (arm) => t.readText(arm, HOST_RECORD_MAX_BYTES));
  await eachLimited([...listed.values()], PARALLEL_FILES, async (f) => {
    const actual = await t.hashFile(f.path);
    const expected = listed.get(sourceOf(f.path, variants, done))?.sha256 ?? f.sha256;
    if (actual === undefined) drift[f.path] = "absent";
    else if (actual !== expected) drift[f.path] = "changed";
  });
  const { drift: _old, ...rest } = props;
  return {
    id,
    props: definedOnly({ ...rest, serving: status.stdout.trim() === "serving", ...(Object.keys(drift).length ? { drift: sortedRecord(drift) } : {}) }),
  };
}

const sortedRecord = <V>(r: Record<string, V>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
