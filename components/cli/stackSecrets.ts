/**
 * A secret of a stack's config (`provisioning:NAME`), for the commands that act without the
 * engine (`provision power`). The Pulumi CLI decrypts it (`pulumi config get`, with the stack's
 * secrets provider and passphrase, as `provision pulumi` sets them up) and prints it on a pipe to
 * this process: one value, asked by name, never in an argument, a file or the environment of a
 * command line, and no other secret of the stack is decrypted.
 */
import { SECRET_NAME_PATTERN } from "../../src/catalog/schema";
import { runPulumiAsync } from "./engine";

export class StackSecretError extends Error {
  override readonly name = "StackSecretError";
}

/** A reader of the stack's secrets, each read at most once per run. */
export function stackSecrets(projectDir: string, stack: string): (name: string) => Promise<string> {
  const read = new Map<string, Promise<string>>();
  return (name) => {
    let value = read.get(name);
    if (!value) {
      value = readSecret(projectDir, stack, name);
      read.set(name, value);
    }
    return value;
  };
}

async function readSecret(projectDir: string, stack: string, name: string): Promise<string> {
  if (!SECRET_NAME_PATTERN.test(name)) throw new StackSecretError(`invalid secret name ${JSON.stringify(name)}`);
  const key = `provisioning:${name}`;
  const r = await runPulumiAsync(projectDir, ["config", "get", "--stack", stack, key]);
  if (r.code !== 0) {
    const why = r.stderr.trim().split("\n").filter(Boolean).slice(-2).join("; ") || `exit ${r.code}`;
    throw new StackSecretError(`cannot read secret ${key} of stack ${stack}: ${why}`);
  }
  // The CLI ends the value with one newline.
  return r.stdout.endsWith("\n") ? r.stdout.slice(0, -1) : r.stdout;
}
