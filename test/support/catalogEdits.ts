// Seeded single edits of a generated catalog (or of the server list), for the agreement test
// of `impact` and `plan`: each kind makes one deterministic edit of the base given a PRNG.
import * as fs from "node:fs";
import * as path from "node:path";
import { generateCatalogInput, prng, toSources } from "../../bench/generateCatalog";
import { ServerSchema, loadCatalog, render, resolveCatalog, type CatalogFileInput, type ResolvedCatalog, type Server, type ServerInput } from "../../src";
import type { FleetServer } from "./fleet";

export const CATALOG = { profiles: 8, distributions: 2, templates: 6, seed: 11 };
export const EDIT_SEED = 20261126;
export const EDITS = 50;
export const SERVERS = 10;

export type Input = Required<Pick<CatalogFileInput, "distributions" | "profiles" | "templates" | "configFiles" | "distributionProfiles">>;

/** The generated catalog with payloads as small local files (the children receive them). */
export function baseCatalog(dir: string): Input {
  const input = generateCatalogInput(CATALOG) as Input;
  const distributions = input.distributions.map((d) => {
    for (const part of ["vmlinuz", "initrd.img"]) {
      fs.mkdirSync(path.join(dir, "payloads", d.name), { recursive: true });
      fs.writeFileSync(path.join(dir, "payloads", d.name, part), `${part} of ${d.name}\n`);
    }
    return { ...d, kernel: { path: `payloads/${d.name}/vmlinuz` }, initrd: { path: `payloads/${d.name}/initrd.img` } };
  });
  return { ...input, distributions };
}

export function writeCatalog(dir: string, input: Input) {
  for (const f of fs.readdirSync(dir)) if (f.endsWith(".yaml")) fs.rmSync(path.join(dir, f));
  for (const s of toSources(input)) fs.writeFileSync(path.join(dir, s.file), s.text);
}

/** Ten servers over the catalog: a listed name or a glob or two, one or both arches, sites and waves; each serves something. */
export function fleetServers(resolved: ResolvedCatalog): FleetServer[] {
  const rnd = prng(CATALOG.seed * 31);
  const profiles = [...resolved.profiles.keys()];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: SERVERS }, (_, i) => {
    for (;;) {
      const patterns = [rnd() < 0.5 ? pick(profiles) : `${pick(profiles)}*`];
      if (rnd() < 0.4) patterns.push(pick(profiles));
      const server: FleetServer = {
        name: `srv${i}`,
        site: `site${i % 3}`,
        arch: i % 4 === 0 ? ["x86_64", "aarch64"] : [i % 2 ? "aarch64" : "x86_64"],
        profiles: [...new Set(patterns)],
        wave: i % 3,
      };
      const entry = ServerSchema.parse({ ...server, transport: { kind: "local", root: "/unused" }, tftpPort: 1, httpPort: 2 });
      if (render(resolved, entry).selection.profiles.length > 0) return server;
    }
  });
}

export interface Edit {
  readonly label: string;
  readonly input: Input;
  readonly servers: ServerInput[];
}

type EditKind = (rnd: () => number, n: number, base: Input, servers: ServerInput[], catalogDir: string) => Edit;

export const clone = <T>(x: T): T => structuredClone(x);
const pickOf = (rnd: () => number) => <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

