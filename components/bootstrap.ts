import * as pulumi from "@pulumi/pulumi";
import type { Server } from "../src";
import { TYPE, bootstrapResourceName } from "./names";
import { bootstrapScriptSha256 } from "./provider/bootstrapProvider";
import { DynamicResource } from "./dynamicResource";
import type { ConnectionInputs } from "./provisioningServer";

export interface BootstrapArgs {
  /** The child's entry from stack config (ports, bind address, whether installing is allowed). */
  readonly server: Server;
  /** How to reach the child. */
  readonly connection: ConnectionInputs;
}


class BootstrapRun extends DynamicResource {
  public readonly serving!: pulumi.Output<boolean>;
}

/**
 * Makes a bare child serve: installs (when missing and allowed) and starts a TFTP daemon for
 * `<root>/tftp` and an HTTP daemon for `<root>/http` on the child's ports. Re-runs when its
 * settings or the bootstrap script change, or when a refresh found the daemons stopped.
 */
export class Bootstrap extends pulumi.ComponentResource {
  public readonly serving: pulumi.Output<boolean>;

  constructor(serverName: string, args: BootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.bootstrap, bootstrapResourceName(serverName), {}, opts);
    const { server } = args;
    const run = new BootstrapRun(
      "bootstrap",
      bootstrapResourceName(serverName),
      {
        ...args.connection,
        tftpPort: server.tftpPort,
        httpPort: server.httpPort,
        bindAddress: server.bindAddress ?? server.address,
        install: server.bootstrap?.install ?? true,
        scriptSha256: bootstrapScriptSha256,
      },
      { parent: this, additionalSecretOutputs: ["privateKey", "passphrase"] },
    );
    this.serving = run.serving;
    this.registerOutputs({ serving: this.serving });
  }
}
