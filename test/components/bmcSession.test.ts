// The BMC module's decisions on answers real emulators do not give, with a scripted child: what
// the child is asked to run (the password only on stdin), a password echoed back is masked, a
// BMC listing several systems, a redirect loop on the same BMC, a reset type the system does not
// offer, a password ipmitool cannot take, a child that cannot be reached.
import { describe, expect, it } from "vitest";
import { type BmcLink, CURL_SCRIPT, IPMITOOL_SCRIPT, power, pxeOnceAndReset } from "../../components/bmc";
import type { ScriptResult, Transport } from "../../components/transports/transport";
import type { Bmc } from "../../src/bmc";

const PASSWORD = "pa55-word-secret";

interface Call {
  script: string;
  env: Record<string, string>;
  input?: string;
}

/** A child whose commands answer as `answer` says, recording each call. */
function child(answer: (call: Call & { url?: string; method?: string }) => ScriptResult | Error): { transport: Transport; calls: Call[] } {
  const calls: Call[] = [];
  const unused = () => Promise.reject(new Error("not used"));
  return {
    calls,
    transport: {
      writeFile: unused,
      copyFile: unused,
      readText: unused,
      hashFile: unused,
      removeFile: unused,
      close: async () => undefined,
      runScript: async (script, env, input) => {
        const call = { script, env, ...(input !== undefined ? { input } : {}) };
        calls.push(call);
        const url = /^url = "([^"]*)"$/m.exec(input ?? "")?.[1];
        const method = /^request = "([A-Z]+)"$/m.exec(input ?? "")?.[1];
        const r = answer({ ...call, ...(url ? { url } : {}), ...(method ? { method } : {}) });
        if (r instanceof Error) throw r;
        return r;
      },
    },
  };
}

const http = (status: number, body: unknown, headers: Record<string, string> = {}): ScriptResult => ({
  code: 0,
  stdout: `HTTP/1.1 ${status} X\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${typeof body === "string" ? body : JSON.stringify(body)}\nprovision-bmc-http: ${status}`,
  stderr: "",
});

