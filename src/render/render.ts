/**
 * Rendering: a server's selection → the child's file tree (layout.ts), every file with its
 * sha256, content key, mode and the object it comes from. Byte-for-byte deterministic: inputs
 * are iterated in sorted order, never in YAML order. Secrets print as tokens (secretTokens.ts);
 * the child's manifest.json is written by the provider from what it places, so it is not here.
 */
import type { PayloadFile } from "../catalog/checksums";
import { CatalogError } from "../catalog/errors";
import type { ResolvedCatalog } from "../catalog/resolve";
import type { Server } from "../catalog/schema";
import { type Selection, select } from "../select";
import { contentKey, sha256Hex } from "../state/contentKey";
import { compareStrings } from "../util/canonical";
import { IPXE_MENU, GRUB_MENU, PXELINUX_MENU } from "./builtinTemplates";
import { type SecretTracker, profileContext, serverContext } from "./context";
import { DEFAULT_FILE_MODE, MENU_PATHS, autoinstallPath, bootLoaderPath, configFilePath, initrdPath, kernelPath } from "./layout";
import { secretToken } from "./secretTokens";
import { TemplateFailure } from "./templateEngine";

export type FileOriginKind = "bootLoader" | "configFile" | "distribution" | "profile" | "template";

export interface PlacedFile {
  /** Relative to the child's root, e.g. `tftp/pxelinux.cfg/default`. */
  readonly path: string;
  /** sha256 of the bytes; of the text with secret tokens for a file that prints secrets. */
  readonly sha256: string;
  /** Content key of those bytes: the file's identity in the state and the content store. */
  readonly key: string;
  /** Bytes; null for a URL payload whose size is unknown until fetched. */
  readonly size: number | null;
  readonly mode: string;
  readonly origin: { readonly kind: FileOriginKind; readonly name: string };
  /** UTF-8 text of a rendered file, secrets as tokens. */
  readonly content?: string;
  /** Where a payload's bytes are (kernel, initrd, boot loader file): a file on the central machine or a URL. */
  readonly payload?: { readonly path?: string; readonly url?: string };
  /** Secrets the file prints, sorted. */
  readonly secrets: readonly string[];
}

export interface ServerTree {
  readonly server: string;
  readonly selection: Selection;
  /** Sorted by path. */
  readonly files: readonly PlacedFile[];
  /** Names of the secrets the tree prints, sorted. */
  readonly secretNames: readonly string[];
}

export interface RenderOptions {
  /** What a secret prints as. @default secretToken */
  readonly secretToken?: (name: string) => string;
  /** A selection already computed for this server. @default select(resolved, server) */
  readonly selection?: Selection;
}

function textFile(path: string, content: string, origin: PlacedFile["origin"], secrets: Iterable<string>, mode = DEFAULT_FILE_MODE): PlacedFile {
  const bytes = Buffer.from(content, "utf8");
  const sha256 = sha256Hex(bytes);
  return { path, sha256, key: contentKey(sha256), size: bytes.length, mode, origin, content, secrets: [...new Set(secrets)].sort(compareStrings) };
}

function payloadFile(path: string, payload: PayloadFile, origin: PlacedFile["origin"]): PlacedFile {
  return {
    path,
    sha256: payload.sha256,
    key: contentKey(payload.sha256),
    size: payload.size,
    mode: DEFAULT_FILE_MODE,
    origin,
    payload: payload.sourceUrl !== undefined ? { url: payload.sourceUrl } : { path: payload.sourcePath! },
    secrets: [],
  };
}

export function render(resolved: ResolvedCatalog, server: Server, options: RenderOptions = {}): ServerTree {
  const selection = options.selection ?? select(resolved, server);
  const tracker: SecretTracker = { used: new Set(), names: new Set(), token: options.secretToken ?? secretToken };
  const srv = serverContext(server);
  const files: PlacedFile[] = [];
  const guarded = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof TemplateFailure) {
        throw new CatalogError([{ ...e.issue, message: `${e.issue.message} (rendering ${what} for server ${server.name})` }]);
      }
      throw e;
    }
  };

  const entries = [];
  const menuSecrets = new Set<string>();
  const distributions = new Set<string>();
  for (const name of selection.profiles) {
    const p = resolved.profiles.get(name)!;
    const pc = guarded(`kernel options of profile ${name}`, () => profileContext(resolved, srv, name, tracker));
    distributions.add(p.distribution!);
    for (const n of pc.kernelArgsSecrets) menuSecrets.add(n);
    entries.push({ profile: name, distribution: pc.distribution, kernelArgs: pc.kernelArgs, autoinstallUrl: pc.autoinstallUrl });

    tracker.used.clear();
    const ks = guarded(`autoinstall of profile ${name}`, () => resolved.engine.render(p.autoinstall!, pc.context));
    files.push(textFile(autoinstallPath(name), ks, { kind: "profile", name }, tracker.used));
    for (const cfName of p.configFiles) {
      const cf = resolved.configFiles.get(cfName)!;
      tracker.used.clear();
      const text = guarded(`config file ${cfName} of profile ${name}`, () => resolved.engine.render(cf.template, pc.context));
      files.push(textFile(configFilePath(name, cfName), text, { kind: "configFile", name: cfName }, tracker.used));
    }
  }

  const menuContext = { server: srv, entries };
  for (const menu of [PXELINUX_MENU, GRUB_MENU, IPXE_MENU]) {
    const text = guarded(`menu ${menu}`, () => resolved.engine.render(menu, menuContext));
    files.push(textFile(MENU_PATHS[menu]!, text, { kind: "template", name: menu }, menuSecrets));
  }

  for (const d of [...distributions].sort(compareStrings)) {
    const dist = resolved.distributions.get(d)!;
    files.push(payloadFile(kernelPath(d), dist.kernelFile, { kind: "distribution", name: d }));
    files.push(payloadFile(initrdPath(d), dist.initrdFile, { kind: "distribution", name: d }));
  }
  for (const o of selection.objects) {
    if (o.kind !== "bootLoader") continue;
    for (const f of resolved.bootLoaders.get(o.name)!.placed) files.push(payloadFile(bootLoaderPath(f.fileName), f, { kind: "bootLoader", name: o.name }));
  }

  files.sort((a, b) => compareStrings(a.path, b.path));
  return { server: server.name, selection, files, secretNames: [...tracker.names].sort(compareStrings) };
}
