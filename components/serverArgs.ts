/**
 * Server entries as a program gives them: the stack config's shape (src/catalog/schema.ts), where
 * the address and the SSH connection (host, port, user, host key, private key, passphrase) may be
 * `pulumi.Input`s — a VM's IP from another provider, a key from a secrets manager.
 *
 * What is plain is validated at once with the schema; what is an Input is validated with the
 * same schema when it is known. Selection needs nothing that may be an Input; rendering needs the
 * address, so a server whose address is not yet known renders when it is.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { CatalogError, type CatalogIssue, formatIssue } from "../src/catalog/errors";
import {
  HostKeySchema,
  AddressSchema,
  type LocalTransportSchema,
  NameSchema,
  PortSchema,
  type SecretRefSchema,
  type Server,
  type ServerInput,
  ServerSchema,
  type SshTransportSchema,
} from "../src/catalog/schema";
import { zodToIssues } from "../src/catalog/zodIssues";

type SecretRef = z.input<typeof SecretRefSchema>;

export type SshTransportArgs = Omit<z.input<typeof SshTransportSchema>, "host" | "port" | "user" | "hostKey" | "privateKey" | "passphrase"> & {
  host: pulumi.Input<string>;
  port?: pulumi.Input<number>;
  user: pulumi.Input<string>;
  hostKey?: pulumi.Input<string>;
  /** `{ secret: NAME }` (a credential of the CentralServer's `credentials`, never one of its catalog `secrets`), or the key itself. */
  privateKey: SecretRef | pulumi.Input<string>;
  passphrase?: SecretRef | pulumi.Input<string>;
};

/** A server entry whose address and SSH connection may be Inputs. */
export type ServerArgs = Omit<ServerInput, "address" | "transport"> & {
  /** Address PXE clients use to reach this child. @default "127.0.0.1" */
  address?: pulumi.Input<string>;
  transport: z.input<typeof LocalTransportSchema> | SshTransportArgs;
};

export const isInput = (v: unknown): boolean => pulumi.Output.isInstance(v) || v instanceof Promise;

/** Stand-ins that satisfy the schema, for the fields that are not known yet. */
const STAND_IN: Record<string, unknown> = {
  address: "127.0.0.1",
  host: "input.invalid",
  port: 22,
  user: "input",
  hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
  privateKey: { secret: "input" },
  passphrase: { secret: "input" },
};

/** A key given as its value (not `{secret: NAME}`) is checked when used, like an Input. */
const VALUE_ALLOWED = new Set(["privateKey", "passphrase"]);
const withStandIns = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, isInput(v) || (VALUE_ALLOWED.has(k) && typeof v === "string") ? STAND_IN[k] : v]));

export interface CheckedServer {
  /** The entry with its defaults, for selection and, when `addressKnown`, rendering (Inputs stand-ins). */
  readonly server: Server;
  readonly args: ServerArgs;
  /** Whether the address is plain, so the server renders at once. */
  readonly addressKnown: boolean;
}

/** Validates every entry's plain fields; all problems together, as `servers[i].key: message` lines. */
export function checkServers(servers: readonly ServerArgs[], where = "servers"): CheckedServer[] {
  const issues: CatalogIssue[] = [];
  const checked = servers.map((args, i) => {
    const probe = { ...withStandIns(args as Record<string, unknown>), transport: withStandIns(args.transport as Record<string, unknown>) };
    const parsed = ServerSchema.safeParse(probe);
    if (!parsed.success) {
      issues.push(...zodToIssues(parsed.error, ServerSchema, "(program)", () => 0, [where, i]));
      return undefined;
    }
    return { server: parsed.data, args, addressKnown: !isInput(args.address) };
  });
  if (issues.length > 0) throw new CatalogError(issues);
  return checked as CheckedServer[];
}

const SCHEMAS: Record<string, z.ZodType> = { address: AddressSchema, host: AddressSchema, port: PortSchema, user: NameSchema, hostKey: HostKeySchema };

/** Checks a value that was an Input once it is known; the error names the server and the key. */
export function checkResolved<T>(server: string, key: keyof typeof SCHEMAS, value: T): T {
  const parsed = SCHEMAS[key]!.safeParse(value);
  if (!parsed.success) throw new Error(formatIssue({ file: "(program)", line: 0, path: `${server}.${key}`, message: parsed.error.issues[0]?.message ?? "invalid", severity: "error" }));
  return value;
}
