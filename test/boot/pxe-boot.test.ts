// The end of the claim, on a real (virtual) machine: the real engine sets up one local child from
// the netboot catalog (the Debian 12 installer from debian-installer-12-netboot-amd64, pxelinux
// boot loaders from pxelinux/syslinux-common); qemu PXE-boots from that child's tftp/, the menu
// starts the kernel the catalog selected, and the installer fetches exactly the autoinstall file
// the catalog selected from the child's nginx. Then a template edit is previewed, applied, and a
// second boot fetches the new bytes and acts on them (the edit's early_command prints on ttyS0).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedObjectLists } from "../../components/objectLists";
import { sha256Hex } from "../../src/state/contentKey";
import { NETBOOT_PAYLOAD_ROOTS } from "../../scripts/netboot";
import { expectedBytes } from "../support/converged";
import { changedFilesOf, createFleet, serverResourceOf, treeOnDisk, type Fleet } from "../support/fleet";
import { httpGet } from "../support/http";
import { changes, repoRoot } from "../support/pulumi";
import { USER_NET_GATEWAY, kernelVersionOf, startPxeVm, waitFor, type PxeVm } from "../support/qemu";

const NETBOOT_CATALOG = path.join(repoRoot, "stacks", "catalogs", "netboot");
const SERVER = "lab-pxe";
const PROFILE = "debian12-serial";
const DISTRIBUTION = "debian12-netboot-amd64";
const AUTOINSTALL = `http/autoinstall/${PROFILE}.cfg`;
const MARKER = "provisioning-preseed-revision-2 loaded by";
/** Power-on to the GET took 2 minutes on an idle 2-core machine without KVM, up to 7 on a busy one. */
const BOOT_LIMIT_MS = 15 * 60_000;
/** A boot plus a preview and an up. */
const BOOT_TEST_TIMEOUT_MS = BOOT_LIMIT_MS + 5 * 60_000;

interface Fetch {
  status: number;
  bytes: number;
  line: string;
}

/** nginx access-log lines of GETs of `urlPath` (format from bootstrap.sh: addr [time] "request" status bytes "agent"). */
function fetchesOf(accessLog: string, urlPath: string, fromOffset = 0): Fetch[] {
  if (!fs.existsSync(accessLog)) return [];
  const text = fs.readFileSync(accessLog, "utf8").slice(fromOffset);
  const out: Fetch[] = [];
  for (const line of text.split("\n")) {
    const m = /^\S+ \[[^\]]*\] "GET (\S+) HTTP\/[\d.]+" (\d{3}) (\d+) /.exec(line);
    if (m && m[1] === urlPath) out.push({ status: Number(m[2]), bytes: Number(m[3]), line });
  }
  return out;
}

interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}
const manifestEntry = (root: string, rel: string): ManifestEntry =>
  (JSON.parse(fs.readFileSync(path.join(root, "manifest.json"), "utf8")) as { files: ManifestEntry[] }).files.find((f) => f.path === rel)!;

