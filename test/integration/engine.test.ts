// The toolchain proof: the pinned CLI, a Node program and a dynamic-provider resource, with
// assertions on the engine's own --json output.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changes, createProject, type PulumiProject } from "../support/pulumi";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
const value = new pulumi.Config().require("value");
const target = new pulumi.Config().require("target");
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) { require("fs").writeFileSync(inputs.target, inputs.value); return { id: "greeting", outs: inputs }; },
  async diff(_id: string, olds: any, news: any) { return { changes: olds.value !== news.value || olds.target !== news.target }; },
  async update(_id: string, _olds: any, news: any) { require("fs").writeFileSync(news.target, news.value); return { outs: news }; },
  async delete(_id: string, props: any) { require("fs").rmSync(props.target, { force: true }); },
};
class Greeting extends pulumi.dynamic.Resource {
  constructor(name: string, props: any) { super(provider, name, props); }
}
new Greeting("greeting", { value, target });
export const written = value;
`;

describe("the real Pulumi engine", () => {
  let project: PulumiProject;
  let target: string;

  beforeAll(async () => {
    project = await createProject({ name: "engine-smoke", stack: "smoke", main: "index.ts", files: { "index.ts": PROGRAM } });
    target = path.join(project.dir, "greeting.txt");
    await project.setConfig("engine-smoke:value", "hello");
    await project.setConfig("engine-smoke:target", target);
  });
  afterAll(async () => {
    await project.destroy();
  });

  it("reports the pinned CLI version", async () => {
    const { stdout } = await project.ok(["version"]);
    expect(stdout.trim()).toBe("v3.248.0");
  });

  it("creates, previews no change, then previews and applies exactly one update", async () => {
    await project.up();
    expect(fs.readFileSync(target, "utf8")).toBe("hello");

    const noop = await project.preview();
    expect(changes(noop)).toEqual([]);
    expect(noop.changeSummary).toEqual({ same: 2 });

    await project.setConfig("engine-smoke:value", "hello again");
    const one = await project.preview();
    const updates = changes(one);
    expect(updates.map((s) => [s.op, s.urn])).toEqual([
      ["update", "urn:pulumi:smoke::engine-smoke::pulumi-nodejs:dynamic:Resource::greeting"],
    ]);
    expect(fs.readFileSync(target, "utf8")).toBe("hello");

    await project.up();
    expect(fs.readFileSync(target, "utf8")).toBe("hello again");
    expect(changes(await project.preview())).toEqual([]);
  });
});
