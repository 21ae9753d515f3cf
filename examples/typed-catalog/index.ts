// A catalog declared in TypeScript (typed by the package's schemas, checked with the same
// located errors as a YAML catalog), placed on one child whose address is another resource's
// output: here a stand-in for a VM created in the same program.
import * as pulumi from "@pulumi/pulumi";
import { CentralServer, type CatalogFileInput } from "pulumi-provisioning";

const config = new pulumi.Config();

const catalog: CatalogFileInput = {
  distributions: [
    {
      name: "tiny-x86_64",
      arch: "x86_64",
      breed: "generic",
      kernel: { path: "payloads/vmlinuz" },
      initrd: { path: "payloads/initrd.img" },
      installTree: "http://mirror.example.org/tiny",
      kernelOptions: { "inst.ks": "{{ autoinstallUrl }}" },
    },
  ],
  profiles: [
    { name: "base", distribution: "tiny-x86_64", autoinstall: "kickstart", variables: { role: "base", root_password_hash: { secret: "root_password_hash" } } },
    { name: "web", parent: "base", variables: { role: "web" } },
  ],
  templates: [
    {
      name: "kickstart",
      kind: "autoinstall",
      text: "# {{ profile.name }} ({{ profile.variables.role }}), from {{ server.httpBase }}\nrootpw --iscrypted {{ profile.variables.root_password_hash }}\n",
    },
  ],
};

// A stand-in for a machine another provider creates: its address is known once it exists.
const vmProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: inputs.name, outs: { address: inputs.address } };
  },
  async diff(_id, olds, news) {
    return { changes: olds.address !== news.address };
  },
  async update(_id, _olds, news) {
    return { outs: { address: news.address } };
  },
};

class Vm extends pulumi.dynamic.Resource {
  declare public readonly address: pulumi.Output<string>;
  constructor(name: string, address: pulumi.Input<string>) {
    super(vmProvider, name, { name, address }, {});
  }
}

const vm = new Vm("pxe-vm", config.get("vmAddress") ?? "127.0.0.1");

const central = new CentralServer("central", {
  catalog,
  servers: [
    {
      name: "pxe-vm",
      site: "lab",
      arch: ["x86_64"],
      profiles: ["web"],
      transport: { kind: "local", root: config.require("root") },
      address: vm.address,
      tftpPort: config.requireNumber("tftpPort"),
      httpPort: config.requireNumber("httpPort"),
    },
  ],
  secrets: { root_password_hash: config.requireSecret("rootPasswordHash") },
});

export const menu = central.servers["pxe-vm"]!.tftpUrl;
export const autoinstall = central.servers["pxe-vm"]!.httpUrl;