describe("a PXE client under qemu boots from a child the engine set up", () => {
  let fleet: Fleet;
  let root: string;
  let accessLog: string;
  let work: string;
  const vms: PxeVm[] = [];
  const seconds = (t0: number) => Math.round((Date.now() - t0) / 1000);

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "provisioning-boot-"));
    fleet = await createFleet({
      transport: "local",
      catalog: NETBOOT_CATALOG,
      payloadRoots: NETBOOT_PAYLOAD_ROOTS,
      // The guest sees the host's loopback as the user-net gateway: menus and URLs name that,
      // the daemons listen on loopback.
      servers: [{ name: SERVER, site: "lab", arch: ["x86_64"], profiles: [PROFILE], address: USER_NET_GATEWAY, bindAddress: "127.0.0.1" }],
    });
    root = fleet.roots[SERVER]!;
    accessLog = path.join(root, "log", "http-access.log");
    await fleet.project.up();
  });

  afterAll(async () => {
    for (const vm of vms) await vm.stop();
    await fleet?.dispose();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /**
   * Boots a VM until the installer's GET of the autoinstall file appears after `fromOffset` (and,
   * when given, `serialLine` on the serial console); always stops the VM.
   */
  async function bootUntilFetch(name: string, fromOffset: number, serialLine?: string): Promise<{ fetch: Fetch; serial: string; seconds: number }> {
    const t0 = Date.now();
    const vm = startPxeVm({ tftpRoot: path.join(root, "tftp"), workDir: work, name });
    vms.push(vm);
    try {
      const deadline = t0 + BOOT_LIMIT_MS;
      const fetch = await waitFor(() => fetchesOf(accessLog, `/autoinstall/${PROFILE}.cfg`, fromOffset)[0], {
        timeoutMs: deadline - Date.now(),
        intervalMs: 2000,
        what: `the guest's GET of /autoinstall/${PROFILE}.cfg in ${accessLog}`,
        describe: () => vm.serialTail(40),
      });
      if (serialLine !== undefined) {
        await waitFor(() => (vm.serialText().includes(`${serialLine}\n`) ? true : undefined), {
          timeoutMs: Math.max(deadline - Date.now(), 60_000),
          intervalMs: 2000,
          what: `"${serialLine}" on the guest's serial console`,
          describe: () => vm.serialTail(40),
        });
      }
      return { fetch, serial: vm.serialText(), seconds: seconds(t0) };
    } finally {
      await vm.stop();
    }
  }

  it("the child's tftp/ holds the boot loaders, menu and selected installer, as rendered", () => {
    const expected = fleet.expectedTree(SERVER);
    expect(expected.selection.objects).toContainEqual({ kind: "bootLoader", name: "pxelinux-bios", reason: "boot loader for pxelinux-menu" });
    const onDisk = treeOnDisk(root);
    // Byte for byte what was rendered, with the secrets the provider put in place.
    const bytes = expectedBytes(fleet, SERVER);
    for (const f of expected.files) {
      expect(onDisk.has(f.path), f.path).toBe(true);
      expect(sha256Hex(onDisk.get(f.path)!), f.path).toBe(sha256Hex(bytes.get(f.path)!));
    }
    for (const name of ["pxelinux.0", "ldlinux.c32", "menu.c32", "libutil.c32", "libcom32.c32"]) {
      expect(manifestEntry(root, `tftp/${name}`).sha256).toBe(sha256Hex(fs.readFileSync(path.join(root, "tftp", name))));
    }
    const menu = onDisk.get("tftp/pxelinux.cfg/default")!.toString("utf8");
    // Unattended: after its timeout the menu starts the install entry, on a line of its own.
    expect(menu).toMatch(new RegExp(`^ONTIMEOUT ${PROFILE}$`, "m"));
    expect(menu).toContain(`KERNEL images/${DISTRIBUTION}/vmlinuz`);
    expect(menu).toContain(`url=http://${USER_NET_GATEWAY}:${fleet.servers[0]!.httpPort}/autoinstall/${PROFILE}.cfg`);
  });

  it(
    "boots the selected kernel, which fetches exactly the selected autoinstall file (200, the manifest's bytes)",
    async () => {
      const kernel = kernelVersionOf(path.join(root, "tftp", "images", DISTRIBUTION, "vmlinuz"));
      const { fetch, serial, seconds: took } = await bootUntilFetch("first", 0);
      console.info(`pxe-boot: power-on to autoinstall GET in ${took} s`);

      // Exactly one autoinstall file was asked for, and it is the selected one.
      const asked = fs.readFileSync(accessLog, "utf8").split("\n").filter((l) => l.includes("/autoinstall/"));
      expect(asked.map((l) => /"GET (\S+) /.exec(l)?.[1])).toEqual([`/autoinstall/${PROFILE}.cfg`]);
      expect(fetch.status).toBe(200);
      const entry = manifestEntry(root, AUTOINSTALL);
      expect(fetch.bytes).toBe(entry.size);
      expect(sha256Hex(await httpGet(fleet.servers[0]!.httpPort, `/autoinstall/${PROFILE}.cfg`))).toBe(entry.sha256);

      // The menu loaded the selected kernel and it booted: its own version banner on ttyS0.
      expect(serial).toContain(`Loading images/${DISTRIBUTION}/vmlinuz`);
      expect(serial).toContain(`Linux version ${kernel.split(" ")[0]} `);
      expect(serial).toContain(kernel.slice(kernel.indexOf("#")));
    },
    BOOT_TEST_TIMEOUT_MS,
  );

  it(
    "a template edit: preview shows that file's update, up applies it, a second boot fetches the new bytes",
    async () => {
      const before = manifestEntry(root, AUTOINSTALL);
      // The edit is an installer command: the guest prints the marker on its serial console only
      // if it loaded the new bytes (the installer runs early_command right after the preseed).
      const template = path.join(fleet.catalogDir, "templates", "preseed-netboot.cfg.j2");
      fs.appendFileSync(template, `d-i preseed/early_command string echo ${MARKER} {{ server.name }} >/dev/ttyS0\n`);

      const preview = await fleet.project.preview();
      const steps = changes(preview);
      expect(steps.map((s) => s.op).every((op) => op === "update"), steps.map((s) => `${s.op} ${s.urn}`).join("\n")).toBe(true);
      const files = [...changedFilesOf(preview).keys()];
      expect(files.sort()).toEqual([`${SERVER}/${AUTOINSTALL}`, `${SERVER}/manifest.json`]);
      // One step, the server's: its files, and the version of the one object whose definition changed.
      expect(steps.map((s) => serverResourceOf(s.urn))).toEqual([SERVER]);
      // The state holds the content key of the object list; the list is in this machine's store.
      const objects = (state?: { inputs?: Record<string, unknown> }) => storedObjectLists()(state?.inputs?.objects as string) ?? [];
      const [oldObjects, newObjects] = [objects(steps[0]!.oldState), objects(steps[0]!.newState)];
      expect(newObjects.filter((o) => !oldObjects.includes(o)).map((o) => o.split("@")[0])).toEqual(["template/preseed-netboot"]);

      await fleet.project.up();
      const after = manifestEntry(root, AUTOINSTALL);
      expect(after.sha256).not.toBe(before.sha256);
      expect(after.size).not.toBe(before.size); // so the logged byte count tells the versions apart
      expect(after.sha256).toBe(sha256Hex(expectedBytes(fleet, SERVER).get(AUTOINSTALL)!));

      const offset = fs.statSync(accessLog).size;
      const { fetch, serial, seconds: took } = await bootUntilFetch("second", offset, `${MARKER} ${SERVER}`);
      console.info(`pxe-boot: second boot, power-on to the new preseed's early_command in ${took} s`);
      expect(fetch.status).toBe(200);
      expect(fetch.bytes).toBe(after.size);
      expect(fetchesOf(accessLog, `/autoinstall/${PROFILE}.cfg`, offset)).toHaveLength(1);
      expect(serial).toContain(`${MARKER} ${SERVER}\n`);
      const served = await httpGet(fleet.servers[0]!.httpPort, `/autoinstall/${PROFILE}.cfg`);
      expect(sha256Hex(served)).toBe(after.sha256);
    },
    BOOT_TEST_TIMEOUT_MS,
  );
});
