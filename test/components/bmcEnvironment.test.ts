// curl and ipmitool get nothing of the environment the CLI runs in (PULUMI_CONFIG_PASSPHRASE,
// cloud credentials): real processes, through the local transport (a child on this machine), with
// stand-ins for curl and ipmitool that print their environment and arguments.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CURL_SCRIPT, IPMITOOL_SCRIPT } from "../../components/bmc";
import { LocalTransport } from "../../components/transports/local";

const PASSWORD = "bmc-pa55 'word' $HOME";
/** What the CLI's environment may hold: none of it is the BMC tool's business. */
const CLI_ENV: Record<string, string> = { PULUMI_CONFIG_PASSPHRASE: "the-stack-passphrase", AWS_SECRET_ACCESS_KEY: "aws-secret", PULUMI_ACCESS_TOKEN: "pul-token", CURL_HOME: "/tmp/elsewhere" };

let work: string;
let bin: string;
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-env-"));
  bin = path.join(work, "bin");
  fs.mkdirSync(bin);
  // Each stand-in prints the environment it was started with (its own shell adds PWD later), its arguments and what it reads on stdin.
  for (const tool of ["curl", "ipmitool"]) fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ | sort | sed 's/^/ENV /'\nfor a in "$@"; do echo "ARG $a"; done\nsed 's/^/IN /'\n`, { mode: 0o755 });
  for (const [k, v] of Object.entries({ ...CLI_ENV, PATH: `${bin}:${process.env.PATH}` })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(work, { recursive: true, force: true });
});

const lines = (out: string, tag: string) => out.split("\n").filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1));

describe("a BMC tool runs with a minimal environment", () => {
  it("curl: PATH alone; its config (the password) on stdin", async () => {
    const t = new LocalTransport(path.join(work, "child"), { serverName: "pxe-a" });
    const r = await t.runScript(CURL_SCRIPT, {}, `user = "admin:${PASSWORD}"\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout, "ENV").map((l) => l.split("=")[0])).toEqual(["PATH"]);
    expect(lines(r.stdout, "ARG")).toEqual(["-q", "-K", "-"]);
    expect(lines(r.stdout, "IN")).toEqual([`user = "admin:${PASSWORD}"`]);
    for (const v of Object.values(CLI_ENV)) expect(r.stdout).not.toContain(v);
  });

  for (const [label, command] of [["power status", "chassis power status"], ["boot pxe", "chassis bootdev pxe"]] as const) {
    it(`ipmitool (${label}): PATH and IPMI_PASSWORD alone; the password in no argument`, async () => {
      const t = new LocalTransport(path.join(work, "child"), { serverName: "pxe-a" });
      const r = await t.runScript(IPMITOOL_SCRIPT, { BMC_ADDRESS: "192.0.2.50", BMC_PORT: "623", BMC_USER: "admin", BMC_COMMAND: command }, `${PASSWORD}\n`);
      expect(r.code, r.stderr).toBe(0);
      const env = lines(r.stdout, "ENV");
      expect(env.map((l) => l.split("=")[0])).toEqual(["IPMI_PASSWORD", "PATH"]);
      expect(env).toContain(`IPMI_PASSWORD=${PASSWORD}`);
      expect(lines(r.stdout, "ARG")).toEqual(["-I", "lanplus", "-H", "192.0.2.50", "-p", "623", "-U", "admin", "-E", ...command.split(" ")]);
      expect(lines(r.stdout, "ARG").join(" ")).not.toContain("pa55");
      for (const v of Object.values(CLI_ENV)) expect(r.stdout).not.toContain(v);
    });
  }

  it("ipmitool without a password on stdin is not run", async () => {
    const t = new LocalTransport(path.join(work, "child"), { serverName: "pxe-a" });
    const r = await t.runScript(IPMITOOL_SCRIPT, { BMC_ADDRESS: "192.0.2.50", BMC_PORT: "623", BMC_USER: "admin", BMC_COMMAND: "chassis power status" }, "");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("no password on stdin\n");
    expect(r.stdout).toBe("");
  });
});
