/**
 * The peer for the comparison: Ansible (`ansible-core` from PyPI) pushing the same rendered trees
 * to the same SSH children with `ansible.builtin.copy`. Installed into a venv in the user cache
 * (outside the repository) on first use; later runs reuse it.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ANSIBLE_CORE_VERSION = "2.19.4";

const cacheRoot = () => path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-provisioning");
export const ansibleVenv = () => path.join(cacheRoot(), `ansible-venv-${ANSIBLE_CORE_VERSION}`);

/** Creates the venv and installs ansible-core once; returns the path of `ansible-playbook`. */
export function ensureAnsible(log: (s: string) => void = () => {}): string {
  const venv = ansibleVenv();
  const playbook = path.join(venv, "bin", "ansible-playbook");
  const marker = path.join(venv, ".installed");
  if (fs.existsSync(marker) && fs.existsSync(playbook)) return playbook;
  log(`installing ansible-core ${ANSIBLE_CORE_VERSION} into ${venv}`);
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
  execFileSync(path.join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `ansible-core==${ANSIBLE_CORE_VERSION}`], { stdio: "inherit" });
  execFileSync(playbook, ["--version"], { stdio: "ignore" });
  fs.writeFileSync(marker, `${ANSIBLE_CORE_VERSION}\n`);
  return playbook;
}

export interface AnsibleHost {
  readonly name: string;
  readonly port: number;
  /** The child's root on the child (the destination of the tree). */
  readonly root: string;
  /** The rendered tree on the central machine (the source of the copy). */
  readonly staged: string;
  readonly knownHostsLine: string;
}

/**
 * A workspace with an inventory, a playbook copying each host's staged tree into its root
 * (`ansible.builtin.copy` of a directory: per-file checksum compare, only changed files written),
 * known_hosts and the client key.
 */
export function writeAnsibleWorkspace(dir: string, hosts: readonly AnsibleHost[], privateKey: string): { inventory: string; playbook: string; cfg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const key = path.join(dir, "id_ed25519");
  fs.writeFileSync(key, privateKey, { mode: 0o600 });
  const knownHosts = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHosts, hosts.map((h) => `[127.0.0.1]:${h.port} ${h.knownHostsLine}`).join("\n") + "\n");
  const inventory = path.join(dir, "inventory.ini");
  fs.writeFileSync(
    inventory,
    ["[children]", ...hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${h.port} ansible_user=root child_root=${h.root} staged=${h.staged}/`)].join("\n") + "\n",
  );
  const playbook = path.join(dir, "push.yml");
  fs.writeFileSync(
    playbook,
    [
      "- hosts: children",
      "  gather_facts: false",
      "  tasks:",
      "    - name: push the rendered tree",
      "      ansible.builtin.copy:",
      '        src: "{{ staged }}"',
      '        dest: "{{ child_root }}/"',
      '        mode: preserve',
      "",
    ].join("\n"),
  );
  const cfg = path.join(dir, "ansible.cfg");
  fs.writeFileSync(
    cfg,
    [
      "[defaults]",
      `private_key_file = ${key}`,
      "host_key_checking = True",
      "forks = 50",
      "interpreter_python = /usr/bin/python3",
      "stdout_callback = default",
      "retry_files_enabled = False",
      `local_tmp = ${path.join(dir, "tmp")}`,
      "[ssh_connection]",
      // Ansible adds a ControlPath per host, port and user in control_path_dir.
      `ssh_args = -o UserKnownHostsFile=${knownHosts} -o ControlMaster=auto -o ControlPersist=60s`,
      `control_path_dir = ${path.join(dir, "cp")}`,
      "pipelining = True",
      "",
    ].join("\n"),
  );
  return { inventory, playbook, cfg };
}

export interface PlaybookRun {
  readonly ms: number;
  /** Hosts the recap reports with changed > 0. */
  readonly changedHosts: string[];
  readonly stdout: string;
}

/**
 * Runs the playbook (`--check --diff` for the preview); fails on a non-zero exit. Output goes to
 * a file, not a pipe: the persistent SSH masters Ansible leaves behind (ControlPersist) inherit
 * its descriptors, and a pipe would stay open until they exit.
 */
export function runPlaybook(bin: string, ws: { inventory: string; playbook: string; cfg: string }, check: boolean): Promise<PlaybookRun> {
  const args = ["-i", ws.inventory, ws.playbook, ...(check ? ["--check", "--diff"] : [])];
  const logFile = path.join(path.dirname(ws.playbook), `run-${Date.now()}-${check ? "check" : "apply"}.log`);
  const fd = fs.openSync(logFile, "w");
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, args, { env: { ...process.env, ANSIBLE_CONFIG: ws.cfg, ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0" }, stdio: ["ignore", fd, fd] });
    child.on("error", (e) => {
      fs.closeSync(fd);
      reject(e);
    });
    child.on("exit", (code) => {
      const ms = performance.now() - t0;
      fs.closeSync(fd);
      const stdout = fs.readFileSync(logFile, "utf8");
      if (code !== 0) return reject(new Error(`ansible-playbook ${args.join(" ")} exited ${code}\n${stdout.slice(-6000)}`));
      const changedHosts = [...stdout.matchAll(/^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => m[1]!).sort();
      resolve({ ms, changedHosts, stdout });
    });
  });
}
