// Injection: hostile names and destinations are refused by validation, and below validation the
// transports (local, and SSH against a real sshd) keep every path, content, root and environment
// value literal. Each test owns a unique marker path; a command that ran would create it.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify as stringifyYaml } from "yaml";
import * as serverProvider from "../../components/provider/serverProvider";
import { BOOTSTRAP_SCRIPT, STOP_SERVICES_SCRIPT, bootstrapEnv } from "../../components/scripts";
import { LocalTransport } from "../../components/transports/local";
import { SshTransport } from "../../components/transports/ssh";
import type { Transport } from "../../components/transports/transport";
import { run } from "../../components/cli/main";
import { EXAMPLE_CATALOG } from "../support/fleet";
import { byDirectory } from "../../src/state/fileEntries";
import { startSshChildren, type SshChild, type SshChildren } from "../support/sshd";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const made: string[] = [];
const tmp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
};

/** A fresh absolute marker path, and the hostile strings that would create it if run by a shell. */
function hostile() {
  const marker = `/tmp/pwned-${randomBytes(8).toString("hex")}`;
  const words = [
    `x; touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `x && touch ${marker}`,
    `x | touch ${marker}`,
    `x\ntouch ${marker}`,
    `x' ; touch ${marker}; echo '`,
    `x" ; touch ${marker}; echo "`,
    `\${IFS}touch\${IFS}${marker}`,
    `> ${marker}`,
  ];
  // A command run with the remote or local working directory would land here instead.
  const base = path.basename(marker);
  const landed = () => [marker, path.join(os.homedir(), base), path.join(process.cwd(), base)].some((p) => fs.existsSync(p));
  return { marker, words, landed };
}

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe("validation refuses hostile names and destinations", () => {
  it("catalog names and config-file destinations", () => {
    const { words, landed } = hostile();
    for (const w of words) {
      for (const [what, yaml] of [
        ["name", `profiles:\n  - name: ${JSON.stringify(w)}\n    parent: base\n`],
        ["destination", `configFiles:\n  - name: x.conf\n    template: motd\n    destination: ${JSON.stringify(`/etc/${w}`)}\n`],
      ] as const) {
        const dir = tmp("inj-catalog-");
        fs.cpSync(EXAMPLE_CATALOG, dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "zz-bad.yaml"), yaml);
        const r = run(["validate", dir]);
        expect(r.exitCode, `${what} ${JSON.stringify(w)}`).toBe(1);
        expect(r.stderr).toContain(`${path.join(dir, "zz-bad.yaml")}:`);
        expect(r.stderr).toMatch(new RegExp(`(profiles\\[0\\]\\.name: invalid name|configFiles\\[0\\]\\.destination: (invalid destination|destination must not))`));
      }
    }
    expect(landed()).toBe(false);
  });

  it("server names and SSH roots in stack config", () => {
    const { words, landed } = hostile();
    for (const w of words) {
      for (const patch of [{ name: w }, { transport: { kind: "ssh", host: "10.0.0.1", user: "root", privateKey: { secret: "k" }, root: `/srv/${w}` } }]) {
        const project = tmp("inj-stack-");
        fs.mkdirSync(path.join(project, "stacks"));
        const server = { name: "s1", site: "a", arch: ["x86_64"], profiles: ["web*"], transport: { kind: "local", root: "/srv/s1" }, tftpPort: 1069, httpPort: 1080, ...patch };
        fs.writeFileSync(path.join(project, "stacks", "Pulumi.t.yaml"), stringifyYaml({ config: { "provisioning:catalog": EXAMPLE_CATALOG, "provisioning:servers": [server] } }));
        const r = run(["select", EXAMPLE_CATALOG, "--stack", "t", "--server", "s1", "--project", project]);
        expect(r.exitCode, JSON.stringify(patch)).toBe(1);
        expect(r.stderr).toMatch(/provisioning:servers\[0\]\.(name: invalid name|transport\.root: (invalid destination|root must not))/);
      }
    }
    expect(landed()).toBe(false);
  });
});

/** The same checks against any transport whose child root is visible from this process. */
function belowValidation(label: string, open: (root: string) => Transport, newRoot: () => string) {
  describe(`${label}: below validation, everything stays literal`, () => {
    let root: string;
    let t: Transport;
    beforeAll(() => {
      root = newRoot();
      t = open(root);
    });
    afterAll(async () => {
      await t?.close();
    });

    it("hostile relative paths are refused by every method and touch nothing", async () => {
      const { words, landed } = hostile();
      const data = Buffer.from("x");
      const src = path.join(tmp("inj-src-"), "payload");
      fs.writeFileSync(src, data);
      const paths = [...words.map((w) => `http/${w}`), ...words, "../escape", "/etc/passwd", "http/../../x", "http/a\0b", "-rf", "http/-n"];
      for (const p of paths) {
        await expect(t.writeFile(p, data, sha(data), "0644"), p).rejects.toThrow(/unsafe path/);
        await expect(t.copyFile(p, src, sha(data), "0644"), p).rejects.toThrow(/unsafe path/);
        await expect(t.hashFile(p), p).rejects.toThrow(/unsafe path/);
        await expect(t.removeFile(p), p).rejects.toThrow(/unsafe path/);
      }
      expect(fs.readdirSync(root)).toEqual([]);
      expect(fs.existsSync(path.join(root, "..", "escape"))).toBe(false);
      expect(landed()).toBe(false);
    });

    it("hostile modes and checksums are refused", async () => {
      const { marker, landed } = hostile();
      const d = Buffer.from("d");
      await expect(t.writeFile("http/m", d, sha(d), `0644; touch ${marker}`)).rejects.toThrow(/invalid file mode/);
      await expect(t.writeFile("http/m", d, `$(touch ${marker})`, "0644")).rejects.toThrow(/invalid sha256/);
      expect(fs.existsSync(path.join(root, "http", "m"))).toBe(false);
      expect(landed()).toBe(false);
    });

    it("hostile contents are written byte for byte and never executed", async () => {
      const { marker, words, landed } = hostile();
      const content = Buffer.from(`#!/bin/sh\ntouch ${marker}\n${words.join("\n")}\n'"\\\0\xff end`, "latin1");
      await t.writeFile("http/autoinstall/evil.cfg", content, sha(content), "0755");
      expect(fs.readFileSync(path.join(root, "http/autoinstall/evil.cfg")).equals(content)).toBe(true);
      expect(await t.hashFile("http/autoinstall/evil.cfg")).toBe(sha(content));
      // A source file whose own name is hostile is read by name, not through a shell.
      const src = path.join(tmp("inj-src-"), `$(touch ${marker})`.replaceAll("/", "_"));
      fs.writeFileSync(src, content);
      await t.copyFile("tftp/images/d/vmlinuz", src, sha(content), "0644");
      expect(fs.readFileSync(path.join(root, "tftp/images/d/vmlinuz")).equals(content)).toBe(true);
      await t.removeFile("http/autoinstall/evil.cfg");
      await t.removeFile("tftp/images/d/vmlinuz");
      expect(fs.readdirSync(root)).toEqual([]);
      expect(landed()).toBe(false);
    });

    it("hostile environment values reach the script as data", async () => {
      const { marker, words, landed } = hostile();
      for (const w of words) {
        const r = await t.runScript('printf "%s" "$VALUE"\n', { VALUE: w });
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(w);
      }
      await expect(t.runScript("true", { [`X; touch ${marker}`]: "1" })).rejects.toThrow(/invalid environment variable name/);
      await expect(t.runScript("true", { [`$(touch ${marker})`]: "1" })).rejects.toThrow(/invalid environment variable name/);
      // The bootstrap and stop scripts refuse a hostile ROOT before using it.
      for (const w of words.filter((x) => !x.includes("\n"))) {
        const env = bootstrapEnv({ root: `/srv/${w}`, tftpPort: 1069, httpPort: 1080 });
        const r = await t.runScript(BOOTSTRAP_SCRIPT, env);
        expect(r.code, w).toBe(1);
        expect(r.stderr).toMatch(/ROOT contains characters/);
      }
      await t.runScript(STOP_SERVICES_SCRIPT, { ROOT: `/srv/${words[0]}` });
      expect(landed()).toBe(false);
    });

    it("the server provider refuses hostile paths before any transport call", async () => {
      const { words, landed } = hostile();
      const serve = { tftpPort: 1069, httpPort: 1080, bindAddress: "127.0.0.1", install: false, script: "x" };
      for (const w of words) {
        const props = { server: "s", transport: { kind: "local" as const, root }, serve, files: byDirectory({ [`http/${w}`]: "AAAAAAAAAAAAAAAAAAAAAA" }), objects: "AAAAAAAAAAAAAAAAAAAAAA" };
        await expect(serverProvider.create(props)).rejects.toThrow(/unsafe path/);
      }
      // A state's map by directory names the same paths: a hostile directory or file name in it is refused too.
      const hostileMaps: Record<string, Record<string, string>>[] = [{ "../etc": { passwd: "AAAAAAAAAAAAAAAAAAAAAA" } }, { http: { "../../x": "AAAAAAAAAAAAAAAAAAAAAA" } }];
      for (const files of hostileMaps) {
        await expect(serverProvider.create({ server: "s", transport: { kind: "local" as const, root }, serve, files, objects: "AAAAAAAAAAAAAAAAAAAAAA" })).rejects.toThrow(/unsafe path/);
      }
      expect(fs.readdirSync(root)).toEqual([]);
      expect(landed()).toBe(false);
    });
  });
}

