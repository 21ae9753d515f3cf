// planFromPreview on preview documents shaped like the engine's: grouping by server, file ops
// from each server's files resource and from files that are resources of their own,
// replacements, objects from the servers' `objects` inputs, secrets kept masked.
import { describe, expect, it } from "vitest";
import { SECRET, planFromPreview } from "../../src/plan/fromPreview";
import { parsePreviewJson } from "../../src/plan/previewJson";
import { bootstrapStep, doc, fileStep, objectStep, serverStep, sha, treeStep, type FileSpec } from "./previewDoc";

const ks = (h: string): FileSpec => ({ path: "http/autoinstall/web.cfg", sha256: sha(h), originKind: "profile", originName: "web" });
const menu = (h: string): FileSpec => ({ path: "tftp/pxelinux.cfg/default", sha256: sha(h), originKind: "template", originName: "pxelinux-menu" });
const manifest = (h: string): FileSpec => ({ path: "manifest.json", sha256: sha(h), originKind: "manifest", originName: "a" });
const motd = (h: string): FileSpec => ({ path: "http/files/web/motd", sha256: sha(h), originKind: "configFile", originName: "motd" });

const OBJECTS = { "profile/web": "p1", "template/ks": "t1", "configFile/motd": "c1", "template/pxelinux-menu": "m1" };