const redfish: Bmc = { kind: "redfish", address: "10.0.0.5", port: 443, user: "admin", password: { secret: "pw" }, pin: "sha256//LZMNlKdtYpYCCD07Mjj+Nx7+tz4KxB5vtFaKLvEgy+Q=" };
const ipmi: Bmc = { kind: "ipmi", address: "10.0.0.6", port: 623, user: "admin", password: { secret: "pw" } };
const link = (bmc: Bmc, transport: Transport, password = PASSWORD): BmcLink => ({ host: "web-1", child: "pxe-a", bmc, transport, password });
const SYSTEM = { "@odata.id": "/redfish/v1/Systems/1", PowerState: "On", Actions: { "#ComputerSystem.Reset": { target: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", "ResetType@Redfish.AllowableValues": ["On", "GracefulShutdown", "ForceRestart"] } } };

describe("the BMC module with a scripted child", () => {
  it("the password goes to the child on stdin only: never in the script or its environment", async () => {
    const c = child(({ url, method }) => (url?.endsWith("/Systems") ? http(200, { Members: [{ "@odata.id": "/redfish/v1/Systems/1" }] }) : method === "GET" ? http(200, { ...SYSTEM, PowerState: "Off" }) : http(204, "")));
    expect(await pxeOnceAndReset(link(redfish, c.transport))).toEqual(["boot pxe: BootSourceOverrideTarget Pxe, Once", "on: ResetType On"]);
    expect(c.calls.map((x) => x.script)).toEqual(Array(c.calls.length).fill(CURL_SCRIPT));
    for (const call of c.calls) {
      expect(JSON.stringify(call.env) + call.script).not.toContain(PASSWORD);
      expect(call.input).toContain(`user = "admin:${PASSWORD}"`);
    }
    const i = child(() => ({ code: 0, stdout: "Chassis Power is on\n", stderr: "" }));
    expect(await power(link(ipmi, i.transport), "status")).toEqual({ state: "on", did: "power on" });
    expect(i.calls).toEqual([{ script: IPMITOOL_SCRIPT, env: { BMC_ADDRESS: "10.0.0.6", BMC_PORT: "623", BMC_USER: "admin", BMC_COMMAND: "chassis power status" }, input: `${PASSWORD}\n` }]);
  });

  it("a password a BMC or a tool echoes back is masked in the message", async () => {
    const c = child(() => ({ code: 7, stdout: "", stderr: `curl: (7) could not log in as admin:${PASSWORD}\n` }));
    const e = await power(link(redfish, c.transport), "status").catch((x: Error) => x) as Error;
    expect(e.message).toBe("host web-1 (BMC redfish https://10.0.0.5:443, from child pxe-a): GET /redfish/v1/Systems: curl failed (exit 7): curl: (7) could not log in as admin:***");
  });

  it("a password of any length is masked, however short", async () => {
    for (const password of ["x", "ab", "p@s", "calvin", "a b"]) {
      const c = child(() => ({ code: 1, stdout: "", stderr: `Error: login as admin:${password} refused (${password})\n` }));
      const e = (await power(link(ipmi, c.transport, password), "status").catch((x: Error) => x)) as Error;
      // Masked wherever it appears after the BMC's name, even inside words of the message (a short password is everywhere).
      const prefix = "host web-1 (BMC ipmi 10.0.0.6:623, from child pxe-a): ";
      expect(e.message.startsWith(prefix), e.message).toBe(true);
      expect(e.message.slice(prefix.length), password).not.toContain(password);
      expect(e.message).toContain("refused (***)");
    }
  });

  it("a BMC with several systems asks for `system`; one that redirects in a circle stops", async () => {
    const two = child(() => http(200, { Members: [{ "@odata.id": "/redfish/v1/Systems/1" }, { "@odata.id": "/redfish/v1/Systems/2" }] }));
    await expect(power(link(redfish, two.transport), "status")).rejects.toThrow(/\/redfish\/v1\/Systems lists 2 systems: name the one with system: <id> in provisioning:bmcs$/);
    const loop = child(({ url }) => http(307, "", { Location: url!.endsWith("/a") ? "/b" : "/a" }));
    await expect(power(link({ ...redfish, system: "x" }, loop.transport), "status")).rejects.toThrow(/HTTP 307: too many redirects$/);
    expect(loop.calls).toHaveLength(4);
  });

  it("an action the system does not offer is named with what it offers", async () => {
    const c = child(() => http(200, SYSTEM));
    await expect(power(link({ ...redfish, system: "1" }, c.transport), "off")).rejects.toThrow(/the system offers no ResetType for off \(it offers On, GracefulShutdown, ForceRestart\)$/);
    // A reset target that points at another host is not followed.
    const away = child(() => http(200, { ...SYSTEM, Actions: { "#ComputerSystem.Reset": { target: "https://evil.example/reset" } } }));
    await expect(power(link({ ...redfish, system: "1" }, away.transport), "on")).rejects.toThrow(/the reset action's target "https:\/\/evil.example\/reset" is not on this BMC$/);
    expect(away.calls).toHaveLength(1);
  });

  it("IPMI: a password with a line break is refused unseen; a refused power cycle becomes a reset", async () => {
    const c = child(() => ({ code: 0, stdout: "", stderr: "" }));
    const e = await power(link(ipmi, c.transport, "line1\nline2"), "on").catch((x: Error) => x) as Error;
    expect(e.message).toBe("host web-1 (BMC ipmi 10.0.0.6:623, from child pxe-a): the BMC password contains a line break or NUL, which ipmitool cannot take");
    expect(c.calls).toEqual([]);
    const cycle = child((call) => (call.env.BMC_COMMAND === "chassis power cycle" ? { code: 1, stdout: "", stderr: "Set Chassis Power Control to Cycle failed: Invalid data field in request\n" } : { code: 0, stdout: "Chassis Power Control: Reset\n", stderr: "" }));
    expect(await power(link(ipmi, cycle.transport), "cycle")).toEqual({ did: "cycle: chassis power reset (the BMC refused power cycle)" });
  });

  it("a child that cannot be reached is the host's located failure", async () => {
    const c = child(() => new Error("pxe-a: connect ECONNREFUSED 10.0.0.1:22"));
    await expect(power(link(ipmi, c.transport), "status")).rejects.toThrow("host web-1 (BMC ipmi 10.0.0.6:623, from child pxe-a): cannot run on the child: pxe-a: connect ECONNREFUSED 10.0.0.1:22");
  });
});
