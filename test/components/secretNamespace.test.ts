// The catalog's secret namespace through the CentralServer, fast, with Pulumi's mocks: whatever a
// catalog writes in place of a server's credential name (the name itself, another case, the
// config prefix, whitespace, a lookalike, a passphrase's name), in profile variables, host
// variables or a catalog in code, the program stops at that variable before any resource exists
// and no lookup is asked for a value. The real engine's proof is test/reliability/secretNamespace.test.ts.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CatalogFileInput } from "../../src";
import type { CentralServerArgs } from "../../components";

const KEY_VALUE = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
const PASS_VALUE = "the-key-passphrase-value";
const HASH_VALUE = "$6$rounds=4096$salt$hash-value";

/** Each spelling a catalog might use for the credential, and how it is refused. */
const SPELLINGS: { label: string; name: string; refused: "undeclared" | "invalid" }[] = [
  { label: "the private key's name", name: "lab_ssh_key", refused: "undeclared" },
  { label: "upper case", name: "LAB_SSH_KEY", refused: "undeclared" },
  { label: "mixed case", name: "Lab_Ssh_Key", refused: "undeclared" },
  { label: "a name used only as a passphrase", name: "lab_ssh_pass", refused: "undeclared" },
  { label: "with the config namespace", name: "provisioning:lab_ssh_key", refused: "invalid" },
  { label: "with the legacy config namespace", name: "provisioning:config:lab_ssh_key", refused: "invalid" },
  { label: "a --path step", name: "lab_ssh_key.value", refused: "invalid" },
  { label: "a leading space", name: " lab_ssh_key", refused: "invalid" },
  { label: "a trailing newline", name: "lab_ssh_key\n", refused: "invalid" },
  { label: "a tab around it", name: "\tlab_ssh_key\t", refused: "invalid" },
  { label: "a Cyrillic lookalike (U+0435)", name: "lab_ssh_k\u0435y", refused: "invalid" },
  { label: "fullwidth letters", name: "\uff4cab_ssh_key", refused: "invalid" },
  { label: "a zero-width space", name: "lab_ssh\u200b_key", refused: "invalid" },
  { label: "a combining mark", name: "lab_ssh_ke\u0301y", refused: "invalid" },
];

const declared: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "secret-ns-"));

beforeAll(async () => {
  fs.writeFileSync(path.join(work, "vmlinuz"), "kernel");
  fs.writeFileSync(path.join(work, "initrd.img"), "initrd");
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        declared.push({ type: args.type, name: args.name, inputs: args.inputs });
        // A record made with a key gets one, as its provider gives it (the hosts' tokens are keyed with it).
        return { id: `${args.name}-id`, state: args.inputs.withKey ? { ...args.inputs, key: "a-random-stack-key" } : args.inputs };
      },
      call: () => {
        throw new Error("no calls expected");
      },
    },
    "provisioning",
    "ns",
    true,
  );
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
beforeEach(() => {
  declared.length = 0;
});

type Place = "profile" | "host" | "code";

/** A catalog whose motd prints `motdText`, set in the profile, in a host, or in code. */
function catalogWith(motdText: unknown, place: Place): CatalogFileInput {
  return {
    distributions: [{ name: "el9", arch: "x86_64", breed: "redhat", kernel: { path: "vmlinuz" }, initrd: { path: "initrd.img" }, installTree: "http://m/el9/os" }],
    profiles: [
      {
        name: "base",
        distribution: "el9",
        autoinstall: "ks",
        variables: { root_password_hash: { secret: "root_password_hash" }, motd_text: place === "host" ? "plain" : (motdText as never) },
        configFiles: ["motd"],
      },
    ],
    templates: [
      { name: "ks", kind: "autoinstall", text: "rootpw --iscrypted {{ profile.variables.root_password_hash }}\n" },
      { name: "motd-t", kind: "config", text: "{{ profile.variables.motd_text }}\n" },
    ],
    configFiles: [{ name: "motd", template: "motd-t", destination: "/etc/motd", mode: "0644" }],
    ...(place === "host" ? { hosts: [{ name: "h1", interfaces: [{ mac: "52:54:00:00:00:01" }], profile: "base", server: "lab-r1", variables: { motd_text: motdText as never } }] } : {}),
  } as CatalogFileInput;
}

/** The catalog as a YAML file (profile and host places) or as it is (in code). */
function catalogArg(catalog: CatalogFileInput, place: Place): CentralServerArgs["catalog"] {
  if (place === "code") return catalog;
  const file = path.join(work, `catalog-${place}.yaml`);
  fs.writeFileSync(file, stringify(catalog));
  return file;
}

