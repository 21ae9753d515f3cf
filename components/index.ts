// The package's entry point: the components, and the pure core (catalog, selection, rendering,
// impact, reports) for programs that want to look before they place.
export { CentralServer, type CentralServerArgs, type CatalogSecretLookup, type ServerSummary } from "./centralServer";
export { ProvisioningServer, type ProvisioningServerArgs } from "./provisioningServer";
export type { ServerArgs, SshTransportArgs } from "./serverArgs";
export { TYPE, serverResourceName, STACK_KEY, waveBarrierName } from "./names";
export * from "../src";
