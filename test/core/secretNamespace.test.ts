// The catalog's secret namespace, pure: for any string a catalog writes as `{ secret: NAME }`
// (random text, and every spelling of a credential's name), the catalog either fails to load at
// that variable or is refused by the namespace check there, unless NAME is exactly a declared
// name; and the names server entries use as credentials are found wherever they are.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CatalogError, type CatalogIssue } from "../../src/catalog/errors";
import { type Catalog, loadCatalogInput } from "../../src/catalog/load";
import { ServerSchema } from "../../src/catalog/schema";
import { catalogSecretRefs, credentialConflicts, serverCredentialRefs, undeclaredSecrets } from "../../src/catalog/secretNamespace";
import { minimal } from "./helpers";

const DECLARED = ["pw", "root_password_hash"];
const CREDENTIALS = ["lab_ssh_key", "lab_ssh_pass"];

/** The minimal catalog with `{ secret: name }` in the web profile's variables, or in a host's. */
function catalogNaming(name: string, place: "profile" | "host"): { catalog?: Catalog; issues: CatalogIssue[] } {
  const data = minimal();
  if (place === "profile") data.profiles[1]!.variables = { role: "web", motd: { secret: name } };
  const hosts = place === "host" ? [{ name: "h1", interfaces: [{ mac: "52:54:00:00:00:01" }], profile: "web", site: "dc1", variables: { motd: { secret: name } } }] : [];
  try {
    const catalog = loadCatalogInput({ ...data, hosts } as never, { baseDir: "/nonexistent", readPayloads: false });
    return { catalog, issues: undeclaredSecrets(catalog, DECLARED, "provisioning:catalogSecrets") };
  } catch (e) {
    if (e instanceof CatalogError) return { issues: e.issues };
    throw e;
  }
}

const at = (place: "profile" | "host") => (place === "profile" ? "profiles[web].variables.motd" : "hosts[h1].variables.motd");

/** Every spelling of a credential's name a reader might take for it. */
function spellingsOf(name: string): string[] {
  return [
    name,
    name.toUpperCase(),
    name[0]!.toUpperCase() + name.slice(1),
    `provisioning:${name}`,
    `provisioning:config:${name}`,
    `${name}.value`,
    ` ${name}`,
    `${name} `,
    `${name}\n`,
    `\t${name}`,
    name.replace("a", "\u0430"), // Cyrillic a
    name.replace("e", "\u0435").replace("k", "\u043a"), // Cyrillic e, k
    name.replace("l", "\uff4c"), // fullwidth l
    name.replace("_", "\u200b_"), // zero-width space
    name.replace("s", "s\u0301"), // combining acute
    "",
  ];
}

describe("a catalog reference resolves only to a declared name", () => {
  for (const place of ["profile", "host"] as const) {
    it(`${place} variables: every spelling of a credential's name is refused at the variable`, () => {
      for (const cred of CREDENTIALS) {
        for (const spelling of spellingsOf(cred)) {
          const { issues } = catalogNaming(spelling, place);
          const label = JSON.stringify(spelling);
          expect(issues.filter((i) => i.severity === "error").length, label).toBeGreaterThan(0);
          // At the variable (or its `.secret`), and never naming anything but the spelling and the declared names.
          for (const i of issues) expect(i.path.startsWith(at(place)), `${label}: ${i.path}`).toBe(true);
          for (const i of issues) expect(i.message, label).toMatch(/^(secret "[\x20-\x7e]*" is not among the catalog's secrets \(provisioning:catalogSecrets: pw, root_password_hash\)|invalid secret name "[\x20-\x7e]*")/);
        }
      }
    });

    it(`${place} variables: any string is either exactly a declared name or refused (property)`, () => {
      const names = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom(...DECLARED, ...CREDENTIALS), fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,10}$/));
      fc.assert(
        fc.property(names, (name) => {
          const { catalog, issues } = catalogNaming(name, place);
          const errors = issues.filter((i) => i.severity === "error");
          if (DECLARED.includes(name)) return catalog !== undefined && errors.length === 0;
          return errors.length > 0 && errors.every((i) => i.path.startsWith(at(place)));
        }),
        { numRuns: 300 },
      );
    });
  }

  it("finds every reference of a catalog: profile and host variables, with their lines when written in YAML", () => {
    const { catalog } = catalogNaming("pw", "host");
    expect(catalogSecretRefs(catalog!).map((r) => `${r.path} ${r.name}`)).toEqual(["profiles[base].variables.pw pw", "hosts[h1].variables.motd pw"]);
  });
});

describe("server credentials and the declared names", () => {
  const ssh = (name: string, transport: Record<string, unknown>) =>
    ServerSchema.parse({ name, transport: { kind: "ssh", host: "10.0.0.5", user: "root", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", root: "/srv/p", ...transport }, arch: ["x86_64"], site: "s", profiles: [], tftpPort: 69, httpPort: 80 });
  const servers = [ssh("a", { privateKey: { secret: "lab_ssh_key" } }), ssh("b", { privateKey: { secret: "other_key" }, passphrase: { secret: "lab_ssh_pass" } })];

  it("every credential a server entry names is found, with where it is", () => {
    expect(serverCredentialRefs(servers)).toEqual([
      { name: "lab_ssh_key", server: "a", key: "transport.privateKey" },
      { name: "other_key", server: "b", key: "transport.privateKey" },
      { name: "lab_ssh_pass", server: "b", key: "transport.passphrase" },
    ]);
  });

  it("a declared name equal to one, or equal but for case, is refused; others pass", () => {
    const declared = ["root_password_hash", "lab_ssh_key", "LAB_SSH_PASS", "Other_Key", "lab_ssh_key2"].map((name, i) => ({ name, file: "f", line: i + 1, path: `d[${i}]` }));
    expect(credentialConflicts(declared, serverCredentialRefs(servers)).map((i) => `${i.line} ${i.message.split(":")[0]}`)).toEqual([
      '2 catalog secret "lab_ssh_key" is the transport.privateKey of server a',
      '3 catalog secret "LAB_SSH_PASS" reads as "lab_ssh_pass", the transport.passphrase of server b',
      '4 catalog secret "Other_Key" reads as "other_key", the transport.privateKey of server b',
    ]);
  });
});
