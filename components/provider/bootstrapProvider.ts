// The engine-facing behaviour of a child's bootstrap: install and start its TFTP and HTTP
// serving (idempotent, so re-running is safe), re-run it when its settings or script change,
// report on refresh whether the daemons still run, stop them on delete.
import { createHash } from "node:crypto";
import { BOOTSTRAP_SCRIPT, STOP_SERVICES_SCRIPT, bootstrapEnv } from "../scripts";
import { definedOnly, transportFor, targetOf, type ConnectionProps } from "./connection";

export interface BootstrapProps extends ConnectionProps {
  tftpPort: number;
  httpPort: number;
  bindAddress: string;
  install: boolean;
  /** sha256 of the bootstrap script: a new script re-runs the bootstrap. */
  scriptSha256: string;
  /** Whether both daemons answered when last looked at (set by create and refresh). */
  serving?: boolean;
}

export const bootstrapScriptSha256 = createHash("sha256").update(BOOTSTRAP_SCRIPT).digest("hex");

// Alive means: the pid file names a live process. Parameters come only from the environment.
const STATUS_SCRIPT = `
alive() { [ -f "$1" ] && kill -0 "$(head -n 1 "$1" | tr -dc 0-9)" 2>/dev/null; }
if alive "$ROOT/run/nginx.pid" && alive "$ROOT/run/tftpd.pid"; then echo serving; else echo stopped; fi
`;

async function bootstrap(props: BootstrapProps) {
  const result = await transportFor(props).runScript(
    BOOTSTRAP_SCRIPT,
    bootstrapEnv({ root: props.root, tftpPort: props.tftpPort, httpPort: props.httpPort, bindAddress: props.bindAddress, install: props.install }),
  );
  if (result.code !== 0) {
    throw new Error(`bootstrap of ${props.server} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  }
  return definedOnly({ ...props, serving: true });
}

export async function create(props: BootstrapProps) {
  return { id: `${props.server}/bootstrap`, outs: await bootstrap(props) };
}

export async function diff(_id: string, olds: BootstrapProps, news: BootstrapProps) {
  const replaces = targetOf(olds) !== targetOf(news) ? ["root"] : [];
  const updates = (["tftpPort", "httpPort", "bindAddress", "install", "scriptSha256", "user", "privateKey", "passphrase", "hostKey"] as const).filter(
    (key) => olds[key] !== news[key],
  );
  // A refresh that found the daemons stopped makes the next update start them again.
  if (olds.serving === false) updates.push("serving" as never);
  const changed = [...replaces, ...updates];
  return {
    changes: changed.length > 0,
    replaces,
    detailedDiff: Object.fromEntries(changed.map((k) => [k, { kind: replaces.includes(k) ? "update-replace" : "update", inputDiff: k !== "serving" }])),
    deleteBeforeReplace: true,
  };
}

export async function update(_id: string, _olds: BootstrapProps, news: BootstrapProps) {
  return { outs: await bootstrap(news) };
}

export async function remove(_id: string, props: BootstrapProps) {
  const result = await transportFor(props).runScript(STOP_SERVICES_SCRIPT, { ROOT: props.root });
  if (result.code !== 0) throw new Error(`stopping the services of ${props.server} failed: ${result.stderr.trim()}`);
}

export async function read(id: string, props: BootstrapProps) {
  const result = await transportFor(props).runScript(STATUS_SCRIPT, { ROOT: props.root });
  return { id, props: definedOnly({ ...props, serving: result.stdout.trim() === "serving" }) };
}