/** Each kind makes one edit of the base catalog (or server list); deterministic given rnd. */
export const KINDS: Record<string, EditKind> = {
  template(rnd, n, base, servers) {
    const input = clone(base);
    const t = pickOf(rnd)(input.templates.filter((x) => x.kind === "autoinstall" || x.kind === "config"));
    t.text = `${t.text}# edit ${n}\n`;
    return { label: `template text of ${t.name}`, input, servers };
  },
  snippet(rnd, n, base, servers) {
    const input = clone(base);
    const t = pickOf(rnd)(input.templates.filter((x) => x.kind === "snippet"));
    t.text = `${t.text}# snippet edit ${n}\n`;
    return { label: `snippet ${t.name}`, input, servers };
  },
  kernelOption(rnd, n, base, servers) {
    const input = clone(base);
    if (rnd() < 0.7) {
      const p = pickOf(rnd)(input.profiles);
      p.kernelOptions = { ...(p.kernelOptions ?? {}), [`opt${n}`]: `v${n}` };
      return { label: `kernel option opt${n} on profile ${p.name}`, input, servers };
    }
    const d = pickOf(rnd)(input.distributions);
    d.kernelOptions = { ...(d.kernelOptions ?? {}), ip: `dhcp${n}` };
    return { label: `kernel option ip on distribution ${d.name}`, input, servers };
  },
  inheritance(rnd, _n, base, servers) {
    const input = clone(base);
    // Only to an earlier profile: generated parents always point backwards, so no cycle.
    const index = (name: string) => Number(name.slice("prof".length));
    const candidates = (p: { name: string; parent?: string }) => input.profiles.filter((x) => index(x.name) < index(p.name) && x.name !== p.parent);
    const p = pickOf(rnd)(input.profiles.filter((x) => candidates(x).length > 0));
    const parents = candidates(p);
    const parent = pickOf(rnd)(parents).name;
    const label = `parent of ${p.name}: ${p.parent ?? "(none)"} -> ${parent}`;
    p.parent = parent;
    return { label, input, servers };
  },
  servedProfiles(rnd, _n, base, servers) {
    const next = clone(servers);
    const s = pickOf(rnd)(next);
    const names = base.profiles.map((p) => p.name);
    const before = s.profiles.join(",");
    s.profiles = rnd() < 0.5 ? [...new Set([...s.profiles, pickOf(rnd)(names)])] : [rnd() < 0.5 ? pickOf(rnd)(names) : `${pickOf(rnd)(names)}*`];
    return { label: `profiles served by ${s.name}: ${before} -> ${s.profiles.join(",")}`, input: base, servers: next };
  },
  payload(rnd, n, base, servers, catalogDir) {
    const input = clone(base);
    const d = pickOf(rnd)(input.distributions);
    const part = rnd() < 0.5 ? "kernel" : "initrd";
    const rel = `payloads/${d.name}/${part}-edit-${n}`;
    fs.writeFileSync(path.join(catalogDir, rel), `${part} of ${d.name}, build ${n}\n`);
    d[part] = { path: rel };
    return { label: `${part} payload of ${d.name}`, input, servers };
  },
  destination(rnd, n, base, servers) {
    const input = clone(base);
    const c = pickOf(rnd)(input.configFiles);
    c.destination = `/etc/gen/moved-${n}/${c.name}`;
    return { label: `destination of config file ${c.name}`, input, servers };
  },
  addProfile(rnd, n, base, servers) {
    const input = clone(base);
    const parent = pickOf(rnd)(input.profiles);
    // Named after its parent, so the parent's globs (`prof3*`) serve it too.
    const name = `${parent.name}x${n}`;
    input.profiles.push({ name, parent: parent.name, variables: { role: `added${n}` } });
    return { label: `add profile ${name} (parent ${parent.name})`, input, servers };
  },
  removeProfile(rnd, _n, base, servers) {
    const input = clone(base);
    const leaves = input.profiles.filter((p) => !input.profiles.some((c) => c.parent === p.name));
    const gone = pickOf(rnd)(leaves).name;
    input.profiles = input.profiles.filter((p) => p.name !== gone);
    input.distributionProfiles = input.distributionProfiles.filter((m) => m.profile !== gone);
    return { label: `remove profile ${gone}`, input, servers };
  },
};

export const parseServers = (servers: readonly ServerInput[]): Server[] => servers.map((s) => ServerSchema.parse(s));

/** The catalog in `dir` loads, resolves and renders for every server (else the edit is redrawn). */
export function valid(dir: string, servers: readonly ServerInput[]): ResolvedCatalog | undefined {
  try {
    const resolved = resolveCatalog(loadCatalog(dir));
    for (const s of parseServers(servers)) render(resolved, s);
    return resolved;
  } catch {
    return undefined;
  }
}

