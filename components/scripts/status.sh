#!/bin/sh
# Whether the daemons bootstrap.sh started for the child rooted at $ROOT are alive: prints
# "serving", or "stopped:" and the names of the stopped ones. Env: ROOT (required).
set -u
ROOT=${ROOT:?ROOT is required}
alive() { [ -s "$1" ] && kill -0 "$(head -n 1 "$1" | tr -dc 0-9)" 2>/dev/null; }
stopped=""
for name in nginx tftpd; do
  alive "$ROOT/run/$name.pid" || stopped="$stopped $name"
done
if [ -z "$stopped" ]; then echo serving; else echo "stopped:$stopped"; fi
