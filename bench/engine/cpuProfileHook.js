// Preloaded (NODE_OPTIONS=--require) into the Node processes of one `pulumi preview` by
// bench/profile.ts: samples the CPU and writes a .cpuprofile into BENCH_PROFILE_DIR at exit.
"use strict";
const inspector = require("node:inspector");
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable", () => session.post("Profiler.setSamplingInterval", { interval: 1000 }, () => session.post("Profiler.start")));
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post("Profiler.stop", (err, res) => {
      if (err || !res) return;
      // The only other Node process of a run is the program with its in-process language host
      // (the renderer starts with an empty environment, so without this hook).
      const role = process.argv.some((a) => a.includes("dynamic-provider")) ? "provider-host" : "program";
      fs.writeFileSync(path.join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  };
  process.on("exit", write);
  for (const sig of ["SIGTERM", "SIGINT"]) process.once(sig, () => { write(); process.exit(0); });
}
