/**
 * The catalog's secret namespace. The catalog arrives in pull requests and a template may print
 * any `{ secret: NAME }` it names into a file every PXE client can fetch, so it may name only the
 * secrets the stack declares for it (`provisioning:catalogSecrets`, or the keys of the
 * CentralServer's `secrets`). A server's credentials (an SSH `privateKey`, its `passphrase`)
 * live in another namespace, and no declared name may even look like one of them.
 */
import type { Bmc } from "../bmc";
import type { CatalogIssue } from "./errors";
import type { Catalog } from "./load";
import { secretRefName, shownSecretName } from "./schema";

/** Where a name is written, for messages. */
export interface NamedAt {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly path: string;
}

/** A server's credential given by name: `key` is where in the entry (`transport.privateKey`). */
export interface CredentialRef {
  readonly name: string;
  readonly server: string;
  readonly key: string;
  /** What holds it, as messages name it. @default - server <server> */
  readonly of?: string;
}

/** Every `{ secret: NAME }` of the catalog (profile and host variables), at its variable. */
export function catalogSecretRefs(catalog: Catalog): NamedAt[] {
  return [...catalog.profiles, ...catalog.hosts].flatMap(({ variables, origin }) =>
    Object.entries(variables ?? {}).flatMap(([k, v]) => {
      const name = secretRefName(v);
      if (name === undefined) return [];
      return [{ name, file: origin.file, line: origin.keyLines[`variables.${k}`] ?? origin.line, path: `${origin.path}.variables.${k}` }];
    }),
  );
}

/**
 * A catalog reference to a name outside the namespace: an error at its variable, naming the
 * secret and the names allowed (never a value: the check sees none).
 */
export function undeclaredSecrets(catalog: Catalog, declared: readonly string[], declaredIn: string): CatalogIssue[] {
  const allowed = new Set(declared);
  const shown = declared.length > 0 ? [...allowed].sort().join(", ") : "none";
  return catalogSecretRefs(catalog)
    .filter((r) => !allowed.has(r.name))
    .map((r) => ({
      file: r.file,
      line: r.line,
      path: r.path,
      message: `secret ${shownSecretName(r.name)} is not among the catalog's secrets (${declaredIn}: ${shown}); a server's credentials never are`,
      severity: "error" as const,
    }));
}

/** Names a reader takes for one: compared without case (the pattern allows ASCII only). */
const folded = (name: string) => name.toLowerCase();

/** A declared catalog secret that is, or reads as, a server's credential: an error at the declaration. */
export function credentialConflicts(declared: readonly NamedAt[], credentials: readonly CredentialRef[]): CatalogIssue[] {
  return declared.flatMap((d) => {
    const c = credentials.find((x) => folded(x.name) === folded(d.name));
    if (!c) return [];
    const same = c.name === d.name ? "is" : `reads as ${shownSecretName(c.name)},`;
    return [
      {
        file: d.file,
        line: d.line,
        path: d.path,
        message:
          `catalog secret ${shownSecretName(d.name)} ${same} the ${c.key} of ${c.of ?? `server ${c.server}`}: ` +
          "a server's credential is never a catalog secret (give the catalog's secret a name of its own)",
        severity: "error" as const,
      },
    ];
  });
}

/**
 * Every credential a server entry names, wherever in the entry (`transport.privateKey`,
 * `transport.passphrase`, any later one): each `{ secret: NAME }` of its plain data.
 */
export function serverCredentialRefs(servers: readonly { readonly name: string }[]): CredentialRef[] {
  const out: CredentialRef[] = [];
  const walk = (v: unknown, server: string, key: string) => {
    const name = secretRefName(v);
    if (name !== undefined) out.push({ name, server, key });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, server, `${key}[${i}]`));
    // Plain data only: an Input (an Output, a Promise) names no secret.
    else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, x] of Object.entries(v)) walk(x, server, key ? `${key}.${k}` : k);
    }
  };
  for (const s of servers) walk(s, s.name, "");
  return out;
}

/** The BMC passwords: credentials of the stack, like a server's SSH key. */
export function bmcCredentialRefs(bmcs: Readonly<Record<string, Bmc>>): CredentialRef[] {
  // A program's bmcs are unchecked here: an entry without a password by name names none.
  return Object.entries(bmcs).flatMap(([host, b]) => {
    const name = secretRefName((b as { password?: unknown } | undefined)?.password);
    return name === undefined ? [] : [{ name, server: host, key: "password", of: `the BMC of host ${host}` }];
  });
}

/**
 * The one rule for a declared namespace, wherever it is declared (the stack file, a program's
 * CentralServer): no catalog secret is, or reads as, a server's credential or a BMC's password.
 * `serversKey` is how messages name the list of servers (`provisioning:servers`, `servers`).
 */
export function namespaceIssues(
  declared: readonly NamedAt[],
  servers: readonly { readonly name: string }[],
  bmcs: Readonly<Record<string, Bmc>>,
  serversKey = "servers",
): CatalogIssue[] {
  return credentialConflicts(declared, [
    ...servers.flatMap((s, i) => serverCredentialRefs([s]).map((c) => ({ ...c, key: `${serversKey}[${i}].${c.key}` }))),
    ...bmcCredentialRefs(bmcs),
  ]);
}

/** A credential's value, for the check by value: `within` also refuses it inside a longer value. */
export interface CredentialValue {
  /** As messages name it (`this child's SSH private key`, `the password of the BMC of host h1`). */
  readonly what: string;
  readonly value: string;
  readonly within?: boolean;
}

/**
 * The check by value, behind the one by name: the first catalog secret whose value is a
 * credential (compared trimmed; a key inside a longer value too, a password or passphrase as the
 * whole value), as a message naming the secret and the credential, never a value.
 */
export function credentialValueConflict(secrets: Readonly<Record<string, string>>, credentials: readonly CredentialValue[]): string | undefined {
  const creds = credentials.map((c) => ({ ...c, value: c.value.trim() })).filter((c) => c.value !== "");
  for (const [name, value] of Object.entries(secrets)) {
    const v = value.trim();
    const c = creds.find((x) => v === x.value || (x.within === true && v.includes(x.value)));
    if (c) return `the value of the catalog secret ${shownSecretName(name)} is ${c.what}; refusing to place it in a file the child serves`;
  }
  return undefined;
}