describe("planFromPreview", () => {
  it("groups file changes by server: each file whose entry in the files resource differs is created, updated or deleted", () => {
    const plan = planFromPreview(
      doc([
        serverStep("same", "a", OBJECTS, OBJECTS),
        bootstrapStep("same", "a"),
        treeStep("update", "a", [ks("1"), menu("1")], [ks("2"), motd("1")]),
        fileStep("same", "a", manifest("1"), manifest("1")),
        serverStep("same", "b", OBJECTS, OBJECTS),
        bootstrapStep("same", "b"),
        treeStep("same", "b", [ks("1")], [ks("1")]),
      ]),
    );
    expect(plan.impact.touched).toEqual(["a"]);
    expect(plan.impact.servers["a"]!.status).toBe("update");
    expect(plan.impact.servers["a"]!.files).toEqual([
      { path: "http/autoinstall/web.cfg", op: "update" },
      { path: "http/files/web/motd", op: "create" },
      { path: "tftp/pxelinux.cfg/default", op: "delete" },
    ]);
    expect(plan.impact.servers["b"]).toEqual({ status: "same", objects: [], files: [] });
    // Each changed file keeps the object it is rendered from.
    expect(plan.files["a"]!.find((f) => f.path === "http/files/web/motd")!.origin).toEqual({ kind: "configFile", name: "motd" });
    expect(plan.files["a"]!.find((f) => f.path === "http/autoinstall/web.cfg")!.changes.join()).toContain(`${sha("1").slice(0, 12)}… → ${sha("2").slice(0, 12)}…`);
  });

  it("a replacement (several steps of one path) is a single update", () => {
    const old = ks("1");
    const next = { ...ks("2"), mode: "0600" };
    const plan = planFromPreview(
      doc([
        serverStep("same", "a", OBJECTS, OBJECTS),
        fileStep("create-replacement", "a", old, next),
        fileStep("replace", "a", old, next),
        fileStep("delete-replaced", "a", old, next),
      ]),
    );
    expect(plan.impact.servers["a"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "update" }]);
    expect(plan.files["a"]![0]!.changes).toContain("mode: 0644 → 0600");
  });

  it("a files resource moved to another root updates every file it keeps, changed or not, and creates the new ones", () => {
    const steps = (op: string) => treeStep(op, "a", [ks("1"), motd("1")], [ks("1"), motd("2"), menu("1")]);
    const plan = planFromPreview(doc([serverStep("same", "a", OBJECTS, OBJECTS), steps("create-replacement"), steps("replace"), steps("delete-replaced")]));
    expect(plan.impact.servers["a"]!.files).toEqual([
      { path: "http/autoinstall/web.cfg", op: "update" },
      { path: "http/files/web/motd", op: "update" },
      { path: "tftp/pxelinux.cfg/default", op: "create" },
    ]);
  });

  it("the old side is what the last refresh found: a file deleted by hand is an update, one edited back is none", () => {
    const gone = { ...motd("1"), sha256: "absent" };
    const plan = planFromPreview(doc([treeStep("update", "a", [ks("1"), motd("1")], [ks("1"), motd("1")], [ks("1"), gone])]));
    expect(plan.impact.servers["a"]!.files).toEqual([{ path: "http/files/web/motd", op: "update" }]);
    expect(plan.files["a"]![0]!.changes).toEqual([`sha256: absent → ${sha("1").slice(0, 12)}…`]);
  });

  it("reads the shape of stacks made before one resource per server: per-file steps, and their migration", () => {
    const legacy = planFromPreview(doc([serverStep("same", "a", OBJECTS, OBJECTS), fileStep("update", "a", ks("1"), ks("2")), fileStep("delete", "a", menu("1"), undefined)]));
    expect(legacy.impact.servers["a"]!.files).toEqual([
      { path: "http/autoinstall/web.cfg", op: "update" },
      { path: "tftp/pxelinux.cfg/default", op: "delete" },
    ]);
    // The first update with today's shape: each file's resource is deleted and the files resource created.
    const migration = planFromPreview(doc([fileStep("delete", "a", ks("1"), undefined), treeStep("create", "a", undefined, [ks("1")])]));
    expect(migration.impact.servers["a"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "update" }]);
  });

  it("names objects from the difference of the server's object inputs", () => {
    const next = { "profile/web": "p2", "template/ks": "t1", "template/pxelinux-menu": "m1", "template/net": "n1" };
    const plan = planFromPreview(
      doc([
        serverStep("update", "a", OBJECTS, next),
        treeStep("update", "a", [ks("1"), motd("1")], [ks("2")]),
      ]),
    );
    expect(plan.impact.servers["a"]!.objects).toEqual([
      { kind: "configFile", name: "motd", op: "delete" },
      { kind: "profile", name: "web", op: "update" },
      { kind: "template", name: "net", op: "create" },
    ]);
  });

  it("a new server creates all of its objects; a removed one deletes them", () => {
    const plan = planFromPreview(
      doc([serverStep("create", "new", undefined, OBJECTS), treeStep("create", "new", undefined, [ks("1")]), serverStep("delete", "gone", OBJECTS, undefined), treeStep("delete", "gone", [ks("1")], undefined)]),
    );
    expect(plan.impact.touched).toEqual(["gone", "new"]);
    expect(plan.impact.servers["new"]!.objects.map((o) => o.op)).toEqual(Object.keys(OBJECTS).map(() => "create"));
    expect(plan.impact.servers["gone"]!.objects.map((o) => o.op)).toEqual(Object.keys(OBJECTS).map(() => "delete"));
    expect(plan.impact.servers["new"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "create" }]);
    expect(plan.impact.servers["gone"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "delete" }]);
  });

  it("objects change without file changes: listed, the server stays untouched", () => {
    const plan = planFromPreview(doc([serverStep("update", "a", OBJECTS, { ...OBJECTS, "configFile/motd": "c2" }), treeStep("same", "a", [motd("1")], [motd("1")])]));
    expect(plan.impact.touched).toEqual([]);
    expect(plan.impact.servers["a"]).toEqual({ status: "same", objects: [{ kind: "configFile", name: "motd", op: "update" }], files: [] });
  });

  it("without object inputs (older state), the origins of changed files stand in", () => {
    const strip = (s: ReturnType<typeof serverStep>) => ({ ...s, oldState: { urn: s.urn, inputs: {} }, newState: { urn: s.urn, inputs: {} } });
    const plan = planFromPreview(
      doc([
        strip(serverStep("same", "a", OBJECTS, OBJECTS)),
        treeStep("update", "a", [ks("1")], [ks("2"), motd("1")]),
        fileStep("update", "a", manifest("1"), manifest("2")),
      ]),
    );
    expect(plan.impact.servers["a"]!.objects).toEqual([
      { kind: "configFile", name: "motd", op: "create" },
      { kind: "profile", name: "web", op: "update" },
    ]);
  });

  it("keeps secrets masked: a secret file's change shows [secret], never a value", () => {
    const secretKs = (): FileSpec => ({ ...ks("x"), sha256: SECRET, content: SECRET });
    const plan = planFromPreview(doc([serverStep("same", "a", OBJECTS, OBJECTS), fileStep("update", "a", secretKs(), secretKs())]));
    expect(plan.impact.servers["a"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "update" }]);
    const changes = plan.files["a"]![0]!.changes;
    expect(changes).toEqual([`sha256: ${SECRET} → ${SECRET}`]);
    // Content is never reported, secret or not.
    const plain = planFromPreview(doc([serverStep("same", "a", OBJECTS, OBJECTS), treeStep("update", "a", [{ ...ks("1"), content: "rootpw hunter2" }], [{ ...ks("2"), content: "rootpw hunter3" }])]));
    expect(plain.impact.servers["a"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "update" }]);
    expect(JSON.stringify(plain)).not.toContain("hunter");
  });

  it("collects the URNs of every changing step of a server (for up --target), none of others", () => {
    const steps = [
      serverStep("update", "a", OBJECTS, { ...OBJECTS, "profile/web": "p2" }),
      bootstrapStep("update", "a"),
      treeStep("update", "a", [ks("1")], [ks("2")]),
      fileStep("same", "a", manifest("1"), manifest("1")),
      serverStep("same", "b", OBJECTS, OBJECTS),
      treeStep("same", "b", [ks("1")], [ks("1")]),
      objectStep("update", "profile", "web"),
    ];
    const plan = planFromPreview(doc(steps));
    expect(plan.urns["a"]).toEqual([steps[0]!.urn, steps[1]!.urn, steps[2]!.urn]);
    expect(plan.urns["b"]).toEqual([]);
    // Catalog object components belong to no server.
    expect(Object.keys(plan.impact.servers)).toEqual(["a", "b"]);
    // The bootstrap is not a file.
    expect(plan.impact.servers["a"]!.files.map((f) => f.path)).toEqual(["http/autoinstall/web.cfg"]);
  });

  it("the CLI leaves out unchanged steps: servers named by the stack are listed, a file step alone still counts", () => {
    // Only a secret value changed: the file updates, the server's own step is "same" and left out.
    const plan = planFromPreview(doc([fileStep("update", "a", ks("1"), ks("2"))]), ["a", "b", "c"]);
    expect(plan.impact.touched).toEqual(["a"]);
    expect(Object.keys(plan.impact.servers)).toEqual(["a", "b", "c"]);
    expect(plan.impact.servers["a"]).toEqual({ status: "update", objects: [], files: [{ path: "http/autoinstall/web.cfg", op: "update" }] });
    expect(plan.impact.servers["c"]).toEqual({ status: "same", objects: [], files: [] });
    // Without the stack's list, the file's parent names its server.
    expect(planFromPreview(doc([fileStep("update", "a", ks("1"), ks("2"))])).impact.touched).toEqual(["a"]);
  });

  it("a server whose name prefixes another's is kept apart", () => {
    const plan = planFromPreview(
      doc([serverStep("same", "a", OBJECTS, OBJECTS), serverStep("same", "a-b", OBJECTS, OBJECTS), treeStep("update", "a-b", [ks("1")], [ks("2")])]),
    );
    expect(plan.impact.touched).toEqual(["a-b"]);
    expect(plan.impact.servers["a"]!.files).toEqual([]);
  });

  it("parses the CLI's document and rejects what is not one", () => {
    const text = JSON.stringify({ steps: [serverStep("same", "a", OBJECTS, OBJECTS)], changeSummary: { same: 1 }, extra: true });
    expect(planFromPreview(parsePreviewJson(text)).impact.servers["a"]!.status).toBe("same");
    expect(() => parsePreviewJson("error: no stack")).toThrow(/did not print JSON/);
    expect(() => parsePreviewJson(JSON.stringify({ steps: [{ urn: 1 }] }))).toThrow(/unexpected document/);
  });
});
