import { readFileSync } from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../packageRoot";

/**
 * Fixed scripts run on children through `Transport.runScript` (script text on stdin, parameters
 * only via environment variables). Read once at module load from the package's .sh files
 * (components/scripts/, shipped as they are: compiled code in dist/ reads the same ones).
 */
function load(name: string): string {
  return readFileSync(path.join(packageRoot, "components", "scripts", name), "utf8");
}

/** Env: ROOT, TFTP_PORT, HTTP_PORT, BIND_ADDRESS (default 127.0.0.1), INSTALL (1/0), DHCP (1/0), optional TFTP_USER, HTTP_USER. */
export const BOOTSTRAP_SCRIPT: string = load("bootstrap.sh").replace("@HOST_HANDLER@", load("host-handler.sh").trimEnd());
/** Env: ROOT. */
export const STOP_SERVICES_SCRIPT: string = load("stop-services.sh");
/** Env: ROOT. Prints "serving" or "stopped: NAME…". */
export const STATUS_SCRIPT: string = load("status.sh");
/** Env: ROOT. Everything `provision status` reads of a child, one item a line (child-status.sh). */
export const CHILD_STATUS_SCRIPT: string = `daemons_status() (\n${STATUS_SCRIPT.trimEnd()}\n)\n${load("child-status.sh")}`;

export interface BootstrapEnv {
  ROOT: string;
  TFTP_PORT: string;
  HTTP_PORT: string;
  BIND_ADDRESS?: string;
  INSTALL?: "0" | "1";
  DHCP?: "0" | "1";
  TFTP_USER?: string;
  HTTP_USER?: string;
}

/** Builds the env for BOOTSTRAP_SCRIPT from typed values. */
export function bootstrapEnv(o: {
  root: string;
  tftpPort: number;
  httpPort: number;
  bindAddress?: string;
  install?: boolean;
  dhcp?: boolean;
  /** Programs `provision power` runs on this child (curl, ipmitool). @default none */
  bmcTools?: readonly string[];
}): Record<string, string> {
  return {
    ROOT: o.root,
    TFTP_PORT: String(o.tftpPort),
    HTTP_PORT: String(o.httpPort),
    BIND_ADDRESS: o.bindAddress ?? "127.0.0.1",
    INSTALL: o.install ? "1" : "0",
    DHCP: o.dhcp ? "1" : "0",
    ...(o.bmcTools?.length ? { BMC_TOOLS: o.bmcTools.join(" ") } : {}),
  };
}
