// `provision up --stack S` without `--wave`: which waves it rolls out, in what order, and what no
// wave holds. The rollout itself runs on the real engine in test/integration/waves.test.ts.
import { describe, expect, it } from "vitest";
import { outsideWaves, stackWaves, waveUp } from "../../components/cli/commands/up";
import type { Plan } from "../../src/plan/fromPreview";
import { checkStackConfig } from "../../src/stackConfig";

const stackOf = (waves: readonly (number | undefined)[]) =>
  checkStackConfig(
    {
      servers: waves.map((wave, i) => ({
        name: `s${i}`,
        transport: { kind: "local", root: `/tmp/up-test/s${i}` },
        arch: ["x86_64"],
        site: "a",
        profiles: ["web"],
        tftpPort: 7000 + i,
        httpPort: 8000 + i,
        ...(wave !== undefined ? { wave } : {}),
      })),
    },
    "/",
    "dev",
  );

const planOf = (urns: Record<string, string[]>): Plan => ({ impact: { touched: [], servers: {} }, files: {}, notes: {}, urns, warnings: [] });

describe("up without --wave", () => {
  it("rolls out the waves the stack's servers have, ascending, whatever their order in the config; no wave is wave 0", () => {
    const cases: [(number | undefined)[], number[]][] = [
      [[], []],
      [[undefined], [0]],
      [[undefined, 0, undefined], [0]],
      [[2, 0, 5, undefined, 2], [0, 2, 5]],
      [[3], [3]],
      [[10, 9, 1], [1, 9, 10]],
    ];
    for (const [waves, order] of cases) expect(stackWaves(stackOf(waves)), JSON.stringify(waves)).toEqual(order);
  });

  it("targets every change of every server of the stack in exactly one wave", () => {
    const stack = stackOf([1, 0, 1, undefined, 4]);
    const plan = planOf({ s0: ["u0", "u0b"], s1: ["u1"], s2: [], s3: ["u3"], s4: ["u4"] });
    const targets = stackWaves(stack).flatMap((w) => {
      const args = waveUp(stack, w, plan).args ?? [];
      return args.filter((_, i) => args[i - 1] === "--target");
    });
    expect(targets.sort()).toEqual(["u0", "u0b", "u1", "u3", "u4"]);
  });

  it("a wave's update also creates what its servers hang on: the central component and the stack key, and the barrier after that wave only", () => {
    const stack = stackOf([0, 1, 1, 2]);
    const urn = (type: string, name: string) => `urn:pulumi:dev::provisioning::${type}::${name}`;
    const central = urn("provisioning:index:CentralServer", "central");
    const record = (name: string) => urn("provisioning:index:CentralServer$pulumi-nodejs:dynamic:Resource", name);
    const shared = [central, record("stack-key"), record("wave-0"), record("wave-1")];
    const plan = { ...planOf({ s0: ["u0"], s1: [], s2: ["u2"], s3: [] }), shared };
    const targets = (wave: number) => {
      const args = waveUp(stack, wave, plan).args ?? [];
      return args.filter((_, i) => args[i - 1] === "--target");
    };
    expect(targets(0)).toEqual([central, record("stack-key"), record("wave-0"), "u0"]);
    expect(targets(1)).toEqual([central, record("stack-key"), record("wave-1"), "u2"]);
    expect(targets(2)).toEqual([central, record("stack-key")]);
    // Nothing new: a wave without changes runs no update.
    expect(waveUp(stack, 2, { ...plan, shared: [] }).args).toBeUndefined();
    expect(waveUp(stack, 2, planOf({ s3: [] })).args).toBeUndefined();
  });

  it("names the servers the plan changes that no wave holds (gone from the config), and only those", () => {
    const stack = stackOf([0, 1]);
    expect(outsideWaves(stack, planOf({ s0: ["u0"], s1: [] }))).toEqual([]);
    expect(outsideWaves(stack, planOf({ s0: ["u0"], "old-b": ["ub", "ub2"], s1: [], "old-a": ["ua"], unchanged: [] }))).toEqual(["old-a", "old-b"]);
  });
});
