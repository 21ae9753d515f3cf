import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOfKeyBlob, parseHostKeyLine, SshTransport } from "../../components/transports/ssh";
import { shellQuote } from "../../components/transports/shellQuote";
import { startSshChildren, type SshChild, type SshChildren } from "../support/sshd";
import { transportContract, sha } from "./contract";

let fleet: SshChildren;
let a: SshChild;
let b: SshChild;
const opened: SshTransport[] = [];

function transportFor(c: SshChild, over: Partial<ConstructorParameters<typeof SshTransport>[0]> = {}): SshTransport {
  const t = new SshTransport({
    serverName: c.name,
    host: c.host,
    port: c.port,
    user: c.user,
    privateKey: c.privateKey,
    hostKeys: [c.hostKey],
    root: c.root,
    connectTimeoutMs: 10_000,
    ...over,
  });
  opened.push(t);
  return t;
}

beforeAll(async () => {
  fleet = await startSshChildren(2, { namePrefix: "ssh-child" });
  [a, b] = fleet.children;
});

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await fleet?.stop();
});

transportContract(
  "SshTransport",
  async () => ({ transport: transportFor(a), root: a.root, serverName: a.name }),
  async () => undefined,
);

describe("SshTransport: host key pinning", () => {
  it("the right pinned key connects", async () => {
    const t = transportFor(b);
    const r = await t.runScript("echo ok", {});
    expect(r).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  });

  it("a wrong pinned key fails with a clear message naming the server and both fingerprints", async () => {
    const t = transportFor(b, { hostKeys: [a.hostKey] }); // a's key is not b's
    const expected = fingerprintOfKeyBlob(parseHostKeyLine(a.hostKey).blob);
    const got = fingerprintOfKeyBlob(parseHostKeyLine(b.hostKey).blob);
    const msg = `host key mismatch for ${b.name} (127.0.0.1:${b.port}): expected ${expected}, got ${got}`;
    await expect(t.hashFile("tftp/x")).rejects.toThrow(msg);
    // nothing was done on the child
    await expect(t.writeFile("tftp/x", Buffer.from("x"), sha("x"), "0644")).rejects.toThrow(msg);
    expect(existsSync(path.join(b.root, "tftp"))).toBe(false);
  });

  it("fingerprint matches ssh-keygen -l", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const dir = mkdtempSync(path.join(os.tmpdir(), "fp-"));
    writeFileSync(path.join(dir, "k.pub"), a.hostKey + "\n");
    const out = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", path.join(dir, "k.pub")]).toString();
    rmSync(dir, { recursive: true, force: true });
    expect(out).toContain(fingerprintOfKeyBlob(parseHostKeyLine(a.hostKey).blob));
  });

  it("a malformed pinned key is refused at construction", () => {
    expect(() => transportFor(a, { hostKeys: ["ssh-ed25519 not-base64!"] })).toThrow(/invalid host key/);
  });

  it("no pinned key: refused before any connection, unless the opt-out is explicit", async () => {
    expect(() => transportFor(a, { hostKeys: [] })).toThrow(`${a.name}: no pinned host key: nothing would prove who answers at 127.0.0.1:${a.port}; set hostKey or knownHosts`);
    const t = transportFor(a, { hostKeys: [], insecureAcceptAnyHostKey: true });
    expect((await t.runScript("echo $((1+2))", {})).stdout).toBe("3\n");
  });

  it("any of several pinned keys connects (a key rotation in progress)", async () => {
    const t = transportFor(b, { hostKeys: [a.hostKey, b.hostKey] });
    expect((await t.runScript("echo ok", {})).stdout).toBe("ok\n");
  });

  it("unreachable port fails naming the server", async () => {
    const t = transportFor(a, { port: 1, connectTimeoutMs: 3000 });
    await expect(t.hashFile("x")).rejects.toThrow(new RegExp(`${a.name} \\(127\\.0\\.0\\.1:1\\).*ssh connection`));
  });

  it("reuses one connection for many operations", async () => {
    const t = transportFor(a);
    const c1 = await t.connect();
    await t.hashFile("tftp/nothing");
    await t.runScript("true", {});
    expect(await t.connect()).toBe(c1);
  });
});

describe("SshTransport: the quoting layer below validation", () => {
  /** Where a bare `touch NAME` executed by mistake would land: the remote cwd (home) or the root. */
  const landed = (name: string): boolean =>
    [os.homedir(), a.root, "/", "/tmp"].some((d) => existsSync(path.join(d, name)));
  const nasty = (marker: string): string[] => [
    `x; touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `a\ntouch ${marker}`,
    `it's "quoted" & | > < * ? ~ {a,b} \\ !`,
    `-rf`,
  ];

  it("raw write/hash/remove with injection-looking names treat them as literal file names", async () => {
    const t = transportFor(a);
    const marker = `pwned-${randomBytes(6).toString("hex")}`;
    const dir = path.join(a.root, "literal $(touch " + marker + ")");
    for (const name of nasty(marker)) {
      const full = path.posix.join(dir, name);
      const data = Buffer.from(`content of ${name}`);
      await t.rawWriteFile(full, data, sha(data), "0644");
      expect(readFileSync(full)).toEqual(data);
      expect(await t.rawHashFile(full)).toBe(sha(data));
    }
    expect(readdirSync(dir).sort()).toEqual(nasty(marker).sort());
    for (const name of nasty(marker)) await t.rawRemoveFile(path.posix.join(dir, name));
    expect(existsSync(dir)).toBe(false); // pruned, root kept
    expect(existsSync(a.root)).toBe(true);
    expect(landed(marker)).toBe(false);
  });

  it("exec quotes every argv element: printf echoes them back verbatim, nothing runs", async () => {
    const t = transportFor(a);
    const marker = `pwned-${randomBytes(6).toString("hex")}`;
    for (const word of nasty(marker)) {
      const r = await t.exec(["printf", "%s", word]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(word);
    }
    const r = await t.exec(["touch", "--", path.join(a.root, `x; touch ${marker}`)]);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(a.root, `x; touch ${marker}`))).toBe(true);
    expect(landed(marker)).toBe(false);
    await t.rawRemoveFile(path.join(a.root, `x; touch ${marker}`));
  });

  it("a hand-quoted command line over ssh keeps the word literal", async () => {
    const t = transportFor(a);
    const marker = `/tmp/pwned-${randomBytes(6).toString("hex")}`;
    const word = `x; touch ${marker}; $(touch ${marker}) \`touch ${marker}\``;
    const r = await t.runScript(`printf '%s' ${shellQuote(word)}`, {});
    expect(r.stdout).toBe(word);
    expect(existsSync(marker)).toBe(false);
  });
});
