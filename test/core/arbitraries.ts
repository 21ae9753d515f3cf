/** fast-check arbitraries over the deterministic generator: shrinking works on its parameters. */
import fc from "fast-check";
import { ARCHES, type GenerateParams, generateCatalogInput, generateServers } from "../../bench/generateCatalog";
import { type Server, ServerSchema } from "../../src/catalog/schema";

export const paramsArb: fc.Arbitrary<GenerateParams> = fc.record({
  profiles: fc.integer({ min: 1, max: 25 }),
  distributions: fc.integer({ min: 1, max: 5 }),
  templates: fc.integer({ min: 3, max: 15 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

/** A server over a generated catalog: random listed names and globs, random arches. */
export const serverArb = (profiles: number): fc.Arbitrary<Server> =>
  fc
    .record({
      listed: fc.subarray(Array.from({ length: profiles }, (_, i) => `prof${i}`)),
      globs: fc.subarray(["prof1*", "prof?", "*", "nomatch*", "prof{2,3}"]),
      arch: fc.subarray([...ARCHES], { minLength: 1 }),
      address: fc.constantFrom("127.0.0.1", "10.1.2.3", "pxe.example.org"),
    })
    .map((r) => ServerSchema.parse({ ...generateServers(1, [])[0]!, profiles: [...r.listed, ...r.globs], arch: r.arch, address: r.address }));

export const catalogCaseArb = paramsArb.chain((p) =>
  fc.record({ params: fc.constant(p), input: fc.constant(generateCatalogInput(p)), server: serverArb(p.profiles), shuffleSeed: fc.integer() }),
);
