// The download process of URL payloads (dist/components/fetchPayloads.js, as the program starts
// it) run where nothing can leave: a network namespace with no route out, whose only hosts are
// its own — a public-looking test host, and listeners on the loopback, private and metadata
// addresses that would answer if anything reached them. A refused address is never connected
// to, at any redirect or through any name; a body over the cap stops; a run stopped by a signal
// leaves no partial file, and one killed outright has its partial file swept by the next.
import { type ChildProcess, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSealedNamespace, type SealedNamespace } from "../support/netns";

const FETCH = path.resolve(__dirname, "../../dist/components/fetchPayloads.js");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

// Public-looking addresses exist only inside the namespace; nothing there routes anywhere.
const PUBLIC = "11.22.33.44";
const OTHER = "11.22.33.45";
const BODY = "a kernel from the public test host\n";
const INTERNAL = "an answer only the machine itself may read\n";
const METADATA = "iam/security-credentials/role: AKIA…\n";

/** The test hosts: one server on every address of the namespace, logging where each request arrived. */
const SERVER = `
const http = require("node:http");
let open = 0;
const zeros = Buffer.alloc(65536);
http.createServer((req, res) => {
  open++;
  res.on("close", () => open--);
  console.log(JSON.stringify({ local: req.socket.localAddress.replace(/^::ffff:/, ""), path: req.url, open }));
  const go = (location) => res.writeHead(302, { location }).end();
  switch (req.url) {
    case "/body": return res.writeHead(200, { "content-length": ${Buffer.byteLength(BODY)} }).end(${JSON.stringify(BODY)});
    case "/internal": return res.writeHead(200).end(${JSON.stringify(INTERNAL)});
    case "/latest/meta-data/": return res.writeHead(200).end(${JSON.stringify(METADATA)});
    case "/redirect-internal": return go("http://127.0.0.1/internal");
    case "/redirect-metadata": return go("http://169.254.169.254/latest/meta-data/");
    case "/redirect-private-name": return go("http://private.test/internal");
    case "/redirect-mapped": return go("http://[::ffff:127.0.0.1]/internal");
    case "/redirect-other": return go("http://other.test/body");
    case "/redirect-same": return go("/body");
    case "/redirect-file": return go("file:///etc/passwd");
    case "/loop": return go("/loop");
    case "/big": res.writeHead(200, { "content-length": 10485760 }); return res.write(zeros);
    case "/zeros": { res.writeHead(200); const more = () => { while (res.write(zeros)); }; res.on("drain", more); return more(); }
    case "/slow": res.writeHead(200); return res.write(zeros);
    default:
      if (req.url.startsWith("/wait/")) return setTimeout(() => res.writeHead(200).end(req.url + "\\n"), 300);
      return res.writeHead(404).end();
  }
}).listen(80, "::", () => dns.bind(53, "127.0.0.1", () => console.log("ready")));

// A name server that rebinds: the first A query for rebind.test gets the public test host, every
// later one 127.0.0.1 (TTL 0); AAAA queries get no address.
const dns = require("node:dgram").createSocket("udp4");
let asked = 0;
dns.on("message", (q, from) => {
  let end = 12;
  const labels = [];
  while (q[end] !== 0) { labels.push(q.subarray(end + 1, end + 1 + q[end]).toString()); end += q[end] + 1; }
  const type = q.readUInt16BE(end + 1);
  const question = q.subarray(12, end + 5);
  const name = labels.join(".");
  console.log(JSON.stringify({ dns: name, type }));
  const a = type === 1 && name === "rebind.test" ? (asked++ === 0 ? [11, 22, 33, 44] : [127, 0, 0, 1]) : undefined;
  const header = Buffer.from([q[0], q[1], 0x81, a || name === "rebind.test" ? 0x80 : 0x83, 0, 1, 0, a ? 1 : 0, 0, 0, 0, 0]);
  const answer = a ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, ...a]) : Buffer.alloc(0);
  dns.send(Buffer.concat([header, question, answer]), from.port, from.address);
});
`;

interface Logged {
  local: string;
  path: string;
  open: number;
  dns?: string;
  type?: number;
}

