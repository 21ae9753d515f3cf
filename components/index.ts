export { CentralServer, type CentralServerArgs, type ServerSummary } from "./centralServer";
export { ProvisioningServer, type ProvisioningServerArgs, type ConnectionInputs } from "./provisioningServer";
export { Bootstrap, type BootstrapArgs } from "./bootstrap";
export { PlacedFile, type PlacedFileArgs } from "./placedFile";
export { PlacedTree, type PlacedTreeArgs } from "./placedTree";
export { Distribution, Profile, Template, ConfigFile, DistributionProfile, BootLoader, type CatalogObjectArgs } from "./catalogObject";
export { TYPE, fileResourceName, treeResourceName, bootstrapResourceName, objectResourceName } from "./names";
