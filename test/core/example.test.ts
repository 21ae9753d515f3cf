import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../src/catalog/load";
import { resolveCatalog } from "../../src/catalog/resolve";
import { render } from "../../src/render/render";
import { unmask } from "../../src/render/secretTokens";
import { server } from "./helpers";

describe("example catalog", () => {
  const r = resolveCatalog(loadCatalog(path.resolve(__dirname, "../../stacks/catalogs/example")));
  it("has a three-level chain and both breeds", () => {
    expect(r.profiles.get("web-frontend")!.ancestors).toEqual(["web", "base"]);
    expect(r.mappings.get("edge-arm")!.distribution).toBe("debian12-arm64");
    expect(r.mappings.get("build-amd64")!.distribution).toBe("debian12-amd64");
  });
  it("renders a kickstart with the secret root password hash", () => {
    const t = render(r, server({ profiles: ["web-frontend"] }));
    const ks = t.files.find((f) => f.path === "http/autoinstall/web-frontend.cfg")!;
    expect(unmask(ks.content!, { root_password_hash: "$6$abc" })).toContain("rootpw --iscrypted $6$abc\n");
    expect(ks.content).toContain("network --bootproto=dhcp");
    expect(ks.secrets).toEqual(["root_password_hash"]);
    expect(t.files.find((f) => f.path === "tftp/images/rocky9-x86_64/vmlinuz")!.size).toBe(4096);
  });
});
