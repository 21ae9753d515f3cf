/**
 * Where one `pulumi preview` spends its CPU: the Node processes (the program with its in-process
 * language host, and the dynamic-provider host) sampled by V8's profiler (engine/cpuProfileHook.js),
 * the engine (the Go CLI) by its CPU time from /proc. Self time is grouped by what the code is.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createEngineFleet } from "./engine";
import { timeAsync } from "./stats";

export interface ProcessProfile {
  readonly role: string;
  readonly cpuMs: number;
  readonly groups: Record<string, number>;
}

export interface ProfileRow {
  readonly n: number;
  readonly resources: number;
  readonly wallMs: number;
  readonly engineCpuMs: number;
  readonly processes: ProcessProfile[];
  /** The extra environment of the run, e.g. `PROVISIONING_SOURCE_MAPS=1`. */
  readonly note?: string;
}

export const envNote = (env: Record<string, string> | undefined) => (env && Object.keys(env).length ? Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ") : undefined);

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

const repo = path.resolve(__dirname, "..");

/** What a sampled frame is, by where its code lives. */
function group(fn: string, url: string): string | undefined {
  if (fn === "(idle)" || fn === "(program)") return undefined;
  if (fn === "(garbage collector)") return "garbage collection";
  if (url.includes("closure/v8Hooks") || url.includes("closure/createClosure") || url.includes("closure/serializeClosure")) return "Pulumi SDK: serializing the dynamic provider's closure";
  if (url.includes("debuggable.js") || url.includes("source_map") || url.includes("node:internal/url") || /prepareStackTrace|StackFrame|CallSite/.test(fn)) {
    return "stack traces (Pulumi's promise debugging, formatted through source maps)";
  }
  if (/grpc|protobuf|http2|struct_pb|_pb\.js/.test(url)) return "gRPC + protobuf";
  if (url.includes("@pulumi/pulumi")) return "Pulumi SDK (resources, outputs, serialization)";
  if (/modules\/(cjs|esm)|tsx\/|esbuild/.test(url) || /wrapSafe|compileFunction|compileSourceTextModule/.test(fn)) return "module loading and compiling";
  if (url.includes(`${repo}/src`) || url.includes(`${repo}/components`) || url.includes(`${repo}/bench`) || url.includes("nunjucks") || url.includes("yaml") || url.includes("zod")) {
    return "program: catalog, render, components";
  }
  return "other (Node internals, native)";
}

function summarize(file: string): ProcessProfile {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Native frames (no script) count for the nearest caller that has one.
  const frameOf = (id: number) => {
    const own = byId.get(id)!.callFrame;
    if (own.url || own.functionName.startsWith("(")) return own;
    for (let a = parent.get(id); a !== undefined; a = parent.get(a)) {
      const cf = byId.get(a)!.callFrame;
      if (cf.url) return { functionName: own.functionName, url: cf.url };
    }
    return own;
  };
  const groups: Record<string, number> = {};
  let cpu = 0;
  p.samples.forEach((id, i) => {
    const cf = frameOf(id);
    const g = group(cf.functionName, cf.url);
    if (!g) return;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    groups[g] = (groups[g] ?? 0) + ms;
    cpu += ms;
  });
  return { role: path.basename(file).split("-")[0]!, cpuMs: cpu, groups };
}

/** CPU seconds of the engine process (the Go CLI running in `dir`), sampled until stopped. */
function engineCpuSampler(dir: string): () => number {
  const seen = new Map<number, number>();
  const tick = () => {
    for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/cwd`) !== dir) continue;
        const exe = fs.readlinkSync(`/proc/${pid}/exe`);
        if (path.basename(exe) !== "pulumi") continue;
        const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        seen.set(Number(pid), ((Number(f[11]) + Number(f[12])) * 1000) / 100);
      } catch {
        /* gone */
      }
    }
  };
  const timer = setInterval(tick, 100);
  return () => {
    tick();
    clearInterval(timer);
    return [...seen.values()].reduce((a, b) => a + b, 0);
  };
}

export async function profilePreview(n: number, log: (s: string) => void, env: Record<string, string> = {}): Promise<ProfileRow> {
  const fleet = await createEngineFleet(n);
  Object.assign(fleet.project.env, env);
  try {
    await fleet.project.up();
    const dir = path.join(fleet.work, "profiles");
    fs.mkdirSync(dir);
    fleet.project.env.NODE_OPTIONS = `${fleet.project.env.NODE_OPTIONS ?? ""} --require ${JSON.stringify(path.join(__dirname, "engine", "cpuProfileHook.js"))}`.trim();
    fleet.project.env.BENCH_PROFILE_DIR = dir;
    const stop = engineCpuSampler(fs.realpathSync(fleet.project.dir));
    const { ms } = await timeAsync(() => fleet.project.preview());
    const engineCpuMs = stop();
    const processes = fs
      .readdirSync(dir)
      .map((f) => summarize(path.join(dir, f)))
      .filter((p) => p.cpuMs > 50)
      .sort((a, b) => b.cpuMs - a.cpuMs);
    const resources = Number(fs.readFileSync(fleet.timingFile, "utf8").trim().split("\n").pop()!.split(" ")[1]);
    log(`profile N=${n}: preview ${(ms / 1000).toFixed(1)} s; ${processes.map((p) => `${p.role} ${(p.cpuMs / 1000).toFixed(1)} cpu-s`).join(", ")}, engine ${(engineCpuMs / 1000).toFixed(1)} cpu-s`);
    const note = envNote(env);
    return { n, resources, wallMs: ms, engineCpuMs, processes, ...(note ? { note } : {}) };
  } finally {
    await fleet.dispose();
  }
}
