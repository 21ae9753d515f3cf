/** The peers' input: each server's rendered tree written under `staged/<server>/`, as our engine would place it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCatalog, render, resolveCatalog, type Server } from "../src";

/** Writes the trees, rewriting only files whose bytes changed; returns how many files the trees hold. */
export function stageTrees(catalogDir: string, servers: readonly Server[], staged: string): number {
  const catalog = resolveCatalog(loadCatalog(catalogDir));
  let files = 0;
  for (const server of servers) {
    for (const f of render(catalog, server).files) {
      files++;
      const dest = path.join(staged, server.name, f.path);
      const bytes = f.content !== undefined ? Buffer.from(f.content, "utf8") : fs.readFileSync(f.payload!.path!);
      if (fs.existsSync(dest) && fs.readFileSync(dest).equals(bytes)) continue;
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, bytes);
      fs.chmodSync(dest, parseInt(f.mode, 8));
    }
  }
  return files;
}
