// Type tokens and child names are a contract: previews, plans and state refer to them.
// Renames must go through `aliases`.

export const TYPE = {
  central: "provisioning:index:CentralServer",
  server: "provisioning:index:ProvisioningServer",
  bootstrap: "provisioning:index:Bootstrap",
  distribution: "provisioning:index:Distribution",
  profile: "provisioning:index:Profile",
  template: "provisioning:index:Template",
  configFile: "provisioning:index:ConfigFile",
  distributionProfile: "provisioning:index:DistributionProfile",
  bootLoader: "provisioning:index:BootLoader",
} as const;

/** A file that is its own resource (a secret one, the manifest): `<server>/<path>`, e.g. `pxe-a/manifest.json`. */
export const fileResourceName = (server: string, path: string) => `${server}/${path}`;

/** The other files of a child, as one resource: `<server>/files`. */
export const treeResourceName = (server: string) => `${server}/files`;

/** The bootstrap of a child: `<server>/bootstrap`. */
export const bootstrapResourceName = (server: string) => `${server}/bootstrap`;

/** A catalog object's component: `<kind>/<name>`, e.g. `template/ks-base`. */
export const objectResourceName = (kind: string, name: string) => `${kind}/${name}`;
