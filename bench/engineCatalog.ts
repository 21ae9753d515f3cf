/**
 * The engine benchmark's fleet: a generated catalog written to a folder (with placeholder kernel
 * payloads and their real checksums) and N servers, shaped so every server holds about 40 files
 * and one template edit touches a known set of servers:
 * - `base0..3`: every server serves them (autoinstall + 5 config files each);
 * - `grp0..9`: server i serves `grp{i % 10}` (template `grp-tpl-{g}`: edit it to touch N/10 servers);
 * - `node{i}`: server i alone serves it (template `node-tpl-{i}`: edit it to touch one server).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CatalogFileInput, ServerInput } from "../src/catalog/schema";
import { toSources } from "./generateCatalog";

export const GROUPS = 10;

/** Template to edit to touch exactly the servers of group `g` (those with index % GROUPS === g). */
export const groupTemplate = (g: number) => `grp-tpl-${g}`;
/** Template to edit to touch exactly server index `i`. */
export const nodeTemplate = (i: number) => `node-tpl-${i}`;
export const serverName = (i: number) => `srv${String(i).padStart(3, "0")}`;

function catalogInput(n: number, dir: string): CatalogFileInput {
  const distributions = [0, 1].map((d) => {
    const payload = (file: string) => {
      const rel = `payloads/dist${d}/${file}`;
      const bytes = Buffer.from(`placeholder ${file} of dist${d}\n`.repeat(64));
      fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), bytes);
      return { path: rel, sha256: createHash("sha256").update(bytes).digest("hex") };
    };
    return {
      name: `dist${d}`,
      arch: "x86_64" as const,
      breed: d ? ("debian" as const) : ("redhat" as const),
      kernel: payload("vmlinuz"),
      initrd: payload("initrd.img"),
      installTree: `http://mirror.example.org/dist${d}/os`,
      kernelOptions: { "inst.ks": "{{ autoinstallUrl }}", ip: "dhcp" },
    };
  });
  const templates: NonNullable<CatalogFileInput["templates"]> = [
    { name: "net-snippet", kind: "snippet", text: "network --bootproto=dhcp --hostname={{ server.name }}-client\n" },
    {
      name: "auto",
      kind: "autoinstall",
      text: '# {{ profile.name }} from {{ server.name }}\nurl --url={{ distribution.installTree }}\n{% include "net-snippet" %}\nrole {{ profile.variables.role }}\n',
    },
  ];
  const configFiles: NonNullable<CatalogFileInput["configFiles"]> = [];
  const conf = (name: string, template: string, text: string) => {
    templates.push({ name: template, kind: "config", text });
    configFiles.push({ name, template, destination: `/etc/bench/${name}` });
    return name;
  };
  const profiles: NonNullable<CatalogFileInput["profiles"]> = [];
  for (let b = 0; b < 4; b++) {
    const cfs = Array.from({ length: 5 }, (_, c) => conf(`base${b}-${c}.conf`, `base-tpl-${b}-${c}`, `# base ${b}/${c}\nsite={{ server.site }}\n`));
    profiles.push({ name: `base${b}`, distribution: `dist${b % 2}`, autoinstall: "auto", variables: { role: `base${b}` }, configFiles: cfs });
  }
  for (let g = 0; g < GROUPS; g++) {
    const cfs = [conf(`grp${g}.conf`, groupTemplate(g), `# group ${g}\nrack={{ server.labels.rack }}\n`)];
    for (let c = 1; c < 4; c++) cfs.push(conf(`grp${g}-${c}.conf`, `grp-tpl-${g}-${c}`, `# group ${g} part ${c}\n`));
    profiles.push({ name: `grp${g}`, distribution: `dist${g % 2}`, autoinstall: "auto", variables: { role: `grp${g}` }, configFiles: cfs });
  }
  for (let i = 0; i < n; i++) {
    const cf = conf(`node${i}.conf`, nodeTemplate(i), `# node ${i}\nhost={{ server.name }}\n`);
    profiles.push({ name: `node${i}`, distribution: "dist0", autoinstall: "auto", variables: { role: `node${i}` }, configFiles: [cf] });
  }
  return { distributions, profiles, templates, configFiles };
}

/** Writes the catalog for `n` servers into `dir` (a folder of YAML files plus payloads). */
export function writeEngineCatalog(dir: string, n: number): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const s of toSources(catalogInput(n, dir))) fs.writeFileSync(path.join(dir, s.file), s.text);
}

/** Appends a comment line to one inline template of the catalog in `dir`. */
export function editTemplate(dir: string, template: string, line: string): void {
  const file = path.join(dir, "templates.yaml");
  const text = fs.readFileSync(file, "utf8");
  // toSources writes `- name: X` then `kind:` then `text: |` blocks; insert a line into X's text block.
  const at = text.indexOf(`- name: ${template}\n`);
  if (at < 0) throw new Error(`template ${template} not found in ${file}`);
  const textKey = text.indexOf("text:", at);
  const blockStart = text.indexOf("\n", textKey) + 1;
  const indent = /^( *)/.exec(text.slice(blockStart))![1]!;
  fs.writeFileSync(file, text.slice(0, blockStart) + `${indent}${line}\n` + text.slice(blockStart));
}

/** Server entries (without transport: the caller sets it). */
export function engineServers(n: number): Omit<ServerInput, "transport">[] {
  return Array.from({ length: n }, (_, i) => ({
    name: serverName(i),
    site: `site${i % 5}`,
    arch: ["x86_64"],
    labels: { rack: `r${i % 13}` },
    profiles: ["base*", `grp${i % GROUPS}`, `node${i}`],
    address: "127.0.0.1",
    tftpPort: 30000 + i,
    httpPort: 40000 + i,
  }));
}