const server = {
  name: "lab-r1",
  site: "lab",
  arch: ["x86_64"],
  profiles: ["base"],
  tftpPort: 69,
  httpPort: 8080,
  transport: {
    kind: "ssh" as const,
    host: "192.0.2.11",
    user: "root",
    privateKey: { secret: "lab_ssh_key" },
    passphrase: { secret: "lab_ssh_pass" },
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    root: "/srv/provisioning",
  },
};

/** The stack program's shape: the catalog's names, and the credentials read apart. */
function program(catalog: CentralServerArgs["catalog"], over: Partial<CentralServerArgs> = {}) {
  const asked = { secrets: [] as string[], credentials: [] as string[] };
  const config: Record<string, string> = { root_password_hash: HASH_VALUE, lab_ssh_key: KEY_VALUE, lab_ssh_pass: PASS_VALUE };
  const value = (name: string) => pulumi.secret(config[name] ?? `(no ${name})`);
  const args: CentralServerArgs = {
    catalog,
    servers: [server],
    baseDir: work,
    secrets: { names: ["root_password_hash"], lookup: (name) => (asked.secrets.push(name), value(name)) },
    credentials: (name) => (asked.credentials.push(name), value(name)),
    ...over,
  };
  return { args, asked };
}

async function construct(args: CentralServerArgs): Promise<unknown> {
  const { CentralServer } = await import("../../components");
  try {
    new CentralServer("central", args);
  } catch (e) {
    return e;
  }
  return undefined;
}

const servers = () => declared.filter((d) => d.type === "pulumi-nodejs:dynamic:Resource" || d.type === "provisioning:index:ProvisioningServer");

describe("a catalog names only the stack's catalog secrets", () => {
  for (const place of ["profile", "host", "code"] as const) {
    for (const s of SPELLINGS) {
      it(`${place} variables: ${s.label} is refused at the variable, before any resource, with no value asked`, async () => {
        const { args, asked } = program(catalogArg(catalogWith({ secret: s.name }, place), place));
        const e = await construct(args);
        expect(e).toBeInstanceOf(pulumi.RunError);
        const message = (e as Error).message;
        const variable = place === "profile" ? "profiles[0].variables.motd_text" : place === "host" ? "hosts[0].variables.motd_text" : "profiles[base].variables.motd_text";
        const file = place === "code" ? "\\(code\\)" : `${path.join(work, `catalog-${place}.yaml`).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:[1-9]\\d*`;
        const what = s.refused === "undeclared" ? `secret "${s.name}" is not among the catalog's secrets \\(provisioning:catalogSecrets, or the CentralServer's secrets: root_password_hash\\); a server's credentials never are$` : `invalid secret name "[ -~]+": expected 1-63 ASCII letters`;
        expect(message).toMatch(new RegExp(`^${file} ${variable.replace(/[.[\]]/g, "\\$&")}(\\.secret)?: ${what}`, "m"));
        // The message shows every character of the name as printable ASCII (a lookalike as \u0435), and no value.
        expect(message.split("\n").slice(1).join("\n")).toMatch(/^[\x20-\x7e\n]*$/);
        for (const v of [KEY_VALUE.split("\n")[1]!, PASS_VALUE, HASH_VALUE]) expect(message).not.toContain(v);
        expect(asked).toEqual({ secrets: [], credentials: [] });
        expect(servers()).toEqual([]);
      });
    }
  }

  it("the same catalog printing the declared name places it: the value asked is the catalog secret's, and the credentials are asked apart", async () => {
    for (const place of ["profile", "host", "code"] as const) {
      declared.length = 0;
      const { args, asked } = program(catalogArg(catalogWith({ secret: "root_password_hash" }, place), place));
      expect(await construct(args)).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const resource = declared.find((d) => d.type === "pulumi-nodejs:dynamic:Resource" && d.name === "lab-r1")!;
      expect(resource, place).toBeDefined();
      const secrets = resource.inputs.secrets as { value?: unknown };
      // Besides an armed host's install token (derived from the stack key, never asked of the catalog's lookup).
      const catalogValues = Object.entries((secrets.value ?? secrets) as Record<string, string>).filter(([n]) => !n.startsWith("host-token"));
      expect(Object.fromEntries(catalogValues)).toEqual({ root_password_hash: HASH_VALUE });
      expect(new Set(asked.secrets)).toEqual(new Set(["root_password_hash"]));
      expect(new Set(asked.credentials)).toEqual(new Set(["lab_ssh_key", "lab_ssh_pass"]));
      // The values the provider may put into files are the catalog's only: no credential, by name or value.
      const filled = JSON.stringify({ files: resource.inputs.files, secrets: resource.inputs.secrets });
      for (const v of ["lab_ssh", PASS_VALUE, KEY_VALUE.split("\n")[1]!]) expect(filled).not.toContain(v);
    }
  });

  it("a map of secrets is the namespace too: its keys and nothing else", async () => {
    const { args, asked } = program(catalogArg(catalogWith({ secret: "lab_ssh_key" }, "profile"), "profile"), { secrets: { root_password_hash: HASH_VALUE } });
    const e = await construct(args);
    expect((e as Error).message).toMatch(/profiles\[0\]\.variables\.motd_text: secret "lab_ssh_key" is not among the catalog's secrets \(provisioning:catalogSecrets, or the CentralServer's secrets: root_password_hash\)/);
    expect(asked.credentials).toEqual([]);
    expect(servers()).toEqual([]);
  });

  it("without secrets the catalog may name none", async () => {
    const { args } = program(catalogArg(catalogWith("plain", "profile"), "profile"), { secrets: undefined });
    const e = await construct(args);
    expect((e as Error).message).toMatch(/profiles\[0\]\.variables\.root_password_hash: secret "root_password_hash" is not among the catalog's secrets \(provisioning:catalogSecrets, or the CentralServer's secrets: none\)/);
  });
});

