/**
 * A host's BMC, driven from the child that holds the host (BMC networks are site-local): power
 * (status, on, off, cycle) and the boot target (the network once, or the disk). The interface:
 *
 *   const { links, warnings, close } = await openBmcs({ projectDir, stack, hosts, secret });
 *   await power(link, "status" | "on" | "off" | "cycle");   // { state?, did }
 *   await setBootTarget(link, "pxe" | "disk");              // pxe: next boot only; disk: from now on
 *   await pxeOnceAndReset(link);                            // the network once, then on or cycle
 *   await close();
 *
 * Each call throws a BmcError naming the host, the BMC and the child, with the HTTP status or
 * ipmitool's message. The password reaches the child only on the stdin of its command (curl's
 * config, `curl -q -K -`; ipmitool's `-E` environment, read from stdin by the script): never in
 * an argument, a file or a message. Redfish redirects are followed only to the same BMC.
 */
import * as path from "node:path";
import {
  type Bmc,
  type BootTarget,
  type HttpAnswer,
  type HttpRequest,
  type IpmiBmc,
  type PowerAction,
  type RedfishBmc,
  bmcChild,
  bmcLabel,
  bmcPlacementIssues,
  bmcTrustIssues,
  bootOverride,
  curlConfig,
  ipmiPowerState,
  ipmitoolCommand,
  odataPath,
  parseCurlOutput,
  redfishMessage,
  redfishPowerState,
  resetTypeFor,
  sameBmcPath,
} from "../../src/bmc";
import { CatalogError, knownList } from "../../src/catalog/errors";
import { loadCatalogInput } from "../../src/catalog/load";
import type { Server } from "../../src/catalog/schema";
import { readStackConfig } from "../../src/stackConfig";
import { hostKeysOf } from "../transports/knownHosts";
import { LocalTransport } from "../transports/local";
import { SshTransport } from "../transports/ssh";
import type { ScriptResult, Transport } from "../transports/transport";

export type { BootTarget, PowerAction } from "../../src/bmc";

/** One host's BMC, reachable through the child that holds the host. */
export interface BmcLink {
  readonly host: string;
  /** The child the commands run on. */
  readonly child: string;
  readonly bmc: Bmc;
  readonly transport: Transport;
  /** The BMC password, from the stack's secret config. */
  readonly password: string;
}

export interface PowerResult {
  /** The power state read (status), when the BMC said it. */
  readonly state?: "on" | "off";
  /** What was done, for the operator. */
  readonly did: string;
}

