import * as fs from "node:fs";
import * as path from "node:path";

/** The package's name, as consumers install and `require` it. */
export const PACKAGE_NAME = "pulumi-provisioning";

/**
 * The folder of this package's package.json: the repository in development, the installed copy
 * under node_modules otherwise. Compiled code runs from dist/, sources from their own folder, so
 * both look upwards rather than counting `..`.
 */
export const packageRoot: string = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME) return dir;
    if (dir === path.dirname(dir)) throw new Error(`cannot find the ${PACKAGE_NAME} package above ${__dirname}`);
  }
})();