belowValidation("LocalTransport", (root) => new LocalTransport(root, { serverName: "local-inj" }), () => tmp("inj-local-root-"));

let sshd: SshChildren;
let child: SshChild;
beforeAll(async () => {
  sshd = await startSshChildren(1, { namePrefix: "inj" });
  child = sshd.children[0]!;
});
afterAll(async () => {
  await sshd?.stop();
});

const sshTo = (root: string) =>
  new SshTransport({ serverName: child.name, host: child.host, port: child.port, user: child.user, privateKey: child.privateKey, hostKeys: [child.hostKey], root });

belowValidation("SshTransport", sshTo, () => child.root);

describe("SshTransport: a hostile root (below stack validation) is one literal directory", () => {
  it("writes, hashes and removes under it without running anything", async () => {
    const { marker, words, landed } = hostile();
    const base = tmp("inj-ssh-hostile-root-");
    for (const w of words) {
      const root = path.join(base, w.replace(/\//g, "_"));
      const t = sshTo(root);
      try {
        const d = Buffer.from(`data ${w}`);
        await t.writeFile("http/files/p/a.conf", d, sha(d), "0644");
        expect(fs.readFileSync(path.join(root, "http/files/p/a.conf")).equals(d), w).toBe(true);
        expect(await t.hashFile("http/files/p/a.conf")).toBe(sha(d));
        await t.removeFile("http/files/p/a.conf");
        expect(fs.existsSync(path.join(root, "http"))).toBe(false);
      } finally {
        await t.close();
      }
    }
    expect(fs.existsSync(marker)).toBe(false);
    expect(landed()).toBe(false);
  });
});
