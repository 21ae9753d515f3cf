/**
 * Rendering: a server's selection → the child's file tree (layout.ts), every file with its
 * sha256, mode and the object it comes from. Byte-for-byte deterministic: inputs are iterated
 * in sorted order, never in YAML order.
 */
import { type PayloadFile, sha256Hex } from "../catalog/checksums";
import { CatalogError } from "../catalog/errors";
import type { ResolvedCatalog } from "../catalog/resolve";
import type { Server } from "../catalog/schema";
import { type Selection, select } from "../select";
import { compareStrings } from "../util/canonical";
import { IPXE_MENU, GRUB_MENU, PXELINUX_MENU } from "./builtinTemplates";
import { type SecretTracker, profileContext, serverContext } from "./context";
import { DEFAULT_FILE_MODE, MANIFEST_PATH, MENU_PATHS, autoinstallPath, bootLoaderPath, configFilePath, initrdPath, kernelPath } from "./layout";
import { TemplateFailure } from "./templateEngine";

export type FileOriginKind = "bootLoader" | "configFile" | "distribution" | "profile" | "template" | "manifest";

export interface PlacedFile {
  /** Relative to the child's root, e.g. `tftp/pxelinux.cfg/default`. */
  readonly path: string;
  readonly sha256: string;
  /** Bytes; null for a URL payload whose size is unknown until fetched. */
  readonly size: number | null;
  readonly mode: string;
  readonly origin: { readonly kind: FileOriginKind; readonly name: string };
  /** UTF-8 text of a rendered file. */
  readonly content?: string;
  /** Absolute path of a payload on the central machine (kernel, initrd, boot loader file). */
  readonly sourcePath?: string;
  /** URL of a payload declared by URL (to fetch and check against sha256). */
  readonly sourceUrl?: string;
  /** True when a `{secret: NAME}` value was read to render it. */
  readonly secret: boolean;
}

export interface ServerTree {
  readonly server: string;
  readonly selection: Selection;
  /** Sorted by path; manifest.json included. */
  readonly files: readonly PlacedFile[];
  /** Names of the secrets read to render this tree (render again with their values). */
  readonly secretNames: readonly string[];
}

export interface RenderOptions {
  /**
   * Secret values by NAME (stack secret `provisioning:NAME`).
   * @default {} - every secret renders as the placeholder `[secret:NAME]`
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** A selection already computed for this server. @default select(resolved, server) */
  readonly selection?: Selection;
}

function textFile(path: string, content: string, origin: PlacedFile["origin"], secret: boolean, mode = DEFAULT_FILE_MODE): PlacedFile {
  const bytes = Buffer.from(content, "utf8");
  return { path, sha256: sha256Hex(bytes), size: bytes.length, mode, origin, content, secret };
}

export function render(resolved: ResolvedCatalog, server: Server, options: RenderOptions = {}): ServerTree {
  const selection = options.selection ?? select(resolved, server);
  const secrets = options.secrets ?? {};
  const tracker: SecretTracker = { used: false, names: new Set() };
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
  let menuSecret = false;
  const distributions = new Set<string>();
  for (const name of selection.profiles) {
    const p = resolved.profiles.get(name)!;
    const pc = guarded(`kernel options of profile ${name}`, () => profileContext(resolved, srv, name, secrets, tracker));
    distributions.add(p.distribution!);
    menuSecret ||= pc.kernelArgsSecret;
    entries.push({ profile: name, distribution: pc.distribution, kernelArgs: pc.kernelArgs, autoinstallUrl: pc.autoinstallUrl });

    tracker.used = false;
    const ks = guarded(`autoinstall of profile ${name}`, () => resolved.engine.render(p.autoinstall!, pc.context));
    files.push(textFile(autoinstallPath(name), ks, { kind: "profile", name }, tracker.used));
    for (const cfName of p.configFiles) {
      const cf = resolved.configFiles.get(cfName)!;
      tracker.used = false;
      const text = guarded(`config file ${cfName} of profile ${name}`, () => resolved.engine.render(cf.template, pc.context));
      files.push(textFile(configFilePath(name, cfName), text, { kind: "configFile", name: cfName }, tracker.used));
    }
  }

  const menuContext = { server: srv, entries };
  for (const menu of [PXELINUX_MENU, GRUB_MENU, IPXE_MENU]) {
    const text = guarded(`menu ${menu}`, () => resolved.engine.render(menu, menuContext));
    files.push(textFile(MENU_PATHS[menu]!, text, { kind: "template", name: menu }, menuSecret));
  }

  const payloadFile = (path: string, payload: PayloadFile, origin: PlacedFile["origin"]): PlacedFile => ({
    path,
    sha256: payload.sha256,
    size: payload.size,
    mode: DEFAULT_FILE_MODE,
    origin,
    ...(payload.sourcePath !== undefined ? { sourcePath: payload.sourcePath } : {}),
    ...(payload.sourceUrl !== undefined ? { sourceUrl: payload.sourceUrl } : {}),
    secret: false,
  });
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
  const manifest = {
    server: server.name,
    files: files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, mode: f.mode, origin: { kind: f.origin.kind, name: f.origin.name } })),
  };
  // The manifest carries the hashes of secret files, so it is as secret as they are.
  const manifestSecret = files.some((f) => f.secret);
  files.push(textFile(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`, { kind: "manifest", name: server.name }, manifestSecret));
  files.sort((a, b) => compareStrings(a.path, b.path));
  return { server: server.name, selection, files, secretNames: [...tracker.names].sort(compareStrings) };
}