/** A failure at one host's BMC: the message names the host, the BMC and the child. */
export class BmcError extends Error {
  override readonly name = "BmcError";
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

const where = (l: BmcLink) => `host ${l.host} (BMC ${bmcLabel(l.bmc)}, from child ${l.child})`;

/** What curl or ipmitool printed, on one line: its last lines. */
const lastLines = (text: string) => text.trim().split("\n").filter((line) => line.trim() !== "").slice(-3).join("; ");

/** The message, without the password should a BMC, curl or ipmitool ever echo it. */
const fail = (l: BmcLink, message: string) => new BmcError(l.host, `${where(l)}: ${l.password !== "" ? message.split(l.password).join("***") : message}`);

/** A command on the child; a child that cannot be reached is this host's failure too. */
async function onChild(l: BmcLink, script: string, env: Record<string, string>, input: string): Promise<ScriptResult> {
  try {
    return await l.transport.runScript(script, env, input);
  } catch (e) {
    throw fail(l, `cannot run on the child: ${(e as Error).message}`);
  }
}

// ---- Redfish (curl on the child) -------------------------------------------------------------

/**
 * curl reads its whole config, the password included, on stdin; ~/.curlrc is not read (-q). It
 * runs with PATH alone: nothing of the environment it was started from (on a local child, the
 * CLI's: PULUMI_CONFIG_PASSPHRASE, cloud credentials) reaches it.
 */
export const CURL_SCRIPT = `command -v curl >/dev/null 2>&1 || { echo "curl is not installed on this child" >&2; exit 127; }
exec env -i PATH="$PATH" curl -q -K -
`;

async function request(l: BmcLink & { bmc: RedfishBmc }, req: HttpRequest, hops = 0): Promise<HttpAnswer> {
  const r = await onChild(l, CURL_SCRIPT, {}, curlConfig(l.bmc, l.password, req));
  const answer = parseCurlOutput(r.stdout);
  if (r.code !== 0 || !answer || answer.status === 0) throw fail(l, `${req.method} ${req.path}: curl failed (exit ${r.code}): ${lastLines(r.stderr) || "no error output"}`);
  if (answer.status >= 300 && answer.status < 400) {
    const next = answer.location !== undefined ? sameBmcPath(l.bmc, answer.location, req.path) : undefined;
    if (next === undefined) throw fail(l, `${req.method} ${req.path}: HTTP ${answer.status}: redirect to ${answer.location ?? "nowhere"} refused: not this BMC`);
    if (hops >= 3) throw fail(l, `${req.method} ${req.path}: HTTP ${answer.status}: too many redirects`);
    return request(l, { ...req, path: next }, hops + 1);
  }
  if (answer.status >= 400) {
    const message = redfishMessage(answer.body);
    throw fail(l, `${req.method} ${req.path}: HTTP ${answer.status}${message ? `: ${message}` : ""}`);
  }
  return answer;
}

function json(l: BmcLink, answer: HttpAnswer, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(answer.body) as unknown;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw fail(l, `${what}: the answer is not a JSON object`);
}

/** The system's path: `system` when the stack names it, else the only member of the Systems collection. */
async function systemPath(l: BmcLink & { bmc: RedfishBmc }): Promise<string> {
  if (l.bmc.system !== undefined) return `/redfish/v1/Systems/${l.bmc.system}`;
  const systems = json(l, await request(l, { method: "GET", path: "/redfish/v1/Systems" }), "GET /redfish/v1/Systems");
  const members = Array.isArray(systems.Members) ? (systems.Members as { "@odata.id"?: unknown }[]) : [];
  const paths = members.map((m) => odataPath(l.bmc, m?.["@odata.id"]));
  if (paths.length !== 1 || paths[0] === undefined) throw fail(l, `/redfish/v1/Systems lists ${members.length} systems: name the one with system: <id> in provisioning:bmcs`);
  return paths[0];
}

async function redfishPower(l: BmcLink & { bmc: RedfishBmc }, action: PowerAction): Promise<PowerResult> {
  const sys = await systemPath(l);
  const system = json(l, await request(l, { method: "GET", path: sys }), `GET ${sys}`);
  if (action === "status") {
    const state = redfishPowerState(system.PowerState);
    if (state === undefined) throw fail(l, `GET ${sys}: PowerState is ${JSON.stringify(system.PowerState) ?? "missing"}`);
    return { state, did: `power ${state}` };
  }
  const reset = ((system.Actions ?? {}) as Record<string, { target?: unknown; "ResetType@Redfish.AllowableValues"?: unknown }>)["#ComputerSystem.Reset"];
  const allowed = Array.isArray(reset?.["ResetType@Redfish.AllowableValues"]) ? (reset["ResetType@Redfish.AllowableValues"] as unknown[]).filter((x): x is string => typeof x === "string") : undefined;
  const resetType = resetTypeFor(action, allowed);
  if (resetType === undefined) throw fail(l, `the system offers no ResetType for ${action} (it offers ${allowed?.length ? allowed.join(", ") : "none"})`);
  const target = reset?.target !== undefined ? odataPath(l.bmc, reset.target) : `${sys}/Actions/ComputerSystem.Reset`;
  if (target === undefined) throw fail(l, `the reset action's target ${JSON.stringify(reset?.target)} is not on this BMC`);
  await request(l, { method: "POST", path: target, body: { ResetType: resetType } });
  return { did: `${action}: ResetType ${resetType}` };
}

// ---- IPMI (ipmitool on the child) ------------------------------------------------------------

/**
 * The password arrives on stdin and goes to ipmitool through `-E` (IPMI_PASSWORD in its
 * environment), never an argument. ipmitool runs with PATH and IPMI_PASSWORD alone: a shell
 * started with an empty environment reads the password, and hands the rest as arguments.
 */
export const IPMITOOL_SCRIPT = `command -v ipmitool >/dev/null 2>&1 || { echo "ipmitool is not installed on this child" >&2; exit 127; }
case "$BMC_COMMAND" in *[!a-z\\ ]*|'') echo "invalid ipmitool command" >&2; exit 2 ;; esac
# shellcheck disable=SC2016,SC2086
exec env -i PATH="$PATH" /bin/sh -c '
IFS= read -r IPMI_PASSWORD || [ -n "$IPMI_PASSWORD" ] || { echo "no password on stdin" >&2; exit 2; }
export IPMI_PASSWORD
address=$1 port=$2 user=$3
shift 3
unset PWD OLDPWD
exec ipmitool -I lanplus -H "$address" -p "$port" -U "$user" -E "$@"' ipmitool "$BMC_ADDRESS" "$BMC_PORT" "$BMC_USER" $BMC_COMMAND
`;

async function ipmitool(l: BmcLink & { bmc: IpmiBmc }, words: string[]): Promise<string> {
  if (/[\n\r\0]/.test(l.password)) throw fail(l, "the BMC password contains a line break or NUL, which ipmitool cannot take");
  const env = { BMC_ADDRESS: l.bmc.address, BMC_PORT: String(l.bmc.port), BMC_USER: l.bmc.user, BMC_COMMAND: words.join(" ") };
  const r = await onChild(l, IPMITOOL_SCRIPT, env, `${l.password}\n`);
  if (r.code !== 0) throw fail(l, `ipmitool ${words.join(" ")} failed (exit ${r.code}): ${lastLines(r.stderr || r.stdout) || "no error output"}`);
  return r.stdout;
}

async function ipmiPower(l: BmcLink & { bmc: IpmiBmc }, action: PowerAction): Promise<PowerResult> {
  if (action === "status") {
    const out = await ipmitool(l, ipmitoolCommand("status"));
    const state = ipmiPowerState(out);
    if (state === undefined) throw fail(l, `ipmitool chassis power status: unexpected answer: ${lastLines(out)}`);
    return { state, did: `power ${state}` };
  }
  try {
    await ipmitool(l, ipmitoolCommand(action));
    return { did: `${action}: chassis power ${action}` };
  } catch (e) {
    // Some BMCs refuse a power cycle ("Invalid data field in request"): a hard reset is the same for an install.
    if (action !== "cycle" || !(e instanceof BmcError) || !/invalid data field|not supported/i.test(e.message)) throw e;
    await ipmitool(l, ["chassis", "power", "reset"]);
    return { did: "cycle: chassis power reset (the BMC refused power cycle)" };
  }
}

// ---- the interface ---------------------------------------------------------------------------

const isRedfish = (l: BmcLink): l is BmcLink & { bmc: RedfishBmc } => l.bmc.kind === "redfish";
const isIpmi = (l: BmcLink): l is BmcLink & { bmc: IpmiBmc } => l.bmc.kind === "ipmi";

/** Power status or action at a host's BMC. */
export async function power(l: BmcLink, action: PowerAction): Promise<PowerResult> {
  if (isRedfish(l)) return redfishPower(l, action);
  if (isIpmi(l)) return ipmiPower(l, action);
  throw fail(l, "unknown BMC kind");
}

/**
 * The next boot's target: `pxe` for the next boot only, `disk` from now on. A BMC may ignore
 * "once" (the emulators do, so do some real ones): after an install, set `disk` explicitly.
 */
export async function setBootTarget(l: BmcLink, target: BootTarget): Promise<string> {
  if (isRedfish(l)) {
    const sys = await systemPath(l);
    const body = bootOverride(target);
    await request(l, { method: "PATCH", path: sys, body });
    return `boot ${target}: BootSourceOverrideTarget ${body.Boot.BootSourceOverrideTarget}, ${body.Boot.BootSourceOverrideEnabled}`;
  }
  if (isIpmi(l)) {
    const words = ipmitoolCommand({ boot: target });
    await ipmitool(l, words);
    return `boot ${target}: ${words.join(" ")}`;
  }
  throw fail(l, "unknown BMC kind");
}

/** The network for the next boot, then power on (when off) or cycle (when on): a reinstall's start. */
export async function pxeOnceAndReset(l: BmcLink): Promise<string[]> {
  const boot = await setBootTarget(l, "pxe");
  const { state } = await power(l, "status");
  const done = await power(l, state === "off" ? "on" : "cycle");
  return [boot, done.did];
}

export interface OpenBmcsOptions {
  /** The Pulumi project (its stacks/Pulumi.<stack>.yaml). */
  readonly projectDir: string;
  readonly stack: string;
  /** The hosts to reach, by name. */
  readonly hosts: readonly string[];
  /** A secret of the stack's config (`provisioning:NAME`): BMC passwords, the children's SSH keys. */
  readonly secret: (name: string) => Promise<string>;
}

export interface OpenBmcs {
  readonly links: BmcLink[];
  /** One line per BMC reached without TLS verification (the lab opt-out), for every use. */
  readonly warnings: string[];
  close(): Promise<void>;
}

/**
 * The BMC of each host, with its child's transport and its password. The stack's BMC entries are
 * checked against the catalog's hosts and the stack's servers first (a located stack-config
 * error for a host the catalog lacks or no child holds); a host without a BMC is a BmcError.
 */
export async function openBmcs(o: OpenBmcsOptions): Promise<OpenBmcs> {
  const stack = readStackConfig(o.projectDir, o.stack);
  if (stack.catalogPaths.length === 0) throw new CatalogError([{ file: stack.file, line: 0, path: "provisioning:catalog", message: "is not set: the BMCs are checked against the catalog's hosts", severity: "error" }]);
  const catalog = loadCatalogInput([...stack.catalogPaths], { payloadRoots: stack.payloadRoots, readPayloads: false, baseDir: o.projectDir });
  const issues = bmcPlacementIssues(stack.bmcs, catalog.hosts, stack.servers, stack.file, (h) => stack.bmcLines[h] ?? 0);
  if (issues.length) throw new CatalogError(issues);
  const missing = o.hosts.filter((h) => stack.bmcs[h] === undefined);
  if (missing.length) throw new BmcError(missing[0]!, `no BMC for host ${missing.join(", ")} in provisioning:bmcs of stack ${o.stack} (${knownList(Object.keys(stack.bmcs))})`);
  const untrusted = bmcTrustIssues(o.hosts, stack.bmcs, catalog.hosts, stack.servers, stack.file, (s) => stack.insecureHostKeyLines[s] ?? 0);
  if (untrusted.length) throw new CatalogError(untrusted);
  const transports = new Map<string, Transport>();
  const close = async () => {
    await Promise.all([...transports.values()].map((t) => t.close()));
  };
  try {
    const links: BmcLink[] = [];
    for (const host of o.hosts) {
      const bmc = stack.bmcs[host]!;
      const child = bmcChild(catalog.hosts.find((h) => h.name === host)!, bmc, stack.servers)!;
      let transport = transports.get(child);
      if (!transport) {
        try {
          transport = await childTransport(stack.servers.find((s) => s.name === child)!, o.projectDir, o.secret);
        } catch (e) {
          if (e instanceof CatalogError) throw e;
          throw new BmcError(host, `host ${host}: child ${child}: ${(e as Error).message}`);
        }
        transports.set(child, transport);
      }
      links.push({ host, child, bmc, transport, password: await o.secret(bmc.password.secret) });
    }
    const warnings = links
      .filter((l) => l.bmc.kind === "redfish" && l.bmc.insecureSkipTlsVerify === true)
      .map((l) => `warning: ${where(l)}: TLS not verified (insecureSkipTlsVerify): nothing proves who answers, and the password is sent to it`);
    return { links, warnings, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The transport to a child as its stack entry describes it, with its credentials from the stack's secrets. */
export async function childTransport(server: Server, projectDir: string, secret: (name: string) => Promise<string>, opts: { connectTimeoutMs?: number } = {}): Promise<Transport> {
  const t = server.transport;
  if (t.kind === "local") return new LocalTransport(path.resolve(projectDir, t.root), { serverName: server.name });
  const hostKeys = hostKeysOf(server.name, t, projectDir);
  return new SshTransport({
    serverName: server.name,
    host: t.host,
    port: t.port,
    user: t.user,
    privateKey: await secret(t.privateKey.secret),
    ...(t.passphrase !== undefined ? { passphrase: await secret(t.passphrase.secret) } : {}),
    hostKeys,
    insecureAcceptAnyHostKey: t.insecureAcceptAnyHostKey === true,
    root: t.root,
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
  });
}
