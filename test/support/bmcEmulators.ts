// Test fixture: one qemu TCG guest under a libvirtd of the test's own, with two BMCs in front of
// it: sushy-emulator (Redfish, over HTTPS with a self-signed certificate whose public key the
// test pins, basic auth) and virtualbmc (IPMI over lanplus). Installed by .ci/install-bmc-emulators.
//
// libvirtd runs in a mount namespace of its own, with /dev/kvm hidden and `namespaces = [ ]` in
// a copy of qemu.conf: otherwise it re-probes QEMU forever once it notices that root sees
// /dev/kvm and the qemu user cannot, and hangs (docs: /work/shared/notes). Nothing in /etc is
// edited. stop() ends every process the fixture started, by pid, and removes the guest.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freeTcpPort, freeUdpPort, waitForTcpPort } from "./ports";
import { descendants } from "./processes";

export const BMC_EMULATORS_VENV = process.env.BMC_EMULATORS_VENV ?? path.join(os.homedir(), ".cache", "pulumi-provisioning", "bmc-emulators");
const URI = "qemu:///system";

export interface BmcLab {
  readonly guest: { readonly name: string; readonly uuid: string; readonly mac: string };
  readonly redfish: { readonly port: number; readonly user: string; readonly password: string; readonly pin: string };
  readonly ipmi: { readonly port: number; readonly user: string; readonly password: string };
  /** libvirt's view of the guest: "running", "shut off", … */
  domState(): string;
  /** The guest's boot devices in order (`network`, `hd`), as libvirt's definition says: `<os><boot dev>` or the devices' `<boot order>`. */
  bootDevices(): string[];
  /** Powers the guest off through libvirt, whatever a test left. */
  forceOff(): void;
  stop(): Promise<void>;
}

const virsh = (...args: string[]) => execFileSync("virsh", ["-c", URI, ...args], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`bmc lab: ${what} not ready after ${timeoutMs} ms`);
    await sleep(250);
  }
}

