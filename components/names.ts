// Type tokens and child names are a contract: previews, plans and state refer to them.
// Renames must go through `aliases`.

export const TYPE = {
  central: "provisioning:index:CentralServer",
  server: "provisioning:index:ProvisioningServer",
} as const;

/** A child's one resource (its daemons and files), under its ProvisioningServer: named like the server. */
export const serverResourceName = (server: string) => server;

/** The stack key: a random secret, made once, that versions of secret values are keyed with. */
export const STACK_KEY = "stack-key";

/** The barrier after rollout wave N: the next wave's servers wait for it. */
export const waveBarrierName = (wave: number) => `wave-${wave}`;
