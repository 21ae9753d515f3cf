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

/** A placed file: `<server>/<path>`, e.g. `pxe-a/tftp/pxelinux.cfg/default`. */
export const fileResourceName = (server: string, path: string) => `${server}/${path}`;

/** The bootstrap of a child: `<server>/bootstrap`. */
export const bootstrapResourceName = (server: string) => `${server}/bootstrap`;

/** A catalog object's component: `<kind>/<name>`, e.g. `template/ks-base`. */
export const objectResourceName = (kind: string, name: string) => `${kind}/${name}`;
