// No stack gets the public development passphrase by accident: only a stack whose config says
// `provisioning:devPassphrase: true` (the demo stacks) does; any other stack without a passphrase
// or a secrets provider stops before anything is encrypted. The real CLI through `provision pulumi`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { DEV_PASSPHRASE } from "../../components/cli/toolchain";
import { provisionPulumiCommand } from "../../components/cli/engine";
import { EXAMPLE_CATALOG, STACK_PROGRAM } from "../support/fleet";
import { repoRoot, type RunResult } from "../support/pulumi";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "passphrase-"));
const backend = path.join(work, "state");

/** `provision pulumi <args>` in the project with no passphrase in the environment. */
function run(args: string[], env: NodeJS.ProcessEnv = {}, input = ""): Promise<RunResult> {
  const { PULUMI_CONFIG_PASSPHRASE: _p, PULUMI_CONFIG_PASSPHRASE_FILE: _f, ...base } = process.env;
  const { command, args: argv } = provisionPulumiCommand(args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: work, env: { ...base, PULUMI_BACKEND_URL: `file://${backend}`, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

const stackFile = (stack: string) => path.join(work, "stacks", `Pulumi.${stack}.yaml`);

describe("the development passphrase serves only the stacks that opt in", () => {
  beforeAll(() => {
    fs.mkdirSync(path.join(work, "stacks"), { recursive: true });
    fs.mkdirSync(backend);
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(work, "node_modules"));
    fs.writeFileSync(path.join(work, "Pulumi.yaml"), stringify({ name: "provisioning", runtime: "nodejs", main: STACK_PROGRAM, stackConfigDir: "stacks" }));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("a new stack without a passphrase stops before anything is encrypted", async () => {
    const r = await run(["stack", "init", "prod"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE/);
    // No salt was made with the development passphrase, and no secret can be set.
    expect(fs.existsSync(stackFile("prod")) ? fs.readFileSync(stackFile("prod"), "utf8") : "").not.toContain("encryptionsalt");
    const set = await run(["config", "set", "--secret", "--stack", "prod", "provisioning:root_password_hash"], {}, "$6$value");
    expect(set.code).not.toBe(0);
    expect(fs.existsSync(stackFile("prod")) ? fs.readFileSync(stackFile("prod"), "utf8") : "").not.toContain("secure:");
  });

  it("a stack that opts in gets it: its secrets are encrypted and its program runs", async () => {
    fs.writeFileSync(stackFile("demo"), stringify({ config: { "provisioning:devPassphrase": true, "provisioning:catalog": EXAMPLE_CATALOG, "provisioning:catalogSecrets": ["root_password_hash"], "provisioning:servers": [] } }));
    expect((await run(["stack", "init", "demo"])).code).toBe(0);
    expect((await run(["config", "set", "--secret", "--stack", "demo", "provisioning:root_password_hash"], {}, "$6$value")).code).toBe(0);
    expect(fs.readFileSync(stackFile("demo"), "utf8")).toMatch(/secure: v1:/);
    const preview = await run(["preview", "--stack", "demo"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
  });

  it("a stack that does not opt in is refused by the program even when the development passphrase is exported by hand", async () => {
    const env = { PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE };
    fs.writeFileSync(stackFile("staging"), stringify({ config: { "provisioning:catalog": EXAMPLE_CATALOG, "provisioning:catalogSecrets": ["root_password_hash"], "provisioning:servers": [] } }));
    expect((await run(["stack", "init", "staging"], env)).code).toBe(0);
    const preview = await run(["preview", "--stack", "staging"], env);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toContain("stack staging is encrypted with the public development passphrase, which only the demo stacks may use (provisioning:devPassphrase: true)");
  });

  it("a stack with a passphrase of its own works as usual", async () => {
    const env = { PULUMI_CONFIG_PASSPHRASE: "a passphrase of its own" };
    fs.writeFileSync(stackFile("prod2"), stringify({ config: { "provisioning:catalog": EXAMPLE_CATALOG, "provisioning:catalogSecrets": ["root_password_hash"], "provisioning:servers": [] } }));
    expect((await run(["stack", "init", "prod2"], env)).code).toBe(0);
    expect((await run(["preview", "--stack", "prod2"], env)).code).toBe(0);
  });
});
