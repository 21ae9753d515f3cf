// planFromPreview on preview documents shaped like the engine's: grouping by server, file ops from
// each server's `files` input (one rule with the provider, fileChanges), secret versions, a
// refresh's drift, objects from the servers' `objects` and the catalog record, secrets masked.
import { describe, expect, it } from "vitest";
import { planFromPreview } from "../../src/plan/fromPreview";
import { parsePreviewJson } from "../../src/plan/previewJson";
import type { PreviewStep } from "../../src/plan/previewJson";
import { componentStep, doc, key, knownLists, recordStep, serverStep, urn, type FileSpec } from "./previewDoc";

const ks = (k: string, secrets: string[] = []): FileSpec => ({ path: "http/autoinstall/web.cfg", key: key(k), secrets });
const menu = (k: string): FileSpec => ({ path: "tftp/pxelinux.cfg/default", key: key(k) });
const motd = (k: string): FileSpec => ({ path: "http/files/web/motd", key: key(k) });
const OBJECTS = ["configFile/motd@c1", "profile/web@p1", "template/ks@t1", "template/pxelinux-menu@m1"];

describe("planFromPreview", () => {
  it("groups file changes by server: each file whose entry differs is created, updated or deleted, and the manifest with them", () => {
    const plan = planFromPreview(doc([serverStep("update", "a", { files: [ks("1"), menu("1")], objects: OBJECTS }, { files: [ks("2"), motd("1")], objects: OBJECTS })]), ["a", "b"]);
    expect(plan.impact.touched).toEqual(["a"]);
    expect(plan.impact.servers["a"]!.files).toEqual([
      { path: "http/autoinstall/web.cfg", op: "update" },
      { path: "http/files/web/motd", op: "create" },
      { path: "manifest.json", op: "update" },
      { path: "tftp/pxelinux.cfg/default", op: "delete" },
    ]);
    expect(plan.impact.servers["b"]).toEqual({ status: "same", objects: [], files: [] });
    expect(plan.files["a"]!.find((f) => f.path === "http/autoinstall/web.cfg")!.changes).toEqual([`content ${key("1").slice(0, 10)}… → ${key("2").slice(0, 10)}…`]);
  });

  it("a mode change is an update of that file", () => {
    const plan = planFromPreview(doc([serverStep("update", "a", { files: [ks("1")] }, { files: [{ ...ks("1"), mode: "0600" }] })]));
    expect(plan.impact.servers["a"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "update" }, { path: "manifest.json", op: "update" }]);
    expect(plan.files["a"]![0]!.changes).toEqual(["mode 0644 → 0600"]);
  });

  it("a secret whose value changed (its version) updates exactly the files that print it, naming it, never the value", () => {
    const plan = planFromPreview(
      doc([serverStep("update", "a", { files: [ks("1", ["root_password_hash"]), menu("1")], secretVersions: { root_password_hash: "v1" } }, { files: [ks("1", ["root_password_hash"]), menu("1")], secretVersions: { root_password_hash: "v2" } })]),
    );
    expect(plan.impact.servers["a"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "update" }, { path: "manifest.json", op: "update" }]);
    expect(plan.files["a"]![0]!.changes).toEqual(["secret root_password_hash changed"]);
  });

  it("what a refresh found is written again: a file deleted or edited by hand, and the manifest only if it drifted itself", () => {
    const same = { files: [ks("1"), menu("1")] };
    const plan = planFromPreview(doc([serverStep("update", "a", same, same, { drift: { "tftp/pxelinux.cfg/default": "absent" } })]));
    expect(plan.impact.servers["a"]!.files).toEqual([{ path: "tftp/pxelinux.cfg/default", op: "update" }]);
    expect(plan.files["a"]![0]!.changes).toEqual(["drifted: absent"]);
    const manifest = planFromPreview(doc([serverStep("update", "a", same, same, { drift: { "manifest.json": "changed" } })]));
    expect(manifest.impact.servers["a"]!.files).toEqual([{ path: "manifest.json", op: "update" }]);
  });

  it("stopped daemons, new serving settings, another way to the child: the server updates and the plan says why", () => {
    const files = [ks("1")];
    const stopped = planFromPreview(doc([serverStep("update", "a", { files }, { files }, { serving: false })]));
    expect(stopped.impact.touched).toEqual(["a"]);
    expect(stopped.impact.servers["a"]!.files).toEqual([]);
    expect(stopped.notes["a"]).toEqual(["its daemons were found stopped: the bootstrap starts them again"]);
    const moved = planFromPreview(doc([serverStep("update", "a", { files }, { files, transport: { kind: "ssh", host: "h", port: 2222, user: "root", root: "/srv/a" } })]));
    expect(moved.notes["a"]).toEqual(["it is reached another way: the files stay on the child (it is asked who it is before anything moves)"]);
    const credentials = planFromPreview(doc([serverStep("update", "a", { files }, { files })]));
    expect(credentials.notes["a"]).toEqual(["its credentials changed: no file is written"]);
  });

  it("a server whose last update failed midway updates again, and the plan says why (not a change of credentials)", () => {
    const files = [ks("1")];
    const failed = planFromPreview(doc([serverStep("update", "a", { files }, { files }, { digest: "incomplete", objectsDigest: "incomplete" })]));
    expect(failed.impact.touched).toEqual(["a"]);
    expect(failed.notes["a"]).toEqual(["its last update failed midway: each file is compared with what the child's manifest lists and placed again where it differs"]);
  });

  it("names objects from the servers' object lists: gained, lost, or held at another version", () => {
    const next = ["profile/web@p2", "template/ks@t1", "template/net@n1", "template/pxelinux-menu@m1"];
    const plan = planFromPreview(doc([serverStep("update", "a", { files: [ks("1"), motd("1")], objects: OBJECTS }, { files: [ks("2")], objects: next })]), [], knownLists);
    expect(plan.impact.servers["a"]!.objects).toEqual([
      { kind: "configFile", name: "motd", op: "delete" },
      { kind: "profile", name: "web", op: "update" },
      { kind: "template", name: "net", op: "create" },
    ]);
  });

  it("reads a state written before 0.6 (files by path, the object list itself) as one written now", () => {
    const next = ["profile/web@p2", "template/ks@t1", "template/pxelinux-menu@m1"];
    const legacy = planFromPreview(doc([serverStep("update", "a", { files: [ks("1"), motd("1")], objects: OBJECTS, legacy: true }, { files: [ks("2")], objects: next })]), [], knownLists);
    const now = planFromPreview(doc([serverStep("update", "a", { files: [ks("1"), motd("1")], objects: OBJECTS }, { files: [ks("2")], objects: next })]), [], knownLists);
    expect(legacy.impact).toEqual(now.impact);
    expect(legacy.impact.servers["a"]!.files.map((f) => `${f.op} ${f.path}`)).toEqual(["update http/autoinstall/web.cfg", "delete http/files/web/motd", "update manifest.json"]);
    expect(legacy.impact.servers["a"]!.objects.map((o) => `${o.op} ${o.kind}/${o.name}`)).toEqual(["delete configFile/motd", "update profile/web"]);
  });

  it("object lists this machine has not seen: no objects named, a warning says why, the files planned as usual", () => {
    const plan = planFromPreview(doc([serverStep("update", "a", { files: [ks("1")], objects: OBJECTS }, { files: [ks("2")], objects: ["profile/web@p9"] }), serverStep("update", "b", { files: [ks("1")], objects: OBJECTS }, { files: [ks("2")], objects: OBJECTS })]));
    expect(plan.impact.servers["a"]!.objects).toEqual([]);
    expect(plan.impact.servers["a"]!.files.map((f) => f.path)).toEqual(["http/autoinstall/web.cfg", "manifest.json"]);
    expect(plan.warnings).toEqual([expect.stringMatching(/^the catalog objects that server a held before are not known on this machine .*--base REF/)]);
  });

  it("a server whose new tree waits on another resource: its objects are not named yet, and no warning", () => {
    const step = serverStep("update", "a", { files: [ks("1")], objects: OBJECTS }, { files: [ks("2")], objects: OBJECTS });
    (step.newState!.inputs as Record<string, unknown>).objects = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const plan = planFromPreview(doc([step]), [], knownLists);
    expect(plan.impact.servers["a"]!.objects).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it("on a state written before 0.6, a change of credentials alone still says so", () => {
    const plan = planFromPreview(doc([serverStep("update", "a", { files: [ks("1")], objects: OBJECTS, legacy: true }, { files: [ks("1")], objects: OBJECTS })]), [], knownLists);
    expect(plan.notes["a"]).toEqual(["its credentials changed: no file is written"]);
  });

  it("an object whose definition changed but none of its files: listed, the server stays untouched", () => {
    const plan = planFromPreview(doc([serverStep("update", "a", { files: [motd("1")], objects: OBJECTS }, { files: [motd("1")], objects: OBJECTS.map((o) => o.replace("@c1", "@c2")) })]), [], knownLists);
    expect(plan.impact.touched).toEqual([]);
    expect(plan.impact.servers["a"]).toEqual({ status: "same", objects: [{ kind: "configFile", name: "motd", op: "update" }], files: [] });
  });

  it("a new server creates all of its files and objects; a removed one deletes them", () => {
    const plan = planFromPreview(
      doc([componentStep("create", "new"), serverStep("create", "new", undefined, { files: [ks("1")], objects: OBJECTS }), componentStep("delete", "gone"), serverStep("delete", "gone", { files: [ks("1")], objects: OBJECTS }, undefined)]),
      [],
      knownLists,
    );
    expect(plan.impact.touched).toEqual(["gone", "new"]);
    expect(plan.impact.servers["new"]!.objects.map((o) => o.op)).toEqual(OBJECTS.map(() => "create"));
    expect(plan.impact.servers["gone"]!.objects.map((o) => o.op)).toEqual(OBJECTS.map(() => "delete"));
    expect(plan.impact.servers["new"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "create" }, { path: "manifest.json", op: "create" }]);
    expect(plan.impact.servers["gone"]!.files).toEqual([{ path: "http/autoinstall/web.cfg", op: "delete" }, { path: "manifest.json", op: "delete" }]);
  });

  it("collects the URNs of every changing step of a server (for up --target), none of others", () => {
    const steps = [componentStep("create", "a"), serverStep("create", "a", undefined, { files: [ks("1")] }), recordStep("create", "wave-0")];
    const plan = planFromPreview(doc(steps), ["a", "b"]);
    expect(plan.urns["a"]).toEqual([steps[0]!.urn, steps[1]!.urn]);
    expect(plan.urns["b"]).toEqual([]);
    // A stack-level record belongs to no server.
    expect(Object.keys(plan.impact.servers)).toEqual(["a", "b"]);
  });

  it("the central component's and its records' new or changed steps are shared (what a wave's servers hang on); deletions, unchanged steps and other resources are not", () => {
    const centralUrn = urn("provisioning:index:CentralServer", "central");
    const central: PreviewStep = { op: "create", urn: centralUrn, newState: { urn: centralUrn, type: "provisioning:index:CentralServer", inputs: {} } };
    const otherUrn = urn("aws:ec2/instance:Instance", "vm");
    const other: PreviewStep = { op: "create", urn: otherUrn, newState: { urn: otherUrn, type: "aws:ec2/instance:Instance", inputs: {} } };
    const steps = [central, recordStep("create", "stack-key"), recordStep("update", "wave-1"), recordStep("delete", "wave-2"), recordStep("same", "wave-0"), other, componentStep("create", "a"), serverStep("create", "a", undefined, { files: [ks("1")] })];
    const plan = planFromPreview(doc(steps), ["a"]);
    expect(plan.shared).toEqual([central.urn, steps[1]!.urn, steps[2]!.urn]);
    expect(plan.urns["a"]).toEqual([steps[6]!.urn, steps[7]!.urn]);
    // A server named like a record is a server, not shared.
    expect(planFromPreview(doc([serverStep("update", "wave-0", { files: [ks("1")] }, { files: [ks("2")] })])).shared).toEqual([]);
  });

  it("a server named like a stack-level record is still a server: its resource sits below its ProvisioningServer", () => {
    const plan = planFromPreview(doc([recordStep("update", "wave-0"), serverStep("update", "wave-0", { files: [ks("1")] }, { files: [ks("2")] })]));
    expect(plan.impact.touched).toEqual(["wave-0"]);
  });

  it("carries the program's warnings (a child whose host key is not checked)", () => {
    const plan = planFromPreview(doc([], [{ severity: "warning", message: "lab-1: insecureAcceptAnyHostKey: …\n" }, { severity: "info", message: "x" }]));
    expect(plan.warnings).toEqual(["lab-1: insecureAcceptAnyHostKey: …"]);
  });

  it("parses the CLI's document and rejects what is not one", () => {
    const text = JSON.stringify({ steps: [serverStep("same", "a", { files: [] }, { files: [] })], changeSummary: { same: 1 }, extra: true });
    expect(planFromPreview(parsePreviewJson(text)).impact.servers["a"]!.status).toBe("same");
    expect(() => parsePreviewJson("error: no stack")).toThrow(/did not print JSON/);
    expect(() => parsePreviewJson(JSON.stringify({ steps: [{ urn: 1 }] }))).toThrow(/unexpected document/);
  });
});
