// The child's build-mode handler (components/scripts/host-handler.sh) run as fcgiwrap runs it: a
// CGI script with the request in its environment and body on stdin. Families of hostile requests
// (paths that climb, names with shell syntax, tokens of every wrong shape, bodies that try to
// forge JSON or a second token) are refused or reduced to plain text; only the host's current
// token, while it is armed, reads its files or switches its entries. (The real nginx and fcgiwrap
// in front of it: test/integration/buildMode.test.ts.)
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { packageRoot } from "../../components/packageRoot";

const HANDLER = path.join(packageRoot, "components", "scripts", "host-handler.sh");
const HOST = "web-07";
const ENTRY = "tftp/pxelinux.cfg/01-52-54-00-00-07-07";
const newToken = () => randomBytes(32).toString("base64url");

interface Reply {
  status: number;
  body: string;
}

function request(root: string, method: string, uri: string, body = "", client = "10.0.0.7"): Reply {
  const r = spawnSync("sh", [HANDLER], {
    input: body,
    env: { PATH: process.env.PATH, PROVISIONING_ROOT: root, REQUEST_METHOD: method, DOCUMENT_URI: uri, REMOTE_ADDR: client, CONTENT_LENGTH: String(Buffer.byteLength(body)) },
    encoding: "utf8",
  });
  const [head, ...rest] = r.stdout.split("\r\n\r\n");
  return { status: Number(/^Status: (\d{3})/.exec(head ?? "")?.[1] ?? 0), body: rest.join("\r\n\r\n") };
}

