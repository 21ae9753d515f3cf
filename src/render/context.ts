/**
 * What a template sees. Documented here because catalog authors write against it.
 *
 * Autoinstall and config templates:
 * - `profile`: `{ name, variables, kernelOptions, kernelArgs, configFiles }`
 *   - `variables`: resolved along the parent chain; a `{secret: NAME}` value prints as a token
 *     that the child gets the secret's value for (see secretTokens.ts).
 *   - `kernelOptions`: distribution options merged with the profile chain (a map).
 *   - `kernelArgs`: the rendered kernel command line (`key=value`, bare `key` for `true`), keys sorted.
 *   - `configFiles`: `[{ name, destination, mode, url }]` sorted by name; `url` is where the
 *     installer downloads the file from this child (`<httpBase>/files/<profile>/<name>`).
 * - `distribution`: `{ name, arch, breed, installTree, kernelOptions, kernelPath, initrdPath }`,
 *   paths relative to the TFTP root (`images/<dist>/vmlinuz`, `images/<dist>/initrd.img`).
 * - `server`: `{ name, site, labels, address, tftpPort, httpPort, httpBase }`,
 *   `httpBase` = `http://<address>:<httpPort>`.
 * - `autoinstallUrl`: `<httpBase>/autoinstall/<profile>.cfg`.
 *
 * Kernel option values may themselves be templates (`inst.ks: "{{ autoinstallUrl }}"`); they
 * see the same context without `profile.kernelArgs`.
 *
 * Menu templates (`pxelinux-menu`, `grub-menu`, `ipxe-menu`): `server`, and `entries`, one per
 * served profile sorted by name: `{ profile, distribution, kernelArgs, autoinstallUrl }`
 * (`profile` is the name, `distribution` the object above), and `hosts`, the hosts the server
 * holds: `{ name, macs, entries }` (`entries[i]`: the GRUB entry of `macs[i]`, relative to grub/).
 *
 * For a host (a machine by MAC), its autoinstall and config files see the same context with its
 * variables over the profile's, and `host`: `{ name, mac, ip, interfaces: [{mac, ip}], netboot }`
 * (`mac`, `ip`: its first interface's); `autoinstallUrl` is `<httpBase>/hosts/<host>/<token>/autoinstall.cfg`
 * and config file URLs are `<httpBase>/hosts/<host>/<token>/files/<name>`, where `<token>` is the
 * host's install token (a secret: rendered text holds a token for it). `report` tells the child
 * the install ended: `{ url, done, failed }` (see reportContext). Without a host, `host` and
 * `report` are undefined (`{% if host %}`). Per-host boot entries (`pxelinux-host`, `grub-host`, `ipxe-host`)
 * see `server`, `host` and `entry` (one menu entry as above, for the host's profile).
 */
import type { ResolvedHost } from "../catalog/hosts";
import type { ResolvedCatalog, ResolvedProfile } from "../catalog/resolve";
import { type Server, secretRefName } from "../catalog/schema";
import { DEFAULT_FILE_MODE, autoinstallHttpPath, configFileHttpPath, hostAutoinstallUrlPath, hostConfigFileUrlPath, hostReportUrlPath, initrdTftpPath, kernelTftpPath } from "./layout";
import { hostTokenName } from "./secretTokens";

/** Records the secrets a render read: per file (`used`, reset before each render) and in all. */
export interface SecretTracker {
  used: Set<string>;
  names: Set<string>;
  /** What a secret prints as. */
  token: (name: string) => string;
}

export function serverContext(server: Server) {
  const host = server.address.includes(":") ? `[${server.address}]` : server.address;
  return {
    name: server.name,
    site: server.site,
    labels: server.labels,
    address: server.address,
    tftpPort: server.tftpPort,
    httpPort: server.httpPort,
    httpBase: `http://${host}:${server.httpPort}`,
  };
}
export type ServerContext = ReturnType<typeof serverContext>;

export function distributionContext(resolved: ResolvedCatalog, name: string) {
  const d = resolved.distributions.get(name)!;
  return {
    name: d.name,
    arch: d.arch,
    breed: d.breed,
    installTree: d.installTree,
    kernelOptions: d.kernelOptions,
    kernelPath: kernelTftpPath(d.name),
    initrdPath: initrdTftpPath(d.name),
  };
}
export type DistributionContext = ReturnType<typeof distributionContext>;

