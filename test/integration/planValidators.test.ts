// `provision plan` on the real engine says which installer validators ran over the stack's
// autoinstall files and shows what they reject as located errors, in every format, and the plan
// is still printed (exit 0) so the review comment carries them.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet, type Fleet } from "../support/fleet";
import { provisionOk } from "../support/provisionCli";

describe("provision plan runs the installers' validators", () => {
  let fleet: Fleet;
  let ks: string;
  const plan = (args: readonly string[]) => provisionOk(fleet.project, ["plan", "--stack", fleet.project.stack, "--project", fleet.project.dir, ...args]);

  beforeAll(async () => {
    fleet = await createFleet({
      transport: "local",
      servers: [
        { name: "rack-a", site: "east", arch: ["x86_64"], profiles: ["web*"] },
        { name: "rack-c", site: "west", arch: ["aarch64"], profiles: ["edge-*"] },
      ],
    });
    await fleet.project.up();
    ks = path.join(fleet.catalogDir, "templates", "ks-base.ks.j2");
  });
  afterAll(async () => {
    await fleet?.dispose();
  });

  it("a clean catalog: the validators that ran, no problem", async () => {
    const json = JSON.parse((await plan(["--json"])).stdout) as { validators: { summary: string; problems: unknown[] } };
    // rack-a's two kickstarts (web, web-frontend), rack-c's preseed (edge-arm).
    expect(json.validators).toEqual({ summary: "ksvalidator (RHEL9) ran on 2 files; debconf-set-selections ran on 1 file", problems: [] });
    expect((await plan([])).stdout).toContain("\nvalidators: ksvalidator (RHEL9) ran on 2 files; debconf-set-selections ran on 1 file\n");
  });

  it("a broken kickstart: a located error in text, markdown, JSON and HTML, and the plan still printed", async () => {
    fs.writeFileSync(ks, fs.readFileSync(ks, "utf8").replace("selinux --enforcing\n", "selinux --enforcing\nfrobnicate --now\n"));
    const line = fs.readFileSync(ks, "utf8").split("\n").indexOf("frobnicate --now") + 1;
    const at = (profile: string) => `${ks}:${line} profile ${profile}: ksvalidator -v RHEL9 rejects http/autoinstall/${profile}.cfg:${line} on server rack-a: Unknown command: frobnicate`;

    const json = JSON.parse((await plan(["--json"])).stdout) as { touched: string[]; validators: { summary: string; problems: { severity: string; text: string }[] } };
    expect(json.touched).toEqual(["rack-a"]);
    expect(json.validators.problems).toEqual([
      { severity: "error", text: at("web-frontend") },
      { severity: "error", text: at("web") },
    ]);

    const text = (await plan([])).stdout;
    expect(text).toContain(`\nerror: ${at("web")}\n`);
    expect(text).toContain("validators: ksvalidator (RHEL9) ran on 2 files; debconf-set-selections ran on 1 file");

    const html = path.join(fleet.project.dir, "plan.html");
    const md = (await plan(["--markdown", "--html", html])).stdout;
    expect(md.split("\n")[0]).toMatch(/^\*\*1 of 2 servers touched/);
    expect(md).toContain(`> **Error:** \`${at("web")}\``);
    expect(md).toContain("Validators: `ksvalidator (RHEL9) ran on 2 files; debconf-set-selections ran on 1 file`");
    const page = fs.readFileSync(html, "utf8");
    expect(page).toContain(`<p class="error">error: ${at("web")}</p>`);
  });
});
