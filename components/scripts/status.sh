#!/bin/sh
# Whether the daemons bootstrap.sh started for the child rooted at $ROOT are alive: prints
# "serving", or "stopped:" and the names of the stopped ones. Env: ROOT (required).
set -u
ROOT=${ROOT:?ROOT is required}
# A pid file naming a live process (a zombie left by a killed daemon is not one).
alive() {
  [ -s "$1" ] || return 1
  _pid=$(head -n 1 "$1" | tr -dc 0-9)
  [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$_pid/status" 2>/dev/null
}
stopped=""
names="nginx tftpd handler"
# dnsmasq runs where the child has DHCP (bootstrap.sh records its command line).
[ -f "$ROOT/etc/dnsmasq.args" ] && names="$names dnsmasq"
for name in $names; do
  alive "$ROOT/run/$name.pid" || stopped="$stopped $name"
done
if [ -z "$stopped" ]; then echo serving; else echo "stopped:$stopped"; fi
