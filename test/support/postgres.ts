// A throwaway PostgreSQL 15 cluster (Debian's postgresql package) on a free loopback port:
// initdb into a temp dir, run as the unprivileged `postgres` user (initdb and postgres refuse
// root), one database and one password user for the Pulumi backend. stop() removes everything.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freeTcpPort, waitForTcpPort } from "./ports";

const BIN = "/usr/lib/postgresql/15/bin";
const OS_USER = "postgres";

export interface Postgres {
  port: number;
  /** `postgres://user:password@127.0.0.1:PORT/db?sslmode=disable` */
  url: string;
  user: string;
  password: string;
  database: string;
  /** Runs SQL as the superuser through psql (in `database`, default postgres); returns its stdout. */
  psql(sql: string, database?: string): string;
  stop(): Promise<void>;
}

/** `runuser -u postgres -- cmd …`: the cluster's files belong to that user. */
function asPostgres(cmd: string, args: string[], input?: string): string {
  return execFileSync("runuser", ["-u", OS_USER, "--", cmd, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

export async function startPostgres(opts: { database?: string; user?: string; password?: string } = {}): Promise<Postgres> {
  const database = opts.database ?? "pulumi_state";
  const user = opts.user ?? "pulumi";
  const password = opts.password ?? "pulumi-test-password";
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "postgres-fixture-"));
  fs.chmodSync(base, 0o755);
  const data = path.join(base, "data");
  const sockets = path.join(base, "run");
  fs.mkdirSync(sockets);
  execFileSync("chown", ["-R", `${OS_USER}:${OS_USER}`, base]);
  asPostgres(path.join(BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  // Password auth for TCP, as a team's server would have it.
  fs.writeFileSync(path.join(data, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n");

  const port = await freeTcpPort();
  const proc: ChildProcess = spawn(
    "runuser",
    ["-u", OS_USER, "--", path.join(BIN, "postgres"), "-D", data, "-c", `port=${port}`, "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${sockets}`, "-c", "fsync=off"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-10_000)));
  const postmaster = (): number | undefined => {
    try {
      return Number(fs.readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  // runuser forwards no signal: the postmaster itself is signalled.
  const signal = (sig: NodeJS.Signals) => {
    const pid = postmaster();
    try {
      if (pid) process.kill(pid, sig);
      else proc.kill(sig);
    } catch {
      /* already gone */
    }
  };
  const killOnExit = () => signal("SIGKILL");
  process.on("exit", killOnExit);

  const stop = async (): Promise<void> => {
    process.off("exit", killOnExit);
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => signal("SIGKILL"), 10_000);
        proc.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
        signal("SIGINT"); // "fast shutdown"
      });
    }
    fs.rmSync(base, { recursive: true, force: true });
  };

  const psql = (sql: string, db = "postgres"): string =>
    asPostgres(path.join(BIN, "psql"), ["-h", sockets, "-p", String(port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-f", "-"], sql);

  try {
    await Promise.race([
      waitForTcpPort(port, "127.0.0.1", 30_000),
      new Promise<never>((_, reject) => proc.once("exit", (code) => reject(new Error(`postgres exited with ${code}: ${stderr}`)))),
    ]);
    // The TCP port opens slightly before the server accepts queries.
    for (let i = 0; ; i++) {
      try {
        psql("select 1;");
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    psql(`create role ${user} login password '${password}';\ncreate database ${database} owner ${user};\n`);
  } catch (e) {
    await stop();
    throw new Error(`starting PostgreSQL failed: ${(e as Error).message}\n${stderr}`);
  }
  return {
    port,
    url: `postgres://${user}:${password}@127.0.0.1:${port}/${database}?sslmode=disable`,
    user,
    password,
    database,
    psql,
    stop,
  };
}