describe("URL payload downloads in a namespace with no way out", () => {
  let ns: SealedNamespace;
  let server: ChildProcess;
  let log = "";
  let work: string;
  let store: string;

  const lines = (): Logged[] =>
    log
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Logged);
  /** HTTP requests the test hosts received. */
  const logged = () => lines().filter((l) => l.dns === undefined);
  const temporaries = () => (fs.readdirSync(store, { recursive: true }) as string[]).filter((f) => /\.tmp-/.test(f));
  const blobs = () => (fs.readdirSync(store, { recursive: true }) as string[]).filter((f) => f.endsWith(".sha256"));

  /** The download process with its input; its exit code and the per-item answers. */
  const start = (items: { url: string; sha256: string }[], policy: { allow: string[]; maxBytes: number }) => {
    const p = ns.spawnIn(process.execPath, [FETCH], { env: { ...process.env, PROVISIONING_STORE: store } });
    let out = "";
    let err = "";
    p.stdout!.on("data", (d) => (out += d));
    p.stderr!.on("data", (d) => (err += d));
    p.stdin!.end(JSON.stringify({ items, policy }));
    const done = new Promise<{ code: number | null; results: (string | null)[]; out: string; err: string }>((resolve) =>
      p.on("exit", (code) => resolve({ code, results: code === 0 ? (JSON.parse(out) as (string | null)[]) : [], out, err })),
    );
    return { p, done };
  };
  const run = async (items: { url: string; sha256: string }[], policy = { allow: [] as string[], maxBytes: 65536 }) => {
    const r = await start(items, policy).done;
    expect(r.code, r.err).toBe(0);
    return r.results;
  };
  const until = async (what: () => boolean, ms = 10_000) => {
    for (const end = Date.now() + ms; !what(); ) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    ns = createSealedNamespace([PUBLIC, OTHER, "10.1.2.3", "169.254.169.254", "fe80::1"], {
      hosts: { "public.test": PUBLIC, "other.test": OTHER, "private.test": "10.1.2.3", "metadata.test": "169.254.169.254" },
      nameserver: "127.0.0.1",
    });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "payload-fetch-"));
    store = path.join(work, "store");
    fs.writeFileSync(path.join(work, "server.js"), SERVER);
    server = ns.spawnIn(process.execPath, [path.join(work, "server.js")], { stdio: ["ignore", "pipe", "inherit"] });
    server.stdout!.on("data", (d) => (log += d));
    await until(() => log.includes("ready"));
  });
  afterAll(() => {
    ns?.dispose();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("the namespace has no route out, and its private, loopback and metadata listeners answer whoever connects", async () => {
    for (const out of ["1.1.1.1", "2606:4700::1111"]) expect(() => execFileSync("ip", ["-n", ns.netns, "route", "get", out], { stdio: "pipe" })).toThrow(/unreachable/);
    // The stack's explicit opt-in reaches them: loopback by host:port, a private subnet, a redirect into loopback.
    const results = await run(
      [
        { url: "http://127.0.0.1/internal", sha256: sha(INTERNAL) },
        { url: "http://private.test/latest/meta-data/", sha256: sha(METADATA) },
        { url: "http://public.test/redirect-internal", sha256: sha(INTERNAL) },
      ],
      { allow: ["127.0.0.1:80", "10.0.0.0/8"], maxBytes: 65536 },
    );
    expect(results).toEqual([null, null, null]);
    expect(blobs()).toHaveLength(2);
    fs.rmSync(store, { recursive: true, force: true });
    log = "";
  });

  it("refuses loopback, link-local, private and metadata addresses, by address, by name and at any redirect, before connecting", async () => {
    const hint = "payload URLs reach only public addresses unless the stack allows one (provisioning:payloadUrlAllow)";
    const cases: [string, string, string][] = [
      ["http://169.254.169.254/latest/meta-data/", sha(METADATA), `refused: 169.254.169.254 is the cloud metadata service (169.254.169.254/32): ${hint}`],
      ["http://metadata.test/latest/meta-data/", sha(METADATA), `refused: metadata.test resolves to 169.254.169.254; 169.254.169.254 is the cloud metadata service (169.254.169.254/32): ${hint}`],
      ["http://10.1.2.3/internal", sha(INTERNAL), `refused: 10.1.2.3 is a private address (10.0.0.0/8): ${hint}`],
      ["http://private.test/internal", sha(INTERNAL), `refused: private.test resolves to 10.1.2.3; 10.1.2.3 is a private address (10.0.0.0/8): ${hint}`],
      ["http://[fe80::1]/internal", sha(INTERNAL), `refused: fe80::1 is a link-local address (fe80::/10): ${hint}`],
      ["http://127.0.0.1/internal", sha(INTERNAL), `refused: 127.0.0.1 is a loopback address (127.0.0.0/8): ${hint}`],
      ["http://0x7f.1/internal", sha(INTERNAL), `refused: 127.0.0.1 is a loopback address (127.0.0.0/8): ${hint}`],
      ["http://[::ffff:127.0.0.1]/internal", sha(INTERNAL), `refused: ::ffff:7f00:1 is the IPv4-mapped form of 127.0.0.1, a loopback address (127.0.0.0/8): ${hint}`],
      ["http://public.test/redirect-internal", sha(INTERNAL), `refused: redirected to http://127.0.0.1/internal: 127.0.0.1 is a loopback address (127.0.0.0/8): ${hint}`],
      ["http://public.test/redirect-metadata", sha(METADATA), `refused: redirected to http://169.254.169.254/latest/meta-data/: 169.254.169.254 is the cloud metadata service (169.254.169.254/32): ${hint}`],
      ["http://public.test/redirect-private-name", "0".repeat(64), `refused: redirected to http://private.test/internal: private.test resolves to 10.1.2.3; 10.1.2.3 is a private address (10.0.0.0/8): ${hint}`],
      ["http://public.test/redirect-mapped", "0".repeat(64), `refused: redirected to http://[::ffff:7f00:1]/internal: ::ffff:7f00:1 is the IPv4-mapped form of 127.0.0.1, a loopback address (127.0.0.0/8): ${hint}`],
      ["file:///etc/passwd", "0".repeat(64), "refused: only http and https URLs are downloaded"],
      ["http://public.test/redirect-file", "0".repeat(64), "refused: redirected to file:///etc/passwd: only http and https URLs are downloaded"],
      ["http://public.test/loop", "0".repeat(64), "redirected to http://public.test/loop: more than 5 redirects"],
    ];
    const results = await run(cases.map(([url, sha256]) => ({ url, sha256 })));
    expect(results).toEqual(cases.map(([, , message]) => message));
    // Nothing reached the listeners the answers came from before.
    expect(logged().filter((l) => l.local !== PUBLIC)).toEqual([]);
    expect(logged().map((l) => l.path).sort()).toEqual([...cases.filter(([u]) => u.startsWith("http://public.test/")).map(([u]) => new URL(u).pathname), ...Array(5).fill("/loop")].sort());
    expect(temporaries()).toEqual([]);
    expect(blobs()).toEqual([]);
  });

  it("connects to the address it checked: a name server that changes its answer after the check (DNS rebinding) is asked once", async () => {
    log = "";
    expect(await run([{ url: "http://rebind.test/body", sha256: sha(BODY) }])).toEqual([null]);
    expect(lines().filter((l) => l.dns === "rebind.test" && l.type === 1)).toHaveLength(1);
    expect(logged().map((l) => [l.local, l.path])).toEqual([[PUBLIC, "/body"]]);
    // Asked again, it answers loopback: refused, and never connected to.
    log = "";
    fs.rmSync(store, { recursive: true, force: true });
    expect(await run([{ url: "http://rebind.test/body", sha256: sha(BODY) }])).toEqual([
      "refused: rebind.test resolves to 127.0.0.1; 127.0.0.1 is a loopback address (127.0.0.0/8): payload URLs reach only public addresses unless the stack allows one (provisioning:payloadUrlAllow)",
    ]);
    expect(logged()).toEqual([]);
    fs.rmSync(store, { recursive: true, force: true });
  });

  it("shows the sha256 of a wrong body only when it came from the URL's own origin", async () => {
    const wrong = "f".repeat(64);
    const results = await run([
      { url: "http://public.test/body", sha256: wrong },
      { url: "http://public.test/redirect-same", sha256: wrong },
      { url: "http://public.test/redirect-other", sha256: wrong },
    ]);
    expect(results).toEqual([
      `sha256 mismatch: the catalog says ${wrong}, the download has ${sha(BODY)}`,
      `sha256 mismatch: the catalog says ${wrong}, the download has ${sha(BODY)}`,
      `sha256 mismatch: the catalog says ${wrong}; the content came from another origin (http://other.test, through a redirect), so its sha256 is not shown`,
    ]);
    expect(temporaries()).toEqual([]);
  });

  it("stops at the size cap, announced or streamed, and leaves nothing", async () => {
    const results = await run([
      { url: "http://public.test/big", sha256: "0".repeat(64) },
      { url: "http://public.test/zeros", sha256: "0".repeat(64) },
    ]);
    expect(results).toEqual([
      "10485760 bytes (Content-Length) exceed the size cap of 65536 bytes (provisioning:payloadMaxBytes)",
      "more than the size cap of 65536 bytes (provisioning:payloadMaxBytes); stopped there",
    ]);
    expect(temporaries()).toEqual([]);
    expect(blobs()).toEqual([]);
  });

  it("downloads four at a time", async () => {
    log = "";
    const items = Array.from({ length: 10 }, (_, i) => ({ url: `http://public.test/wait/${i}`, sha256: sha(`/wait/${i}\n`) }));
    expect(await run(items)).toEqual(items.map(() => null));
    const waits = logged().filter((l) => l.path.startsWith("/wait/"));
    expect(waits).toHaveLength(10);
    expect(Math.max(...waits.map((l) => l.open))).toBe(4);
  });

  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("a run stopped by %s leaves no partial file", async (signal, code) => {
    const { p, done } = start([{ url: "http://public.test/slow", sha256: "0".repeat(64) }], { allow: [], maxBytes: 1 << 20 });
    await until(() => temporaries().length === 1);
    p.kill(signal);
    const { code: exit } = await done;
    expect(temporaries()).toEqual([]);
    expect(exit).toBe(code);
  });

  it("a partial file of a run killed outright is swept by the next run", async () => {
    const { p, done } = start([{ url: "http://public.test/slow", sha256: "0".repeat(64) }], { allow: [], maxBytes: 1 << 20 });
    await until(() => temporaries().length === 1);
    p.kill("SIGKILL");
    await done;
    expect(temporaries()).toHaveLength(1);
    expect(await run([{ url: "http://public.test/body", sha256: sha(BODY) }])).toEqual([null]);
    expect(temporaries()).toEqual([]);
  });
});
