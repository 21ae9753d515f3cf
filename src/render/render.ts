/**
 * Rendering: a server's selection → the child's file tree (layout.ts), every file with its
 * sha256, content key, mode and the object it comes from. Byte-for-byte deterministic: inputs
 * are iterated in sorted order, never in YAML order. Secrets print as tokens (secretTokens.ts);
 * the child's manifest.json is written by the provider from what it places, so it is not here.
 */
import type { PayloadFile } from "../catalog/checksums";
import { type CatalogIssue, CatalogError } from "../catalog/errors";
import type { ResolvedCatalog, ResolvedProfile } from "../catalog/resolve";
import type { Server } from "../catalog/schema";
import { type Selection, select } from "../select";
import { contentKey, sha256Hex } from "../state/contentKey";
import { compareStrings } from "../util/canonical";
import { GRUB_HOST, GRUB_MENU, IPXE_HOST, IPXE_MENU, PXELINUX_HOST, PXELINUX_MENU } from "./builtinTemplates";
import { type SecretTracker, hostContext, profileContext, serverContext } from "./context";
import { dnsmasqConfig, dnsmasqHosts } from "./dhcp";
import {
  DEFAULT_FILE_MODE,
  DHCP_CONFIG_PATH,
  DHCP_HOSTS_PATH,
  MENU_PATHS,
  TFTP_DIR,
  autoinstallPath,
  bootLoaderPath,
  configFilePath,
  hostArmPath,
  hostAutoinstallPath,
  hostConfigFilePath,
  hostGrubPath,
  hostIpxePath,
  hostLocalEntryPath,
  hostPxelinuxPath,
  initrdPath,
  kernelPath,
} from "./layout";
import { hostTokenName, hostTokenSha256Name, isHostTokenName, secretNamesIn, secretToken } from "./secretTokens";
import { TemplateFailure } from "./templateEngine";

export type FileOriginKind = "bootLoader" | "configFile" | "distribution" | "host" | "profile" | "server" | "template";

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
  /** A config file's profile or host: its folder on the child is named after it. */
  readonly holder?: { readonly kind: "profile" | "host"; readonly name: string };
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

/** The arm record the child's handler reads (sh): plain `key=value` lines. */
const armRecord = (generation: string, tokenSha256: string) => `generation=${generation}\ntoken_sha256=${tokenSha256}\n`;

/** Where a rendered text comes from, for an error. */
type Where = Pick<CatalogIssue, "file" | "line" | "path">;
const templateWhere = (resolved: ResolvedCatalog, name: string): Where => {
  const t = resolved.templates.get(name);
  return { file: t?.bodyFile ?? name, line: t?.origin?.line ?? 0, path: `template ${name}` };
};
const kernelOptionsWhere = (p: ResolvedProfile): Where => ({ file: p.origin.file, line: p.origin.keyLines["kernelOptions"] ?? p.origin.line, path: `${p.origin.path}.kernelOptions` });

