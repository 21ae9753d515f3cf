/**
 * Secrets never enter rendering. A template that prints a secret variable prints a token in its
 * place, `\0secret:NAME\0`, and the provider that writes the file on the child puts the value
 * there (unmask). So rendered text, the content store, impact, plan and reports hold only tokens;
 * reports show them as `[secret:NAME]`.
 *
 * A template may print a secret only as it is: one that slices, transforms or compares it would
 * render something the token cannot stand for. Rendering twice, with two tokens that differ in
 * every character, tells: the second text must be the first with the tokens swapped.
 */
export const secretToken = (name: string) => `\u0000secret:${name}\u0000`;
/** The other token of the opacity check: differs from `secretToken` in every character but the name. */
export const otherSecretToken = (name: string) => `\u0001SECRET;${name}\u0001`;
/** How reports show a secret. */
export const secretMarker = (name: string) => `[secret:${name}]`;

const TOKEN_RE = /\u0000secret:([A-Za-z0-9._-]+)\u0000/g;

/** Names of the secrets whose tokens a text holds, sorted and unique. */
export function secretNamesIn(text: string): string[] {
  return [...new Set([...text.matchAll(TOKEN_RE)].map((m) => m[1]!))].sort();
}

/** The text as a reviewer may see it: tokens as `[secret:NAME]`, or as `marker` prints each name. */
export const showSecretsWith = (text: string, marker: (name: string) => string) => text.replace(TOKEN_RE, (_, name: string) => marker(name));
export const showSecrets = (text: string) => showSecretsWith(text, secretMarker);

/** The text with each token replaced by its secret's value; a token without a value is an error. */
export function unmask(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(TOKEN_RE, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for secret ${JSON.stringify(name)}`);
    return value;
  });
}

/** Whether `second` is `first` with every secret token swapped for the other token (see above). */
export function printsSecretsOpaquely(first: string, second: string, names: readonly string[]): boolean {
  let swapped = first;
  for (const n of names) swapped = swapped.split(secretToken(n)).join(otherSecretToken(n));
  return swapped === second && !/[\u0000\u0001]/.test(first.replace(TOKEN_RE, ""));
}

/**
 * A host's install token and its sha256 are secrets the program derives (keyed with the stack's
 * key), not catalog secrets: their names hold a '.', which no catalog secret name may, and the
 * generation, so a reinstall names (and derives) a new token.
 */
export const HOST_TOKEN_PREFIX = "host-token.";
export const HOST_TOKEN_SHA256_PREFIX = "host-token-sha256.";
export const hostTokenName = (host: string, generation: string) => `${HOST_TOKEN_PREFIX}${host}.${generation}`;
export const hostTokenSha256Name = (host: string, generation: string) => `${HOST_TOKEN_SHA256_PREFIX}${host}.${generation}`;
/** The token a `host-token-sha256.` name hashes, or undefined for any other name. */
export const hashedTokenName = (name: string) => (name.startsWith(HOST_TOKEN_SHA256_PREFIX) ? HOST_TOKEN_PREFIX + name.slice(HOST_TOKEN_SHA256_PREFIX.length) : undefined);
export const isHostTokenName = (name: string) => name.startsWith(HOST_TOKEN_PREFIX) || name.startsWith(HOST_TOKEN_SHA256_PREFIX);