describe("a server's credential is never a catalog secret", () => {
  const catalog = () => catalogArg(catalogWith("plain", "profile"), "profile");
  for (const [label, names] of [
    ["the private key's name", ["root_password_hash", "lab_ssh_key"]],
    ["the passphrase's name", ["lab_ssh_pass"]],
    ["another case of it", ["LAB_SSH_KEY"]],
  ] as const) {
    it(`declaring ${label} as a catalog secret is refused before any resource`, async () => {
      for (const secrets of [{ names: [...names], lookup: () => "x" }, Object.fromEntries(names.map((n) => [n, "x"]))]) {
        declared.length = 0;
        const { args, asked } = program(catalog(), { secrets });
        const e = await construct(args);
        const bad = names.find((n) => n !== "root_password_hash")!;
        expect((e as Error).message).toMatch(new RegExp(`^\\(program\\) secrets\\.${bad}: catalog secret "${bad}" (is|reads as "lab_ssh_\\w+",) the servers\\[0\\]\\.transport\\.(privateKey|passphrase) of server lab-r1`, "m"));
        expect(asked).toEqual({ secrets: [], credentials: [] });
        expect(servers()).toEqual([]);
      }
    });
  }

  // The library's own check, as the stack file's: a BMC password (`bmcs`) is a credential too.
  for (const [label, bmcName, declaredName] of [
    ["the BMC password's name", "h1_bmc_pw", "h1_bmc_pw"],
    ["another case of a BMC password's name", "h1_bmc_pw", "H1_BMC_PW"],
    ["a Redfish BMC's password", "rf_pw", "Rf_Pw"],
  ] as const) {
    it(`declaring ${label} as a catalog secret of the CentralServer is refused before any resource`, async () => {
      const bmc = bmcName === "rf_pw"
        ? { kind: "redfish" as const, address: "192.0.2.50", port: 443, user: "admin", password: { secret: bmcName }, insecureSkipTlsVerify: true as const }
        : { kind: "ipmi" as const, address: "192.0.2.50", port: 623, user: "admin", password: { secret: bmcName } };
      for (const secrets of [{ names: ["root_password_hash", declaredName], lookup: () => "x" }, { root_password_hash: "x", [declaredName]: "x" }]) {
        declared.length = 0;
        const { args, asked } = program(catalog(), { secrets, bmcs: { h1: bmc } });
        const message = ((await construct(args)) as Error).message;
        expect(message).toMatch(new RegExp(`^\\(program\\) secrets\\.${declaredName}: catalog secret "${declaredName}" (is|reads as "${bmcName}",) the password of the BMC of host h1: a server's credential is never a catalog secret`, "m"));
        expect(asked).toEqual({ secrets: [], credentials: [] });
        expect(servers()).toEqual([]);
      }
    });
  }

  it("credentials by name come from credentials, never from the catalog's secrets", async () => {
    for (const credentials of [undefined, { lab_ssh_key: KEY_VALUE }]) {
      const { args } = program(catalog(), { secrets: { root_password_hash: HASH_VALUE, lab_ssh_pass: PASS_VALUE } as never, credentials });
      const message = ((await construct(args)) as Error).message;
      expect(message).toContain(`(program) servers[0].transport.passphrase: names the credential "lab_ssh_pass", which the CentralServer's credentials do not give (a server's credentials never come from its catalog secrets)`);
      expect(message).not.toContain(PASS_VALUE);
      expect(servers()).toEqual([]);
    }
  });

  it("a lookup without its names is refused: its namespace would be every name", async () => {
    const { args } = program(catalog(), { secrets: ((name: string) => name) as never });
    expect((await construct(args) as Error).message).toMatch(/^\(program\) secrets: expected the catalog's secrets as a map by name, or \{ names, lookup \}/m);
    expect(servers()).toEqual([]);
  });
});

describe("a catalog secret whose value is a credential of the stack is refused by value", () => {
  // Host h1 (on lab-r1), whose BMC the stack declares.
  const catalog = () => catalogArg(catalogWith("plain", "host"), "host");
  const bmc = { kind: "ipmi" as const, address: "192.0.2.50", port: 623, user: "admin", password: { secret: "h1_bmc_pw" } };
  const BMC_VALUE = "the-bmc-password-value";
  const R2_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2Vjb25kLWNoaWxkLWtleS1ib2R5\n-----END OPENSSH PRIVATE KEY-----\n";
  const other = { ...server, name: "lab-r2", tftpPort: 70, transport: { ...server.transport, host: "192.0.2.12", privateKey: { secret: "r2_key" }, passphrase: { secret: "r2_pass" } } };
  const credentialValues: Record<string, string> = { lab_ssh_key: KEY_VALUE, lab_ssh_pass: PASS_VALUE, h1_bmc_pw: BMC_VALUE, r2_key: R2_KEY, r2_pass: "r2-passphrase-value" };
  for (const [label, value, what] of [
    ["a BMC password", BMC_VALUE, "the password of the BMC of host h1"],
    ["a BMC password with whitespace around it", `  ${BMC_VALUE}\n`, "the password of the BMC of host h1"],
    ["another child's passphrase", "r2-passphrase-value", "the SSH passphrase of server lab-r2"],
    ["another child's key inside a longer value", `x ${R2_KEY} y`, "the SSH private key of server lab-r2"],
    ["this child's key", KEY_VALUE, "the SSH private key of server lab-r1"],
  ] as const) {
    it(`${label}: the child's provider is told to refuse, by names alone`, async () => {
      const { args } = program(catalog(), {
        servers: [server, other],
        secrets: { root_password_hash: value },
        credentials: (name) => pulumi.secret(credentialValues[name]!),
        bmcs: { h1: bmc },
      });
      expect(await construct(args)).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const resource = declared.find((d) => d.type === "pulumi-nodejs:dynamic:Resource" && d.name === "lab-r1")!;
      expect(resource).toBeDefined();
      const conflict = resource.inputs.credentialConflict as string;
      expect(conflict).toBe(`the value of the catalog secret "root_password_hash" is ${what}; refusing to place it in a file the child serves`);
      // The provider refuses the update on it before anything is placed (test/transports/credentialConflict.test.ts).
      for (const v of [BMC_VALUE, PASS_VALUE, "r2-passphrase-value", KEY_VALUE.split("\n")[1]!, "c2Vjb25kLWNoaWxkLWtleS1ib2R5"]) expect(conflict).not.toContain(v);
      // The other child serves the same profile: it is refused alike.
      expect(declared.find((d) => d.type === "pulumi-nodejs:dynamic:Resource" && d.name === "lab-r2")!.inputs.credentialConflict).toBe(conflict);
    });
  }

  it("a value that is no credential is placed, and a BMC password the credentials do not give is not asked for", async () => {
    const asked: string[] = [];
    const { args } = program(catalog(), {
      secrets: { root_password_hash: HASH_VALUE },
      credentials: (name) => {
        asked.push(name);
        if (name === "h1_bmc_pw") throw new Error("Missing required configuration variable 'provisioning:h1_bmc_pw'");
        return pulumi.secret(credentialValues[name]!);
      },
      bmcs: { h1: bmc },
    });
    expect(await construct(args)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const placed = declared.filter((d) => d.type === "pulumi-nodejs:dynamic:Resource" && d.name === "lab-r1");
    expect(placed).toHaveLength(1);
    expect(placed[0]!.inputs).not.toHaveProperty("credentialConflict");
  });
});
