/**
 * Deterministic catalog generator for benchmarks and property tests: same parameters, same
 * catalog. Payloads are URL-based so nothing touches the disk.
 */
import { stringify } from "yaml";
import type { CatalogSource } from "../src/catalog/load";
import type { CatalogFileInput, ServerInput } from "../src/catalog/schema";

export interface GenerateParams {
  readonly profiles: number;
  readonly distributions: number;
  readonly templates: number;
  readonly seed: number;
}

/** mulberry32: tiny, fast, good enough to vary shapes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number) => n.toString(16).padStart(64, "0");
export const ARCHES = ["x86_64", "aarch64"] as const;

export function generateCatalogInput(p: GenerateParams): CatalogFileInput {
  const rnd = prng(p.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nTemplates = Math.max(3, p.templates);
  const nSnippets = Math.max(1, Math.floor(nTemplates * 0.5));
  const nAuto = Math.max(1, Math.floor(nTemplates * 0.2));
  const nConfig = Math.max(1, nTemplates - nSnippets - nAuto);
  const distributions = Array.from({ length: Math.max(1, p.distributions) }, (_, i) => ({
    name: `dist${i}`,
    arch: ARCHES[i % ARCHES.length]!,
    breed: i % 2 ? ("debian" as const) : ("redhat" as const),
    kernel: { url: `http://mirror.example.org/d${i}/vmlinuz`, sha256: hex(i * 2 + 1) },
    initrd: { url: `http://mirror.example.org/d${i}/initrd.img`, sha256: hex(i * 2 + 2) },
    installTree: `http://mirror.example.org/d${i}/os`,
    kernelOptions: { "inst.ks": "{{ autoinstallUrl }}", ip: "dhcp", quiet: true as const },
  }));
  const templates: NonNullable<CatalogFileInput["templates"]> = [];
  for (let i = 0; i < nSnippets; i++) {
    // A snippet may include an earlier one: include chains without cycles.
    const inc = i > 0 && rnd() < 0.4 ? `{% include "snip${Math.floor(rnd() * i)}" %}\n` : "";
    templates.push({ name: `snip${i}`, kind: "snippet", text: `# snippet ${i} for {{ profile.name }}\n${inc}` });
  }
  const snippets = templates.map((t) => t.name);
  for (let i = 0; i < nAuto; i++) {
    const incs = [...new Set([pick(snippets), pick(snippets)])].map((n) => `{% include "${n}" %}`).join("\n");
    templates.push({
      name: `auto${i}`,
      kind: "autoinstall",
      text: `# auto ${i}: {{ profile.name }} on {{ distribution.name }} from {{ server.name }}\nurl {{ distribution.installTree }}\nrootpw {{ profile.variables.pw }}\nrole {{ profile.variables.role }}\n${incs}\n`,
    });
  }
  for (let i = 0; i < nConfig; i++) {
    templates.push({ name: `conf${i}`, kind: "config", text: `# conf ${i}\nrole={{ profile.variables.role }}\nsite={{ server.site }}\n` });
  }
  const configFiles = Array.from({ length: nConfig }, (_, i) => ({ name: `cf${i}.conf`, template: `conf${i}`, destination: `/etc/gen/cf${i}.conf` }));
  const profiles: NonNullable<CatalogFileInput["profiles"]> = [];
  const distributionProfiles: NonNullable<CatalogFileInput["distributionProfiles"]> = [];
  for (let i = 0; i < Math.max(1, p.profiles); i++) {
    const hasParent = i > 0 && rnd() < 0.6;
    const cfs = configFiles.filter(() => rnd() < 0.15).map((c) => c.name);
    const base = { name: `prof${i}`, ...(cfs.length ? { configFiles: cfs } : {}) };
    if (hasParent) {
      const parent = `prof${Math.floor(rnd() * i)}`;
      const r = rnd();
      profiles.push({
        ...base,
        parent,
        variables: { role: `role${i}` },
        ...(r < 0.2 ? { kernelOptions: { quiet: null, console: "ttyS0" } } : {}),
        ...(r > 0.8 ? { autoinstall: `auto${Math.floor(rnd() * nAuto)}` } : {}),
      });
      if (r > 0.5 && r < 0.6) distributionProfiles.push({ profile: `prof${i}`, distribution: pick(distributions).name });
    } else {
      const mapApart = rnd() < 0.3;
      const dist = pick(distributions).name;
      profiles.push({
        ...base,
        ...(mapApart ? {} : { distribution: dist }),
        autoinstall: `auto${Math.floor(rnd() * nAuto)}`,
        variables: { pw: { secret: "pw" }, role: `root${i}` },
      });
      if (mapApart) distributionProfiles.push({ profile: `prof${i}`, distribution: dist });
    }
  }
  return { distributions, profiles, templates, configFiles, distributionProfiles };
}

/** Fisher–Yates with the seeded PRNG: the same catalog with every list reordered. */
export function shuffleCatalogInput(input: CatalogFileInput, seed: number): CatalogFileInput {
  const rnd = prng(seed);
  const shuffle = <T>(xs: readonly T[] | undefined): T[] | undefined => {
    if (!xs) return xs;
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  return {
    distributions: shuffle(input.distributions),
    profiles: shuffle(input.profiles)?.map((p) => (p.configFiles ? { ...p, configFiles: shuffle(p.configFiles) } : p)),
    templates: shuffle(input.templates),
    configFiles: shuffle(input.configFiles),
    distributionProfiles: shuffle(input.distributionProfiles),
  };
}

/** Split a catalog input over several YAML files, like a real catalog folder. */
export function toSources(input: CatalogFileInput, split = true): YamlSource[] {
  if (!split) return [{ file: "catalog.yaml", text: stringify(input), baseDir: "/virtual" }];
  return (Object.keys(input) as (keyof CatalogFileInput)[])
    .filter((k) => input[k] !== undefined)
    .map((k) => ({ file: `${k}.yaml`, text: stringify({ [k]: input[k] }), baseDir: "/virtual" }));
}

export function generateSources(p: GenerateParams): YamlSource[] {
  return toSources(generateCatalogInput(p));
}

/** A catalog source that is YAML text. */
type YamlSource = Extract<CatalogSource, { text: string }>;

/** `n` servers over a catalog's profile names: a mix of listed names and globs, both arches. */
export function generateServers(n: number, profileNames: readonly string[], seed = 1): ServerInput[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const listed = profileNames.filter(() => rnd() < 0.1);
    const globs = rnd() < 0.5 ? [`prof${Math.floor(rnd() * 10)}*`] : [];
    return {
      name: `srv${i}`,
      transport: { kind: "local" as const, root: `/srv/prov/srv${i}` },
      arch: rnd() < 0.3 ? ["x86_64", "aarch64"] : [ARCHES[i % 2]!],
      site: `site${i % 7}`,
      labels: { rack: `r${i % 13}` },
      profiles: [...listed, ...globs].length ? [...listed, ...globs] : ["*"],
      tftpPort: 10000 + i,
      httpPort: 20000 + i,
      address: `10.${(i >> 8) & 255}.${i & 255}.1`,
    };
  });
}