describe("the build-mode handler", () => {
  let root: string;
  let token: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  const arm = (t: string, generation = "0123456789abcdef") => write(`hosts/${HOST}/arm`, `generation=${generation}\ntoken_sha256=${createHash("sha256").update(t).digest("hex")}\n`);
  const record = () => fs.readFileSync(path.join(root, "state", "hosts", `${HOST}.json`), "utf8");
  const hasRecord = () => fs.existsSync(path.join(root, "state", "hosts", `${HOST}.json`));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "host-handler-"));
    token = newToken();
    fs.mkdirSync(path.join(root, "log"));
    write("secret.txt", "outside the host's folder\n");
    write(`hosts/${HOST}/autoinstall.cfg`, "the preseed\n");
    write(`hosts/${HOST}/files/motd`, "hello\n");
    write(`hosts/${HOST}/local/${ENTRY}`, "LOCALBOOT 0\n");
    write(ENTRY, "installer entry\n");
    arm(token);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("serves the host's files only under its current token, with their length", () => {
    const ok = request(root, "GET", `/hosts/${HOST}/${token}/autoinstall.cfg`);
    expect(ok).toEqual({ status: 200, body: "the preseed\n" });
    expect(request(root, "GET", `/hosts/${HOST}/${token}/files/motd`)).toEqual({ status: 200, body: "hello\n" });
    const head = spawnSync("sh", [HANDLER], { env: { PATH: process.env.PATH, PROVISIONING_ROOT: root, REQUEST_METHOD: "GET", DOCUMENT_URI: `/hosts/${HOST}/${token}/autoinstall.cfg` }, encoding: "utf8" }).stdout;
    expect(head).toContain("Content-Length: 12\r\n");
  });

  it("refuses every token of the wrong value or shape (403), and logs it without the token", () => {
    const wrong = [newToken(), token.slice(0, 42), `${token}x`, token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(), `${token.slice(0, 42)}=`, `${token.slice(0, 42)}.`, "", "arm", "$(id)", "A".repeat(43), "%2e%2e"];
    for (const t of wrong) {
      const r = request(root, "GET", `/hosts/${HOST}/${t}/autoinstall.cfg`);
      expect(r.status, t).toBe(403);
      expect(r.body).not.toContain("preseed");
    }
    const log = fs.readFileSync(path.join(root, "log", "hosts.log"), "utf8");
    expect(log.split("\n").filter((l) => l.includes("fetch refused: wrong or old token"))).toHaveLength(wrong.length);
    expect(log).not.toContain(token.slice(0, 20));
  });

  it("never reads outside the host's own files, whatever the path", () => {
    const uris = [
      `/hosts/${HOST}/${token}/../../secret.txt`,
      `/hosts/${HOST}/${token}/files/../../../secret.txt`,
      `/hosts/${HOST}/${token}/files/../arm`,
      `/hosts/${HOST}/${token}/arm`,
      `/hosts/${HOST}/${token}/local/${ENTRY}`,
      `/hosts/${HOST}/${token}/files/`,
      `/hosts/${HOST}/${token}/files/.`,
      `/hosts/${HOST}/${token}/files/motd/x`,
      `/hosts/${HOST}/${token}/autoinstall.cfg/`,
      `/hosts/../secret.txt`,
      `/hosts/..%2fsecret.txt/${token}/autoinstall.cfg`,
      `/hosts/.${HOST}/${token}/autoinstall.cfg`,
      `/hosts/${HOST}$(touch ${root}/pwned)/${token}/autoinstall.cfg`,
      `/hosts/${HOST};id/${token}/autoinstall.cfg`,
      `/hosts/${"a".repeat(64)}/${token}/autoinstall.cfg`,
      `/report/${HOST}/../../secret.txt`,
      `/elsewhere/${HOST}/${token}/autoinstall.cfg`,
      "/hosts/",
      "",
    ];
    for (const uri of uris) {
      const r = request(root, "GET", uri);
      expect([403, 404, 405], uri).toContain(r.status);
      expect(r.body, uri).not.toMatch(/outside|generation|token_sha256|LOCALBOOT|preseed/);
    }
    expect(fs.existsSync(path.join(root, "pwned"))).toBe(false);
    expect(hasRecord()).toBe(false);
  });

  it("a report with a wrong token or method changes nothing; with the token it records, swaps the entries and spends the token", () => {
    for (const body of [`token=${newToken()}`, `token=${token.slice(1)}`, `reason=x&token=${token}`, "", `token=${token.slice(0, 42)}\n`]) {
      expect(request(root, "POST", `/report/${HOST}/done`, body).status, body).toBe(403);
    }
    expect(request(root, "GET", `/report/${HOST}/done`, `token=${token}`).status).toBe(405);
    expect(request(root, "POST", `/report/${HOST}/installed`, `token=${token}`).status).toBe(404);
    expect(request(root, "POST", `/report/${HOST}/done`, `token=${token}&x=${"y".repeat(5000)}`).status).toBe(413);
    expect(hasRecord()).toBe(false);
    expect(fs.readFileSync(path.join(root, ENTRY), "utf8")).toBe("installer entry\n");

    // Fetching its autoinstall marks it installing, since then; the report keeps that time.
    expect(request(root, "GET", `/hosts/${HOST}/${token}/autoinstall.cfg`).status).toBe(200);
    const installing = JSON.parse(record()) as Record<string, string>;
    expect(installing).toMatchObject({ host: HOST, state: "installing", generation: "0123456789abcdef", client: "10.0.0.7" });
    expect(installing.fetchedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(request(root, "POST", `/report/${HOST}/done`, `token=${token}`).status).toBe(200);
    expect(JSON.parse(record())).toMatchObject({ host: HOST, state: "installed", generation: "0123456789abcdef", client: "10.0.0.7", fetchedAt: installing.fetchedAt });
    expect((JSON.parse(record()) as Record<string, string>).reportedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(fs.readFileSync(path.join(root, ENTRY), "utf8")).toBe("LOCALBOOT 0\n");
    expect(fs.readdirSync(path.dirname(path.join(root, ENTRY)))).toEqual([path.basename(ENTRY)]); // no swap file left
    expect(request(root, "GET", `/hosts/${HOST}/${token}/autoinstall.cfg`).status).toBe(404);
    expect(request(root, "POST", `/report/${HOST}/done`, `token=${token}`).status).toBe(409);

    // A new generation (reinstall) with a new token arms it again; the old token is refused.
    const next = newToken();
    arm(next, "fedcba9876543210");
    expect(request(root, "GET", `/hosts/${HOST}/${token}/autoinstall.cfg`).status).toBe(403);
    expect(request(root, "GET", `/hosts/${HOST}/${next}/autoinstall.cfg`).status).toBe(200);
  });

  it("the record names the first fetch's time and client: a HEAD writes nothing, later fetches and the report from elsewhere change neither", () => {
    const url = `/hosts/${HOST}/${token}/autoinstall.cfg`;
    for (const client of ["10.0.0.99", "fe80::1", "", "not an address"]) {
      expect(request(root, "HEAD", url, "", client).status).toBe(200);
      expect(request(root, "HEAD", `/hosts/${HOST}/${token}/files/motd`, "", client).status).toBe(200);
    }
    expect(hasRecord()).toBe(false);

    expect(request(root, "GET", url, "", "10.0.0.7").status).toBe(200);
    const first = JSON.parse(record()) as Record<string, string>;
    expect(first).toMatchObject({ state: "installing", client: "10.0.0.7" });
    // Whoever else holds the token, at another time, by GET or HEAD.
    spawnSync("sleep", ["1.1"]);
    for (const [method, client] of [["GET", "10.0.0.99"], ["HEAD", "10.0.0.98"], ["GET", "fe80::1"], ["GET", ""]] as const) {
      expect(request(root, method, url, "", client).status).toBe(200);
      expect(JSON.parse(record())).toEqual(first);
    }
    expect(request(root, "POST", `/report/${HOST}/done`, `token=${token}`, "10.0.0.66").status).toBe(200);
    expect(JSON.parse(record())).toMatchObject({ state: "installed", client: "10.0.0.7", fetchedAt: first.fetchedAt });

    // A new generation's first fetch names its own client.
    const next = newToken();
    arm(next, "fedcba9876543210");
    expect(request(root, "GET", `/hosts/${HOST}/${next}/autoinstall.cfg`, "", "10.0.0.8").status).toBe(200);
    expect(JSON.parse(record())).toMatchObject({ state: "installing", generation: "fedcba9876543210", client: "10.0.0.8" });
  });

  it("a failure's reason is kept as short plain text: the record stays one JSON object of the same keys", () => {
    const reasons = ['no disk"},"state":"installed', "a\\b", "line\nbreak", "$(touch pwned)", "`id`", "%22%7D", "<script>", "x".repeat(1000), "é ü", "a+b c"];
    for (const reason of reasons) {
      const t = newToken();
      arm(t, createHash("sha256").update(reason).digest("hex").slice(0, 16));
      expect(request(root, "POST", `/report/${HOST}/failed`, `token=${t}&reason=${reason}`).status, reason).toBe(200);
      const r = JSON.parse(record()) as Record<string, string>;
      expect(Object.keys(r).sort()).toEqual(["client", "fetchedAt", "generation", "host", "reason", "reportedAt", "state"]);
      expect(r.state).toBe("failed");
      expect(r.reason).toMatch(/^[A-Za-z0-9 ._:%/-]{0,200}$/);
    }
    expect(fs.existsSync(path.join(root, "pwned"))).toBe(false);
  });

  it("a host that is not armed here (no arm record) is not served and cannot report", () => {
    fs.rmSync(path.join(root, "hosts", HOST, "arm"));
    expect(request(root, "GET", `/hosts/${HOST}/${token}/autoinstall.cfg`).status).toBe(404);
    expect(request(root, "POST", `/report/${HOST}/done`, `token=${token}`).status).toBe(404);
    expect(hasRecord()).toBe(false);
  });
});