function textFile(path: string, content: string, origin: PlacedFile["origin"], secrets: Iterable<string>, holder?: PlacedFile["holder"]): PlacedFile {
  const bytes = Buffer.from(content, "utf8");
  const sha256 = sha256Hex(bytes);
  return { path, sha256, key: contentKey(sha256), size: bytes.length, mode: DEFAULT_FILE_MODE, origin, ...(holder ? { holder } : {}), content, secrets: [...new Set(secrets)].sort(compareStrings) };
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
  // A file may hold only its own host's install token, at that host's generation: any other
  // token-shaped name (another host's, another generation's, one a template built) would have the
  // provider write that token's value where this file is served.
  const tokenIssues: CatalogIssue[] = [];
  const withTokens = (text: string, used: Iterable<string>, own: readonly string[], where: Where, path: string): string[] => {
    const tokens = secretNamesIn(text).filter(isHostTokenName);
    for (const n of tokens.filter((t) => !own.includes(t))) {
      tokenIssues.push({ ...where, message: `prints the install token name ${JSON.stringify(n)}, which is not the token of the host ${path} is rendered for (rendering ${path} for server ${server.name}): a file may hold only its own host's token, as {{ autoinstallUrl }} and {{ report.done }} print it`, severity: "error" });
    }
    return [...used, ...tokens.filter((t) => own.includes(t))];
  };
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
    files.push(textFile(autoinstallPath(name), ks, { kind: "profile", name }, withTokens(ks, tracker.used, [], templateWhere(resolved, p.autoinstall!), autoinstallPath(name))));
    for (const cfName of p.configFiles) {
      const cf = resolved.configFiles.get(cfName)!;
      tracker.used.clear();
      const text = guarded(`config file ${cfName} of profile ${name}`, () => resolved.engine.render(cf.template, pc.context));
      files.push(textFile(configFilePath(name, cfName), text, { kind: "configFile", name: cfName }, withTokens(text, tracker.used, [], templateWhere(resolved, cf.template), configFilePath(name, cfName)), { kind: "profile", name }));
    }
  }

  // Hosts: each its own autoinstall and config files, with its variables, and a boot entry per
  // MAC. An armed host (netboot) gets both variants of each entry: the installer's, served, and
  // the local disk's, kept for the child to swap in when its install reports (build mode).
  const held = selection.objects.filter((o) => o.kind === "host").map((o) => resolved.hosts.get(o.name)!);
  for (const h of held) {
    const p = resolved.profiles.get(h.profile)!;
    const origin = { kind: "host", name: h.name } as const;
    const pc = guarded(`kernel options of host ${h.name}`, () => profileContext(resolved, srv, h.profile, tracker, h));
    distributions.add(p.distribution!);
    const tokens = [hostTokenName(h.name, h.generation), hostTokenSha256Name(h.name, h.generation)];
    if (h.netboot) {
      for (const n of tokens) tracker.names.add(n);
      tracker.used.clear();
      const ks = guarded(`autoinstall of host ${h.name}`, () => resolved.engine.render(p.autoinstall!, pc.context));
      files.push(textFile(hostAutoinstallPath(h.name), ks, origin, withTokens(ks, tracker.used, tokens, templateWhere(resolved, p.autoinstall!), hostAutoinstallPath(h.name))));
      for (const cfName of p.configFiles) {
        const cf = resolved.configFiles.get(cfName)!;
        tracker.used.clear();
        const text = guarded(`config file ${cfName} of host ${h.name}`, () => resolved.engine.render(cf.template, pc.context));
        files.push(textFile(hostConfigFilePath(h.name, cfName), text, { kind: "configFile", name: cfName }, withTokens(text, tracker.used, tokens, templateWhere(resolved, cf.template), hostConfigFilePath(h.name, cfName)), origin));
      }
      files.push(textFile(hostArmPath(h.name), armRecord(h.generation, tracker.token(tokens[1]!)), origin, [tokens[1]!]));
    }
    const entry = { profile: h.profile, distribution: pc.distribution, kernelArgs: pc.kernelArgs, autoinstallUrl: pc.autoinstallUrl };
    const host = hostContext(h);
    // A foreign token in the kernel options is theirs; one the entry template adds is the template's.
    const entryWhere = (template: string) => (secretNamesIn(pc.kernelArgs).some((n) => isHostTokenName(n) && !tokens.includes(n)) ? kernelOptionsWhere(p) : templateWhere(resolved, template));
    for (const { mac } of h.interfaces) {
      for (const [template, at] of [[PXELINUX_HOST, hostPxelinuxPath(mac)], [GRUB_HOST, hostGrubPath(mac)], [IPXE_HOST, hostIpxePath(mac)]] as const) {
        const text = guarded(`boot entry ${template} of host ${h.name}`, () => resolved.engine.render(template, { server: srv, host, entry }));
        files.push(textFile(at, text, origin, withTokens(text, pc.kernelArgsSecrets, tokens, entryWhere(template), at)));
        if (!h.netboot) continue;
        const local = guarded(`boot entry ${template} of host ${h.name}`, () => resolved.engine.render(template, { server: srv, host: { ...host, netboot: false }, entry }));
        files.push(textFile(hostLocalEntryPath(h.name, at), local, origin, withTokens(local, pc.kernelArgsSecrets, tokens, entryWhere(template), hostLocalEntryPath(h.name, at))));
      }
    }
  }

  if (server.dhcp) {
    const loaderFor = (firmware: string) => selection.objects.filter((o) => o.kind === "bootLoader").map((o) => resolved.bootLoaders.get(o.name)!).find((b) => b.firmware === firmware)?.bootFile;
    const boot = { ...(loaderFor("bios") ? { bios: loaderFor("bios")! } : {}), ...(loaderFor("uefi") ? { uefi: loaderFor("uefi")! } : {}) };
    const origin = { kind: "server", name: server.name } as const;
    files.push(textFile(DHCP_CONFIG_PATH, dnsmasqConfig(server, server.dhcp, boot), origin, []));
    files.push(textFile(DHCP_HOSTS_PATH, dnsmasqHosts(server.dhcp, held), origin, []));
  }

  // The GRUB menu switches to a host's entry by MAC (GRUB cannot test for a file over TFTP).
  const hosts = held.map((h) => ({ name: h.name, macs: h.interfaces.map((i) => i.mac), entries: h.interfaces.map((i) => hostGrubPath(i.mac).slice(`${TFTP_DIR}/grub/`.length)) }));
  const menuContext = { server: srv, entries, hosts };
  for (const menu of [PXELINUX_MENU, GRUB_MENU, IPXE_MENU]) {
    const text = guarded(`menu ${menu}`, () => resolved.engine.render(menu, menuContext));
    files.push(textFile(MENU_PATHS[menu]!, text, { kind: "template", name: menu }, withTokens(text, menuSecrets, [], templateWhere(resolved, menu), MENU_PATHS[menu]!)));
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

  if (tokenIssues.length > 0) throw new CatalogError(tokenIssues);
  files.sort((a, b) => compareStrings(a.path, b.path));
  return { server: server.name, selection, files, secretNames: [...new Set([...tracker.names, ...files.flatMap((f) => f.secrets)])].sort(compareStrings) };
}