const running = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const readPid = (file: string) => {
  try {
    return Number(fs.readFileSync(file, "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
};

async function terminate(pid: number | undefined): Promise<void> {
  if (!running(pid)) return;
  process.kill(pid!, "SIGTERM");
  for (let i = 0; i < 40 && running(pid); i++) await sleep(100);
  // libvirtd may ignore SIGTERM when stuck.
  if (running(pid)) process.kill(pid!, "SIGKILL");
}

export async function startBmcLab(): Promise<BmcLab> {
  for (const bin of ["sushy-emulator", "vbmc", "vbmcd"]) {
    if (!fs.existsSync(path.join(BMC_EMULATORS_VENV, "bin", bin))) throw new Error(`${bin} is missing from ${BMC_EMULATORS_VENV}: run .ci/install-bmc-emulators`);
  }
  const answering = spawnSync("virsh", ["-c", URI, "version"], { stdio: "ignore", timeout: 10_000 }).status === 0;
  if (answering || running(readPid("/run/libvirtd.pid"))) throw new Error("a libvirtd is already running: the BMC test runs its own, and stops it");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-lab-"));
  const children: ChildProcess[] = [];
  const pids = { virtlogd: path.join(dir, "virtlogd.pid"), libvirtd: path.join(dir, "libvirtd.pid"), vbmcd: path.join(dir, "vbmcd.pid") };
  const guest = { name: "provisioning-bmc-test", uuid: "3f0c5b6e-1d2a-4c8e-9a7b-2b1e0d9c8a01", mac: "52:54:00:b0:0c:01" };
  let defined = false;

  const stop = async () => {
    // vbmcd forks one process per BMC: end them with it.
    const vbmcd = readPid(pids.vbmcd) ?? children.find((c) => c.spawnargs.some((a) => a.endsWith("vbmcd")))?.pid;
    const forked = vbmcd ? descendants(vbmcd) : [];
    for (const c of children) await terminate(c.pid);
    for (const p of [vbmcd, ...forked]) await terminate(p);
    if (defined) {
      try {
        virsh("destroy", guest.name);
      } catch {
        /* not running */
      }
      try {
        virsh("undefine", guest.name);
      } catch {
        /* already gone */
      }
    }
    await terminate(readPid(pids.libvirtd));
    await terminate(readPid(pids.virtlogd));
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // libvirtd and its QEMU, as described above.
    fs.rmSync("/var/cache/libvirt/qemu/capabilities", { recursive: true, force: true });
    fs.writeFileSync(path.join(dir, "kvm"), "", { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "qemu.conf"), `${fs.readFileSync("/etc/libvirt/qemu.conf", "utf8")}\nnamespaces = [ ]\n`);
    execFileSync("virtlogd", ["-d", "-p", pids.virtlogd], { stdio: "ignore" });
    const binds = [...(fs.existsSync("/dev/kvm") ? [`mount --bind ${dir}/kvm /dev/kvm`] : []), `mount --bind ${dir}/qemu.conf /etc/libvirt/qemu.conf`];
    execFileSync("unshare", ["-m", "--propagation", "private", "sh", "-c", `${binds.join(" && ")} && exec libvirtd -d -p ${pids.libvirtd}`], { stdio: "ignore" });
    await until("libvirtd", () => (virsh("version") ? true : undefined));

    // The guest: a blank 1 MiB disk (a boot target), one NIC on a tap of its own (connected to nothing).
    const disks = path.join(dir, "disks");
    fs.mkdirSync(disks, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(disks, "disk.img"), Buffer.alloc(1024 * 1024));
    fs.writeFileSync(
      path.join(dir, "guest.xml"),
      `<domain type='qemu'>
  <name>${guest.name}</name>
  <uuid>${guest.uuid}</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disks}/disk.img'/><target dev='hda' bus='ide'/></disk>
    <interface type='ethernet'><mac address='${guest.mac}'/><model type='e1000'/></interface>
  </devices>
</domain>
`,
    );
    virsh("define", path.join(dir, "guest.xml"));
    defined = true;

    // Redfish over HTTPS: a self-signed certificate, its public key's sha256 is the pin.
    const redfish = { port: await freeTcpPort(), user: "admin", password: `rf-${randomBytes(9).toString("base64url")}` };
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "2", "-subj", "/CN=bmc"], { stdio: "ignore" });
    const spki = execFileSync("openssl", ["pkey", "-in", path.join(dir, "key.pem"), "-pubout", "-outform", "der"]);
    const pin = `sha256//${createHash("sha256").update(spki).digest("base64")}`;
    const python = path.join(BMC_EMULATORS_VENV, "bin", "python");
    const hash = spawnSync(python, ["-c", "import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt(4)).decode())"], { input: redfish.password, encoding: "utf8" });
    fs.writeFileSync(path.join(dir, "htpasswd"), `${redfish.user}:${hash.stdout.trim()}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "sushy.conf"), `SUSHY_EMULATOR_AUTH_FILE = ${JSON.stringify(path.join(dir, "htpasswd"))}\nSUSHY_EMULATOR_ALLOWED_INSTANCES = [${JSON.stringify(guest.uuid)}, ${JSON.stringify(guest.name)}]\n`);
    const sushyLog = fs.openSync(path.join(dir, "sushy.log"), "a");
    children.push(
      spawn(path.join(BMC_EMULATORS_VENV, "bin", "sushy-emulator"), ["--config", path.join(dir, "sushy.conf"), "-i", "127.0.0.1", "-p", String(redfish.port), "--libvirt-uri", URI, "--ssl-certificate", path.join(dir, "cert.pem"), "--ssl-key", path.join(dir, "key.pem")], {
        stdio: ["ignore", sushyLog, sushyLog],
      }),
    );
    await waitForTcpPort(redfish.port, "127.0.0.1", 30_000);

    // IPMI: vbmcd with a config of its own, one BMC for the guest.
    const ipmi = { port: await freeUdpPort(), user: "admin", password: `ip${randomBytes(6).toString("hex")}` };
    const vbmcEnv = { ...process.env, VIRTUALBMC_CONFIG: path.join(dir, "vbmc.conf") };
    fs.mkdirSync(path.join(dir, "vbmc"));
    fs.writeFileSync(vbmcEnv.VIRTUALBMC_CONFIG, `[default]\nconfig_dir = ${dir}/vbmc\npid_file = ${pids.vbmcd}\nserver_port = ${await freeTcpPort()}\n[log]\nlogfile = ${dir}/vbmc.log\n`);
    const vbmcLog = fs.openSync(path.join(dir, "vbmcd.log"), "a");
    children.push(spawn(path.join(BMC_EMULATORS_VENV, "bin", "vbmcd"), ["--foreground"], { env: vbmcEnv, stdio: ["ignore", vbmcLog, vbmcLog] }));
    const vbmc = (...args: string[]) => execFileSync(path.join(BMC_EMULATORS_VENV, "bin", "vbmc"), args, { env: vbmcEnv, encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
    await until("vbmcd", () => (vbmc("list") !== undefined ? true : undefined));
    vbmc("add", "--username", ipmi.user, "--password", ipmi.password, "--port", String(ipmi.port), "--address", "127.0.0.1", "--libvirt-uri", URI, guest.name);
    vbmc("start", guest.name);
    await until("the IPMI BMC", () => {
      const r = spawnSync("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(ipmi.port), "-U", ipmi.user, "-E", "chassis", "power", "status"], { env: { ...process.env, IPMI_PASSWORD: ipmi.password }, encoding: "utf8", timeout: 10_000 });
      return r.status === 0 ? true : undefined;
    });

    return {
      guest,
      redfish: { ...redfish, pin },
      ipmi,
      domState: () => virsh("domstate", guest.name).trim(),
      bootDevices: () => {
        const xml = virsh("dumpxml", guest.name);
        const os = [...xml.matchAll(/<boot dev='([a-z]+)'\/>/g)].map((m) => m[1]!);
        if (os.length) return os;
        const ordered = [...xml.matchAll(/<(interface|disk) [\s\S]*?<\/\1>/g)].flatMap((m) => {
          const order = /<boot order='(\d+)'\/>/.exec(m[0]);
          return order ? [[Number(order[1]), m[1] === "interface" ? "network" : "hd"] as const] : [];
        });
        return ordered.sort((a, b) => a[0] - b[0]).map(([, dev]) => dev);
      },
      forceOff: () => {
        try {
          virsh("destroy", guest.name);
        } catch {
          /* already off */
        }
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
