// A `knownHosts` path of the stack file is read as what it claims to be: a regular file of
// bounded size. A FIFO, a device (by a link), a directory or a file above the limit is refused
// unread and promptly, naming the server, for the stack program and `provision power` alike
// (both take a child's keys from hostKeysOf).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_KNOWN_HOSTS_BYTES, hostKeysOf, knownHostsFileKeys } from "../../components/transports/knownHosts";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "known-hosts-"));
  fs.writeFileSync(path.join(work, "good"), `192.0.2.11 ${KEY}\n`);
  execFileSync("mkfifo", [path.join(work, "fifo")]);
  fs.symlinkSync("/dev/zero", path.join(work, "zero"));
  fs.symlinkSync("/dev/null", path.join(work, "null"));
  fs.mkdirSync(path.join(work, "dir"));
  fs.writeFileSync(path.join(work, "big"), Buffer.alloc(MAX_KNOWN_HOSTS_BYTES + 1, "#"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("a knownHosts file is read only as a regular file", () => {
  const CASES: [string, string][] = [
    ["fifo", "it is a FIFO, not a regular file"],
    ["zero", "it is a character device, not a regular file"],
    ["null", "it is a character device, not a regular file"],
    ["dir", "it is a directory, not a regular file"],
    ["big", `it is ${MAX_KNOWN_HOSTS_BYTES + 1} bytes, above the limit of ${MAX_KNOWN_HOSTS_BYTES} bytes`],
    ["missing", "ENOENT"],
  ];
  it.each(CASES)("%s: refused unread, naming the server", (name, why) => {
    const started = Date.now();
    const file = path.join(work, name);
    expect(() => knownHostsFileKeys("pxe-a", file, "192.0.2.11", 22)).toThrow(`pxe-a: cannot read knownHosts ${file}: ${why}`);
    // Relative to the project, as a stack file names it.
    expect(() => hostKeysOf("pxe-a", { host: "192.0.2.11", port: 22, knownHosts: name }, work)).toThrow(`pxe-a: cannot read knownHosts ${file}: ${why}`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a regular file anywhere on the machine gives its keys, with the pinned hostKey first", () => {
    expect(hostKeysOf("pxe-a", { host: "192.0.2.11", port: 22, knownHosts: path.join(work, "good") }, "/")).toEqual([KEY]);
    expect(hostKeysOf("pxe-a", { host: "192.0.2.11", port: 22, hostKey: `${KEY} comment`, knownHosts: "good" }, work)).toEqual([KEY, KEY]);
    expect(() => hostKeysOf("pxe-a", { host: "192.0.2.12", port: 22, knownHosts: "good" }, work)).toThrow(`pxe-a: knownHosts ${path.join(work, "good")} holds no key for 192.0.2.12`);
  });
});
