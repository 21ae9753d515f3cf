// Shared round-trip checks run against every Transport implementation (not a test file itself).
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, promises as fsp, readdirSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Transport } from "../../components/transports/transport";

export const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

/** All files (recursively) under dir, as relative paths. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(r + "/");
        walk(path.join(d, e.name), r);
      } else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

export interface ContractTarget {
  transport: Transport;
  /** The child's root as seen from the test process (children run on this machine). */
  root: string;
  serverName: string;
}

export function transportContract(label: string, setup: () => Promise<ContractTarget>, teardown: () => Promise<void>): void {
  describe(`${label}: Transport contract`, () => {
    let t: Transport;
    let root: string;
    let serverName: string;
    beforeAll(async () => {
      ({ transport: t, root, serverName } = await setup());
    });
    afterAll(async () => {
      await teardown();
    });

    it("writeFile round trip: bytes, mode, parents created, no temp file left", async () => {
      const data = Buffer.concat([Buffer.from("default menu\n"), randomBytes(4096), Buffer.from([0, 10, 13, 39, 36])]);
      await t.writeFile("tftp/pxelinux.cfg/default", data, sha(data), "0640");
      const full = path.join(root, "tftp/pxelinux.cfg/default");
      expect(await fsp.readFile(full)).toEqual(data);
      expect((statSync(full).mode & 0o777).toString(8)).toBe("640");
      expect(listTree(path.join(root, "tftp"))).toEqual(["pxelinux.cfg/", "pxelinux.cfg/default"]);
      expect(await t.hashFile("tftp/pxelinux.cfg/default")).toBe(sha(data));
    });

    it("overwrite replaces atomically (new inode via rename) and applies the new mode", async () => {
      const full = path.join(root, "tftp/pxelinux.cfg/default");
      const before = statSync(full).ino;
      const data = Buffer.from("second version\n");
      await t.writeFile("tftp/pxelinux.cfg/default", data, sha(data), "0644");
      expect(await fsp.readFile(full, "utf8")).toBe("second version\n");
      expect(statSync(full).ino).not.toBe(before);
      expect((statSync(full).mode & 0o777).toString(8)).toBe("644");
      expect(listTree(path.join(root, "tftp/pxelinux.cfg"))).toEqual(["default"]);
    });

    it("empty file", async () => {
      const empty = Buffer.alloc(0);
      await t.writeFile("http/empty.cfg", empty, sha(empty), "0644");
      expect(statSync(path.join(root, "http/empty.cfg")).size).toBe(0);
      expect(await t.hashFile("http/empty.cfg")).toBe(sha(empty));
      await t.removeFile("http/empty.cfg");
    });

    it("copyFile streams a large local file; hash matches", async () => {
      const src = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "payload-")), "vmlinuz");
      const data = randomBytes(24 * 1024 * 1024 + 17);
      writeFileSync(src, data);
      await t.copyFile("tftp/images/debian-12/vmlinuz", src, sha(data), "0644");
      const full = path.join(root, "tftp/images/debian-12/vmlinuz");
      expect(sha(await fsp.readFile(full))).toBe(sha(data));
      expect(await t.hashFile("tftp/images/debian-12/vmlinuz")).toBe(sha(data));
      expect(listTree(path.join(root, "tftp/images"))).toEqual(["debian-12/", "debian-12/vmlinuz"]);
      await fsp.rm(path.dirname(src), { recursive: true, force: true });
    });

    it("copyFile of a missing source fails naming the server and path", async () => {
      await expect(t.copyFile("tftp/images/x/initrd.img", "/nonexistent/initrd.img", sha("x"), "0644")).rejects.toThrow(
        new RegExp(`${serverName}.*tftp/images/x/initrd.img|tftp/images/x/initrd.img.*${serverName}`),
      );
    });

    it("checksum mismatch is refused: no file, no temp file, existing file untouched", async () => {
      const data = Buffer.from("kickstart\n");
      await expect(t.writeFile("http/autoinstall/web.cfg", data, sha("something else"), "0644")).rejects.toThrow(/checksum mismatch/);
      await expect(t.writeFile("http/autoinstall/web.cfg", data, sha("something else"), "0644")).rejects.toThrow(serverName);
      await expect(t.writeFile("http/autoinstall/web.cfg", data, sha("something else"), "0644")).rejects.toThrow("http/autoinstall/web.cfg");
      expect(existsSync(path.join(root, "http/autoinstall/web.cfg"))).toBe(false);
      expect(listTree(path.join(root, "http")).filter((f) => !f.endsWith("/"))).toEqual([]);
      // over an existing file
      await t.writeFile("http/autoinstall/web.cfg", data, sha(data), "0644");
      await expect(t.writeFile("http/autoinstall/web.cfg", Buffer.from("evil"), sha("other"), "0644")).rejects.toThrow(/checksum mismatch/);
      expect(await fsp.readFile(path.join(root, "http/autoinstall/web.cfg"), "utf8")).toBe("kickstart\n");
      expect(listTree(path.join(root, "http/autoinstall"))).toEqual(["web.cfg"]);
    });

    it("copyFile checksum mismatch is refused and leaves nothing", async () => {
      const src = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "payload-")), "initrd.img");
      writeFileSync(src, randomBytes(1024 * 1024));
      await expect(t.copyFile("tftp/images/bad/initrd.img", src, sha("nope"), "0644")).rejects.toThrow(/checksum mismatch/);
      expect(existsSync(path.join(root, "tftp/images/bad/initrd.img"))).toBe(false);
      expect(existsSync(path.join(root, "tftp/images/bad")) ? readdirSync(path.join(root, "tftp/images/bad")) : []).toEqual([]);
      await fsp.rm(path.dirname(src), { recursive: true, force: true });
      await t.removeFile("tftp/images/bad/initrd.img"); // prunes the empty dir
      expect(existsSync(path.join(root, "tftp/images/bad"))).toBe(false);
    });

    it("hashFile of an absent file is undefined", async () => {
      expect(await t.hashFile("tftp/nothing/here")).toBeUndefined();
    });

    it("removeFile removes the file and prunes empty parents up to the root; absent is fine", async () => {
      const a = Buffer.from("a");
      await t.writeFile("http/files/web/etc/motd", a, sha(a), "0644");
      await t.writeFile("http/files/web/keep.txt", a, sha(a), "0644");
      await t.removeFile("http/files/web/etc/motd");
      expect(existsSync(path.join(root, "http/files/web/etc"))).toBe(false);
      expect(existsSync(path.join(root, "http/files/web/keep.txt"))).toBe(true);
      await t.removeFile("http/files/web/keep.txt");
      expect(existsSync(path.join(root, "http/files"))).toBe(false);
      await t.removeFile("http/autoinstall/web.cfg");
      expect(existsSync(path.join(root, "http"))).toBe(false);
      expect(existsSync(root)).toBe(true);
      await t.removeFile("http/never/existed.cfg"); // no error
      expect(existsSync(root)).toBe(true);
    });

    it("a write where a directory stands, or below a file, fails naming the path and leaves everything as it was", async () => {
      const d = Buffer.from("autoinstall\n");
      await fsp.mkdir(path.join(root, "http/autoinstall/web.cfg"), { recursive: true });
      await expect(t.writeFile("http/autoinstall/web.cfg", d, sha(d), "0644")).rejects.toThrow(/http\/autoinstall\/web\.cfg/);
      await expect(t.writeFile("http/autoinstall/web.cfg", d, sha(d), "0644")).rejects.toThrow(serverName);
      expect(listTree(path.join(root, "http"))).toEqual(["autoinstall/", "autoinstall/web.cfg/"]);
      await fsp.rmdir(path.join(root, "http/autoinstall/web.cfg"));
      await t.writeFile("http/files/hosts", d, sha(d), "0644");
      await expect(t.writeFile("http/files/hosts/motd/motd", d, sha(d), "0644")).rejects.toThrow(/http\/files\/hosts\/motd\/motd/);
      expect(listTree(path.join(root, "http"))).toEqual(["autoinstall/", "files/", "files/hosts"]);
      expect(await fsp.readFile(path.join(root, "http/files/hosts"), "utf8")).toBe("autoinstall\n");
      await t.removeFile("http/files/hosts");
      await fsp.rmdir(path.join(root, "http/autoinstall"));
      await fsp.rmdir(path.join(root, "http"));
    });

    it("path traversal and unsafe names are refused by every method before touching the child", async () => {
      const bad = [
        "../escape",
        "tftp/../../etc/passwd",
        "/etc/passwd",
        "tftp//x",
        "",
        "tftp/./x",
        "x\nrm -rf /",
        "x\0y",
        "x; touch /tmp/pwned",
        "$(touch /tmp/pwned)",
        "`touch /tmp/pwned`",
        "-rf",
        "tftp/a b",
        "tftp/",
      ];
      const d = Buffer.from("d");
      for (const p of bad) {
        await expect(t.writeFile(p, d, sha(d), "0644"), p).rejects.toThrow(/unsafe path/);
        await expect(t.copyFile(p, "/etc/hostname", sha(d), "0644"), p).rejects.toThrow(/unsafe path/);
        await expect(t.hashFile(p), p).rejects.toThrow(/unsafe path/);
        await expect(t.removeFile(p), p).rejects.toThrow(/unsafe path/);
      }
      expect(existsSync(path.join(root, "..", "escape"))).toBe(false);
    });

    it("rejects bad sha256 and mode arguments", async () => {
      const d = Buffer.from("d");
      await expect(t.writeFile("http/x", d, "abc", "0644")).rejects.toThrow(/invalid sha256/);
      await expect(t.writeFile("http/x", d, sha(d), "u+x; touch /tmp/pwned")).rejects.toThrow(/invalid file mode/);
      expect(existsSync(path.join(root, "http/x"))).toBe(false);
    });

    it("runScript passes parameters via env only (values are inert) and returns stdout/stderr/code", async () => {
      const marker = `/tmp/pwned-${randomBytes(6).toString("hex")}`;
      const evil = `x; touch ${marker} $(touch ${marker}) \`touch ${marker}\`\n'"`;
      const r = await t.runScript('printf "%s" "$VALUE"; echo err >&2; exit 3\n', { VALUE: evil });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe(evil);
      expect(r.stderr.trim()).toBe("err");
      expect(existsSync(marker)).toBe(false);
      await expect(t.runScript("true", { "BAD NAME": "x" })).rejects.toThrow(/invalid environment variable name/);
    });

    it("runScript with an input: the input is the script's stdin, never in its arguments", async () => {
      const secret = `s3cret-${randomBytes(6).toString("hex")} $(touch /tmp/x) '"\\`;
      // The script reports its own command line and reads the input from stdin.
      const r = await t.runScript('tr "\\000\\n" "  " < /proc/$$/cmdline; echo; IFS= read -r got; printf "%s|%s" "$got" "$VALUE"\n', { VALUE: "v" }, `${secret}\nrest\n`);
      expect(r.code, r.stderr).toBe(0);
      const [cmdline, out] = r.stdout.split("\n");
      expect(out).toBe(`${secret}|v`);
      expect(cmdline).toMatch(/^(\/bin\/)?sh -c /);
      expect(cmdline).not.toContain(secret);
    });

    // The handler's user may write state/hosts/ and the per-MAC entry folders; the reader is root.
    it("readText and hashFile refuse a symbolic link, whatever it points at, and anything but a regular file", async () => {
      const outside = await fsp.mkdtemp(path.join(os.tmpdir(), "contract-outside-"));
      const secretFile = path.join(outside, "root-only");
      writeFileSync(secretFile, "root:$6$not-for-the-handler\n", { mode: 0o600 });
      await fsp.mkdir(path.join(root, "state/hosts"), { recursive: true });
      await fsp.mkdir(path.join(root, "tftp/pxelinux.cfg"), { recursive: true });
      writeFileSync(path.join(root, "state/hosts/real.json"), '{"state":"installed"}\n');
      const targets = [secretFile, "/etc/passwd", "real.json", path.join(outside, "missing"), "/dev/zero", outside];
      for (const [i, target] of targets.entries()) {
        for (const rel of [`state/hosts/h${i}.json`, `tftp/pxelinux.cfg/01-52-54-00-00-00-0${i}`]) {
          await fsp.symlink(target, path.join(root, rel));
          await expect(t.readText(rel), `${rel} -> ${target}`).rejects.toThrow(/symbolic link/);
          await expect(t.readText(rel, 4096), `${rel} -> ${target}`).rejects.toThrow(/symbolic link/);
          await expect(t.hashFile(rel), `${rel} -> ${target}`).rejects.toThrow(/symbolic link/);
          await expect(t.readText(rel).catch((e: Error) => e.message)).resolves.not.toContain("not-for-the-handler");
          await fsp.rm(path.join(root, rel));
        }
      }
      // A FIFO (or a folder) is not read, and nothing waits on it.
      expect(spawnSync("mkfifo", [path.join(root, "state/hosts/fifo.json")]).status).toBe(0);
      await fsp.mkdir(path.join(root, "state/hosts/dir.json"));
      for (const rel of ["state/hosts/fifo.json", "state/hosts/dir.json"]) {
        await expect(t.readText(rel), rel).rejects.toThrow(/not a regular file|directory/i);
        await expect(t.hashFile(rel), rel).rejects.toThrow(/not a regular file|directory/i);
      }
      expect(await t.readText("state/hosts/real.json")).toBe('{"state":"installed"}\n');
      await fsp.rm(path.join(root, "state"), { recursive: true });
      await fsp.rm(path.join(root, "tftp"), { recursive: true });
      await fsp.rm(outside, { recursive: true });
    });

    it("readText reads a file of at most maxBytes whole, and refuses a larger one", async () => {
      for (const max of [1, 7, 4096, 65536, 200000]) {
        const fits = Buffer.alloc(max, "a");
        const over = Buffer.alloc(max + 1, "b");
        await t.writeFile("state/fits.json", fits, sha(fits), "0644");
        await t.writeFile("state/over.json", over, sha(over), "0644");
        expect(await t.readText("state/fits.json", max)).toBe(fits.toString());
        await expect(t.readText("state/over.json", max), String(max)).rejects.toThrow(new RegExp(`larger than ${max} bytes`));
        expect(await t.readText("state/over.json", max + 1)).toBe(over.toString());
      }
      for (const bad of [0, -1, 1.5, Number.NaN]) await expect(t.readText("state/fits.json", bad)).rejects.toThrow(/maxBytes/);
      expect(await t.readText("state/absent.json", 10)).toBeUndefined();
      await t.removeFile("state/fits.json");
      await t.removeFile("state/over.json");
    });

    it("concurrent writes all land", async () => {
      const files = Array.from({ length: 30 }, (_, i) => ({ p: `http/many/f${i}.txt`, d: Buffer.from(`file ${i}\n`) }));
      await Promise.all(files.map((f) => t.writeFile(f.p, f.d, sha(f.d), "0644")));
      for (const f of files) expect(await fsp.readFile(path.join(root, f.p))).toEqual(f.d);
      await Promise.all(files.map((f) => t.removeFile(f.p)));
      expect(existsSync(path.join(root, "http"))).toBe(false);
    });
  });
}
