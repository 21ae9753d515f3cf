import * as pulumi from "@pulumi/pulumi";
import { TYPE, objectResourceName } from "./names";

export interface CatalogObjectArgs {
  /** Fingerprint of the object's effective definition (the one `impact` compares). */
  readonly definitionHash: string;
}

/**
 * A catalog object in the resource tree, so the stack mirrors the catalog. It owns no files
 * (those belong to the servers that hold them); its output `definitionHash` changes exactly
 * when the object's effective definition does.
 */
abstract class CatalogObject extends pulumi.ComponentResource {
  public readonly definitionHash: pulumi.Output<string>;

  protected constructor(type: string, kind: string, name: string, args: CatalogObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super(type, objectResourceName(kind, name), {}, opts);
    this.definitionHash = pulumi.output(args.definitionHash);
    this.registerOutputs({ definitionHash: this.definitionHash });
  }
}

export class Distribution extends CatalogObject {
  constructor(name: string, args: CatalogObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.distribution, "distribution", name, args, opts);
  }
}

export class Profile extends CatalogObject {
  constructor(name: string, args: CatalogObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.profile, "profile", name, args, opts);
  }
}

export class Template extends CatalogObject {
  constructor(name: string, args: CatalogObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.template, "template", name, args, opts);
  }
}

export class ConfigFile extends CatalogObject {
  constructor(name: string, args: CatalogObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.configFile, "configFile", name, args, opts);
  }
}

export class DistributionProfile extends CatalogObject {
  constructor(name: string, args: CatalogObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.distributionProfile, "distributionProfile", name, args, opts);
  }
}

export class BootLoader extends CatalogObject {
  constructor(name: string, args: CatalogObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.bootLoader, "bootLoader", name, args, opts);
  }
}