/** Variables with secret references turned into getters, so a render knows whether it read one. */
function variablesView(vars: ResolvedProfile["variables"], tracker: SecretTracker) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) {
    const name = secretRefName(v);
    if (name !== undefined) {
      Object.defineProperty(out, k, {
        enumerable: true,
        get: () => {
          tracker.used.add(name);
          tracker.names.add(name);
          return tracker.token(name);
        },
      });
    } else out[k] = v;
  }
  return out;
}

/** Kernel command line: keys sorted, `true` as a bare flag, values rendered as inline templates. */
export function renderKernelArgs(resolved: ResolvedCatalog, profile: ResolvedProfile, context: object): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(profile.kernelOptions)) {
    if (v === true) parts.push(k);
    else {
      const where = { file: profile.origin.file, line: profile.origin.keyLines[`kernelOptions.${k}`] ?? profile.origin.line, path: `${profile.origin.path}.kernelOptions.${k}` };
      parts.push(`${k}=${typeof v === "number" ? String(v) : resolved.engine.renderInline(v, context, where)}`);
    }
  }
  return parts.join(" ");
}

/**
 * How an installer reports to the child that holds the host: `done` and `failed` are shell
 * commands (busybox wget in the Debian installer, curl where wget is missing) that POST the token
 * in the body, never in the URL. `failed` sends the shell variable `$reason` (`reason=no-disk;
 * {{ report.failed }}`); the child keeps a short, sanitised copy of it.
 */
export function reportContext(server: ServerContext, host: string, token: string) {
  const url = `${server.httpBase}/${hostReportUrlPath(host)}`;
  const post = (status: string, body: string) => `wget -q -O /dev/null --post-data "${body}" ${url}/${status} || curl -fsS -o /dev/null --data "${body}" ${url}/${status}`;
  return { url, done: post("done", `token=${token}`), failed: post("failed", `token=${token}&reason=$reason`) };
}

/** What a template sees of a host (see above). */
export function hostContext(host: ResolvedHost) {
  const first = host.interfaces[0]!;
  return { name: host.name, mac: first.mac, ip: first.ip ?? null, interfaces: host.interfaces.map((i) => ({ mac: i.mac, ip: i.ip ?? null })), netboot: host.netboot };
}

/**
 * Full template context for one served profile on one server, or for a host's profile (with the
 * host's variables and its own URLs). `tracker` learns about secret reads.
 */
export function profileContext(resolved: ResolvedCatalog, server: ServerContext, profileName: string, tracker: SecretTracker, host?: ResolvedHost) {
  const p = resolved.profiles.get(profileName)!;
  const distribution = distributionContext(resolved, p.distribution!);
  // A host's URLs carry its token (a secret token here; the child gets the value).
  const token = host ? tracker.token(hostTokenName(host.name, host.generation)) : "";
  const autoinstallUrl = `${server.httpBase}/${host ? hostAutoinstallUrlPath(host.name, token) : autoinstallHttpPath(p.name)}`;
  const configFiles = p.configFiles.map((name) => {
    const cf = resolved.configFiles.get(name)!;
    const url = `${server.httpBase}/${host ? hostConfigFileUrlPath(host.name, token, name) : configFileHttpPath(p.name, name)}`;
    return { name, destination: cf.destination, mode: cf.mode ?? DEFAULT_FILE_MODE, url };
  });
  const profile: Record<string, unknown> = {
    name: p.name,
    variables: variablesView(host ? host.variables : p.variables, tracker),
    kernelOptions: p.kernelOptions,
    configFiles,
  };
  const ctx = { profile, distribution, server, autoinstallUrl, ...(host ? { host: hostContext(host), report: reportContext(server, host.name, token) } : {}) };
  const before = new Set(tracker.used);
  tracker.used.clear();
  const kernelArgs = renderKernelArgs(resolved, p, ctx);
  const kernelArgsSecrets = [...tracker.used];
  tracker.used = new Set([...before, ...kernelArgsSecrets]);
  Object.defineProperty(profile, "kernelArgs", {
    enumerable: true,
    get: () => {
      for (const n of kernelArgsSecrets) tracker.used.add(n);
      return kernelArgs;
    },
  });
  return { context: ctx, kernelArgs, kernelArgsSecrets, autoinstallUrl, distribution };
}
