// The server provider's side of build mode, on a local child without daemons: it reads each armed
// host's record before it writes or checks the host's entries (src/state/hostLifeCycle.ts). An
// installed host's entries are not drift, an update for another reason writes its local entries,
// a new generation writes the installer's again, and a report that lands while the installer's
// entries are being written still leaves them booting the disk.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { create, read, update, type ServerOutputs, type ServerProps } from "../../components/provider/serverProvider";
import { ContentStore } from "../../components/store";
import { LocalTransport } from "../../components/transports/local";
import { render } from "../../src/render/render";
import { hashedTokenName, isHostTokenName } from "../../src/render/secretTokens";
import { byDirectory, encodeEntry } from "../../src/state/fileEntries";
import { minimal, resolveData, server } from "../core/helpers";

const HOST = "web-07";
const MAC = "52:54:00:00:07:07";
const ENTRIES = ["tftp/pxelinux.cfg/01-52-54-00-00-07-07", "tftp/grub/hosts/01-52-54-00-00-07-07.cfg", "tftp/ipxe/hosts/01-52-54-00-00-07-07.ipxe"];
const tokenValue = (name: string) => createHash("sha256").update(`test\0${name}`).digest("base64url");

/** The server's props for a catalog with one armed host (text files only: the payloads are fakes). */
function props(root: string, reinstall?: string, motd = "hello"): { p: ServerProps; generation: string } {
  const d = minimal();
  d.templates[3] = { name: "motd-t", kind: "config", text: `${motd} {{ profile.name }}\n` };
  const resolved = resolveData({ ...d, hosts: [{ name: HOST, interfaces: [{ mac: MAC }], profile: "web", server: "s1", ...(reinstall ? { reinstall } : {}) }] });
  const tree = render(resolved, server());
  const store = new ContentStore();
  const texts = tree.files.filter((f) => f.content !== undefined);
  for (const f of texts) store.putText(f.content!, f.sha256);
  const secrets = Object.fromEntries(
    tree.secretNames.map((n) => {
      const hashed = hashedTokenName(n);
      return [n, !isHostTokenName(n) ? "pw-value" : hashed !== undefined ? createHash("sha256").update(tokenValue(hashed)).digest("hex") : tokenValue(n)];
    }),
  );
  const files = byDirectory(Object.fromEntries(texts.map((f) => [f.path, encodeEntry({ key: f.key, mode: f.mode, secrets: f.secrets })])));
  const p: ServerProps = { server: "s1", transport: { kind: "local", root }, serve: { tftpPort: 1069, httpPort: 8080, bindAddress: "127.0.0.1", install: false, daemons: false, script: "k" }, files, objects: "none", secrets };
  return { p, generation: resolved.hosts.get(HOST)!.generation };
}

describe("the provider and an installed host", () => {
  let work: string;
  let root: string;
  const onDisk = (rel: string) => fs.readFileSync(path.join(root, rel), "utf8");
  const local = (entry: string) => onDisk(`hosts/${HOST}/local/${entry}`);
  const report = (generation: string) => {
    fs.mkdirSync(path.join(root, "state", "hosts"), { recursive: true });
    fs.writeFileSync(path.join(root, "state", "hosts", `${HOST}.json`), JSON.stringify({ host: HOST, state: "installed", generation, reportedAt: "2026-12-05T00:00:00Z", client: "10.0.0.7" }));
  };
  const swapToLocal = () => {
    for (const e of ENTRIES) fs.copyFileSync(path.join(root, "hosts", HOST, "local", e), path.join(root, e));
  };

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "build-mode-provider-"));
    process.env.PROVISIONING_STORE = path.join(work, "store");
  });
  afterAll(() => {
    delete process.env.PROVISIONING_STORE;
    fs.rmSync(work, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  it("the child's switch is not drift; an update for another reason writes the local entries; a new generation the installer's", async () => {
    root = fs.mkdtempSync(path.join(work, "child-"));
    const first = props(root);
    const outs = (await create(first.p)).outs as ServerOutputs;
    for (const e of ENTRIES) expect(onDisk(e)).toContain(`/hosts/${HOST}/`);

    // The handler's work: the record, then the entries.
    report(first.generation);
    swapToLocal();
    const refreshed = (await read("s1", outs)).props as ServerOutputs;
    expect(refreshed.drift).toBeUndefined();

    // A changed file elsewhere: the update visits the child and keeps the host's entries local.
    const other = props(root, undefined, "welcome");
    const after = (await update("s1", refreshed, other.p)).outs as ServerOutputs;
    for (const e of ENTRIES) expect(onDisk(e)).toBe(local(e));
    expect(onDisk("hosts/web-07/files/motd")).toBe("welcome web\n");
    expect(((await read("s1", after)).props as ServerOutputs).drift).toBeUndefined();

    // A hand edit of an installed host's entry is still drift.
    fs.appendFileSync(path.join(root, ENTRIES[0]!), "# by hand\n");
    expect(((await read("s1", after)).props as ServerOutputs).drift).toEqual({ [ENTRIES[0]!]: "changed" });
    fs.writeFileSync(path.join(root, ENTRIES[0]!), local(ENTRIES[0]!));

    // reinstall: a new generation, the installer's entries with the new token.
    const again = props(root, "2026-12-05", "welcome");
    expect(again.generation).not.toBe(first.generation);
    await update("s1", after, again.p);
    const token = tokenValue(`host-token.${HOST}.${again.generation}`);
    for (const e of ENTRIES) expect(onDisk(e)).toContain(`/hosts/${HOST}/${token}/autoinstall.cfg`);
  });

  it("a report that lands while the installer's entries are being written still leaves them booting the disk", async () => {
    root = fs.mkdtempSync(path.join(work, "child-"));
    const first = props(root);
    const outs = (await create(first.p)).outs as ServerOutputs;
    // Re-armed by hand (the record removed): the next update writes the installer's entries again,
    // and the installer reports just before the provider's write of the first entry lands.
    const drifted: ServerOutputs = { ...outs, drift: Object.fromEntries(ENTRIES.map((e) => [e, "changed" as const])) };
    for (const e of ENTRIES) fs.writeFileSync(path.join(root, e), "stale\n");
    const write = LocalTransport.prototype.writeFile;
    let landed = false;
    vi.spyOn(LocalTransport.prototype, "writeFile").mockImplementation(async function (this: LocalTransport, rel, data, sha, mode) {
      if (!landed && rel === ENTRIES[0]) {
        landed = true;
        report(first.generation);
        swapToLocal();
      }
      return write.call(this, rel, data, sha, mode);
    });
    const after = (await update("s1", drifted, first.p)).outs as ServerOutputs;
    expect(landed).toBe(true);
    for (const e of ENTRIES) expect(onDisk(e)).toBe(local(e));
    expect(((await read("s1", after)).props as ServerOutputs).drift).toBeUndefined();
  });
});
