#!/bin/sh
# Stops the nginx, in.tftpd and dnsmasq instances that bootstrap.sh started for the child rooted at
# $ROOT (found through $ROOT/run/*.pid, and only if the process really belongs to $ROOT).
# Idempotent: nothing running is not an error. Run by a transport's runScript with env ROOT.
set -eu
ROOT=${ROOT:-}
[ -n "$ROOT" ] || { echo "stop-services: error: ROOT is required" >&2; exit 1; }
case "$ROOT" in
  /*) ;;
  *) echo "stop-services: error: ROOT must be an absolute path" >&2; exit 1 ;;
esac
ROOT=$(printf '%s' "$ROOT" | sed 's#//*#/#g; s#/$##')

pid_of() {
  [ -s "$1" ] || return 1
  _pid=$(head -n 1 "$1" | tr -dc 0-9)
  [ -n "$_pid" ] || return 1
  kill -0 "$_pid" 2>/dev/null || return 1
  if [ -r "/proc/$_pid/cmdline" ]; then
    tr '\0' ' ' < "/proc/$_pid/cmdline" | grep -qF -- "$ROOT/" || return 1
  fi
  printf '%s\n' "$_pid"
}

# Units bootstrap.sh made for this child (where systemd runs): disabled and removed first, so
# systemd does not start again what is stopped below.
UNIT_PREFIX="provisioning-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for unit in /etc/systemd/system/"$UNIT_PREFIX"-*.service; do
    [ -e "$unit" ] || continue
    systemctl disable --now --quiet "$(basename "$unit")" 2>/dev/null || true
    rm -f "$unit"
    reload=1
  done
  [ "${reload:-0}" = 1 ] && systemctl daemon-reload
fi

stopped=""
for name in nginx tftpd handler dnsmasq; do
  pidfile="$ROOT/run/$name.pid"
  if pid=$(pid_of "$pidfile"); then
    # Its own children go with it: fcgiwrap's workers outlive their parent otherwise.
    children=$(awk -v p="$pid" '{ pid = $1; sub(/.*\) /, ""); if ($2 == p) print pid }' /proc/[0-9]*/stat 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || true
    # shellcheck disable=SC2086 # pids
    [ -z "$children" ] || kill -TERM $children 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1))
      if [ "$i" -gt 50 ]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; break; fi
      sleep 0.1
    done
    stopped="$stopped $name($pid)"
  fi
  rm -f "$pidfile"
done
# fcgiwrap leaves its socket behind; the next start must find none (bootstrap.sh removes it too).
rm -f "$ROOT/run/handler/fcgiwrap.sock"
echo "stopped${stopped:- nothing} for $ROOT"
