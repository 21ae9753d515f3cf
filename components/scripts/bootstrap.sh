#!/bin/sh
# Bootstrap of a child provisioning server: serve $ROOT/tftp over TFTP (tftpd-hpa) on
# $TFTP_PORT and $ROOT/http over HTTP (nginx) on $HTTP_PORT, bound to $BIND_ADDRESS; with DHCP=1,
# answer PXE clients with dnsmasq as $ROOT/dhcp/dnsmasq.conf (a rendered file) says. Behind nginx,
# the build-mode handler (a POSIX sh CGI script under fcgiwrap) serves armed hosts' own files
# under their tokens and takes their installers' reports (host-handler.sh, below).
#
# Run by a transport's runScript (`sh -s`, this text on stdin). Parameters come ONLY from the
# environment and are validated below before use:
#   ROOT          absolute path of the child's tree (required)
#   TFTP_PORT     UDP port for TFTP (default 69)
#   HTTP_PORT     TCP port for HTTP (default 80)
#   BIND_ADDRESS  address both daemons listen on (default 127.0.0.1; 0.0.0.0 for a real network)
#   INSTALL       1: apt-get install tftpd-hpa / nginx / fcgiwrap (/ dnsmasq-base) when missing; 0 (default): fail instead
#   DHCP          1: run dnsmasq for $ROOT/dhcp/dnsmasq.conf once it is there; 0 (default): none runs
#   BMC_TOOLS     programs `provision power` runs here for the BMCs this child reaches: curl
#                 (Redfish) and/or ipmitool (IPMI), space-separated (default: none); installed
#                 like the daemons
#   TFTP_USER     user in.tftpd drops to (default: tftp if it exists, else nobody)
#   HTTP_USER     user of the nginx workers (default: www-data if it exists, else nobody)
#
# Why nothing of the distribution's own (no /etc/nginx or /etc/default/tftpd-hpa edits): several
# children may share one machine (the tests run several on 127.0.0.1 with different ports and
# roots; a lab host may carry one child per site). So everything a child needs -- configs, pid
# files, nginx temp dirs, logs -- lives under its own $ROOT. Children cannot clobber each other,
# the distro's own service definitions stay untouched, and `stop-services.sh` plus removing
# $ROOT removes a child completely. Where systemd runs, each daemon gets a unit of this child's
# (see "supervision" below), so it restarts when it dies and after a reboot.
#
# Idempotent: a second run with the same parameters rewrites nothing and leaves the running
# daemons alone. A daemon whose configuration changed is restarted.
# Output: diagnostics on stderr, and exactly one summary line on stdout.
set -eu
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export PATH

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

# ---- parameters ------------------------------------------------------------------------------
ROOT=${ROOT:-}
TFTP_PORT=${TFTP_PORT:-69}
HTTP_PORT=${HTTP_PORT:-80}
BIND_ADDRESS=${BIND_ADDRESS:-127.0.0.1}
INSTALL=${INSTALL:-0}
DHCP=${DHCP:-0}
BMC_TOOLS=${BMC_TOOLS:-}

[ -n "$ROOT" ] || die "ROOT is required"
case "$ROOT" in
  /*) ;;
  *) die "ROOT must be an absolute path, got '$ROOT'" ;;
esac
# ROOT is written into the nginx config: only plain path characters, no '..' segment.
case "$ROOT" in
  *[!A-Za-z0-9._/+@-]*) die "ROOT contains characters outside [A-Za-z0-9._/+@-]: '$ROOT'" ;;
esac
case "/$ROOT/" in
  */../*|*/./*) die "ROOT must not contain '.' or '..' segments: '$ROOT'" ;;
esac
ROOT=$(printf '%s' "$ROOT" | sed 's#//*#/#g; s#/$##')
[ -n "$ROOT" ] || die "ROOT must not be /"

check_port() {
  case "$2" in
    ''|*[!0-9]*) die "$1 must be a number, got '$2'" ;;
  esac
  [ "$2" -ge 1 ] && [ "$2" -le 65535 ] || die "$1 must be in 1..65535, got '$2'"
}
check_port TFTP_PORT "$TFTP_PORT"
check_port HTTP_PORT "$HTTP_PORT"
case "$BIND_ADDRESS" in
  ''|*[!0-9A-Fa-f:.]*) die "BIND_ADDRESS must be an IPv4 or IPv6 address, got '$BIND_ADDRESS'" ;;
esac
case "$BIND_ADDRESS" in
  *:*) LISTEN="[$BIND_ADDRESS]" ;; # IPv6
  *) LISTEN="$BIND_ADDRESS" ;;
esac
case "$INSTALL" in
  0|1) ;;
  *) die "INSTALL must be 0 or 1, got '$INSTALL'" ;;
esac
case "$DHCP" in
  0|1) ;;
  *) die "DHCP must be 0 or 1, got '$DHCP'" ;;
esac
for tool in $BMC_TOOLS; do
  case "$tool" in
    curl|ipmitool) ;;
    *) die "BMC_TOOLS may name curl and ipmitool, got '$tool'" ;;
  esac
done

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# ---- programs ------------------------------------------------------------------------------
find_prog() { command -v "$1" 2>/dev/null || true; }
TFTPD=$(find_prog in.tftpd)
NGINX=$(find_prog nginx)
FCGIWRAP=$(find_prog fcgiwrap)
DNSMASQ=$(find_prog dnsmasq)
need_dnsmasq=0
[ "$DHCP" = 1 ] && [ -z "$DNSMASQ" ] && need_dnsmasq=1
# The BMC tools' Debian packages are named after them.
bmc_missing=""
for tool in $BMC_TOOLS; do
  [ -n "$(find_prog "$tool")" ] || bmc_missing="$bmc_missing $tool"
done

if [ -z "$TFTPD" ] || [ -z "$NGINX" ] || [ -z "$FCGIWRAP" ] || [ "$need_dnsmasq" = 1 ] || [ -n "$bmc_missing" ]; then
  pkgs=""
  [ -n "$TFTPD" ] || pkgs="$pkgs tftpd-hpa"
  [ -n "$NGINX" ] || pkgs="$pkgs nginx"
  [ -n "$FCGIWRAP" ] || pkgs="$pkgs fcgiwrap"
  # dnsmasq-base: the program without the distribution's service (which would serve DNS on port 53).
  [ "$need_dnsmasq" = 0 ] || pkgs="$pkgs dnsmasq-base"
  pkgs="$pkgs$bmc_missing"
  missing=""
  [ -n "$TFTPD" ] || missing="$missing in.tftpd"
  [ -n "$NGINX" ] || missing="$missing nginx"
  [ -n "$FCGIWRAP" ] || missing="$missing fcgiwrap"
  [ "$need_dnsmasq" = 0 ] || missing="$missing dnsmasq"
  missing="$missing$bmc_missing"
  if [ "$INSTALL" != 1 ]; then
    die "missing program(s):$missing (Debian package(s):$pkgs); install them or run with INSTALL=1"
  fi
  [ "$IS_ROOT" = 1 ] || die "missing program(s):$missing and installing them needs root"
  command -v apt-get >/dev/null 2>&1 || die "missing program(s):$missing and apt-get is not available"
  log "installing$pkgs"
  # Keep the distro's own tftpd-hpa/nginx services from starting on the standard ports: this
  # child runs its own instances (see above). policy-rc.d blocks invoke-rc.d during install.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! apt-get install -y --no-install-recommends $pkgs >&2; then
    apt-get update >&2 || true
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $pkgs >&2 || {
      [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
      die "apt-get install$pkgs failed"
    }
  fi
  [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    for svc in tftpd-hpa nginx fcgiwrap.socket fcgiwrap; do
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    done
  fi
  TFTPD=$(find_prog in.tftpd)
  NGINX=$(find_prog nginx)
  FCGIWRAP=$(find_prog fcgiwrap)
  DNSMASQ=$(find_prog dnsmasq)
  [ -n "$TFTPD" ] || die "in.tftpd still missing after installing tftpd-hpa"
  [ -n "$NGINX" ] || die "nginx still missing after installing nginx"
  [ -n "$FCGIWRAP" ] || die "fcgiwrap still missing after installing fcgiwrap"
  [ "$DHCP" = 0 ] || [ -n "$DNSMASQ" ] || die "dnsmasq still missing after installing dnsmasq-base"
  for tool in $bmc_missing; do
    [ -n "$(find_prog "$tool")" ] || die "$tool still missing after installing $tool"
  done
fi

# in.tftpd --secure chroots into the tree, which needs root.
[ "$IS_ROOT" = 1 ] || die "in.tftpd (tftpd-hpa) must be started as root (it chroots into $ROOT/tftp and then drops to an unprivileged user)"

user_exists() { id -u "$1" >/dev/null 2>&1; }
if [ -z "${TFTP_USER:-}" ]; then
  if user_exists tftp; then TFTP_USER=tftp; else TFTP_USER=nobody; fi
fi
if [ -z "${HTTP_USER:-}" ]; then
  if user_exists www-data; then HTTP_USER=www-data; else HTTP_USER=nobody; fi
fi
case "$TFTP_USER$HTTP_USER" in
  *[!A-Za-z0-9._-]*) die "TFTP_USER/HTTP_USER contain unexpected characters" ;;
esac
user_exists "$TFTP_USER" || die "TFTP_USER '$TFTP_USER' does not exist"
user_exists "$HTTP_USER" || die "HTTP_USER '$HTTP_USER' does not exist"

# ---- tree ------------------------------------------------------------------------------------
mkdir -p "$ROOT/tftp" "$ROOT/http" "$ROOT/run" "$ROOT/log" "$ROOT/etc"
# The served trees must be readable by the unprivileged daemon users (files are written 0644
# by the transports; directories need o+rx). $ROOT itself too, for nginx workers.
chmod a+rx "$ROOT" "$ROOT/tftp" "$ROOT/http"

# nginx workers reach $ROOT/http through every parent directory: check that now instead of
# serving 403s later. A child inside a private folder (a home directory of mode 0700, say) is
# not readable to www-data; rather than loosen that folder, its workers then run as the owner of
# the child's root, who can read it.
can_read() { su -s /bin/sh "$1" -c 'test -x "$1" && test -r "$1"' sh "$ROOT/http" >/dev/null 2>&1; }
if command -v su >/dev/null 2>&1 && ! can_read "$HTTP_USER"; then
  owner=$(stat -c %U "$ROOT" 2>/dev/null || true)
  if [ -n "$owner" ] && [ "$owner" != "$HTTP_USER" ] && can_read "$owner"; then
    log "nginx: $HTTP_USER cannot reach $ROOT/http (a parent folder is private); its workers run as $owner, the owner of $ROOT"
    HTTP_USER=$owner
  else
    die "nginx worker user '$HTTP_USER' cannot read $ROOT/http (a parent directory is not searchable); chmod o+x the parents or set HTTP_USER"
  fi
fi

pid_of() { # $1 pidfile -> prints the pid if that process is alive and belongs to this ROOT
  [ -s "$1" ] || return 1
  _pid=$(head -n 1 "$1" | tr -dc 0-9)
  [ -n "$_pid" ] || return 1
  kill -0 "$_pid" 2>/dev/null || return 1
  # A zombie (a killed daemon nobody reaped) is not running.
  if grep -q '^State:[[:space:]]*Z' "/proc/$_pid/status" 2>/dev/null; then return 1; fi
  if [ -r "/proc/$_pid/cmdline" ]; then
    tr '\0' ' ' < "/proc/$_pid/cmdline" | grep -qF -- "$ROOT/" || return 1
  fi
  printf '%s\n' "$_pid"
}

# A daemon's own children are stopped with it: fcgiwrap's workers outlive their parent otherwise.
children_of() { awk -v p="$1" '{ pid = $1; sub(/.*\) /, ""); if ($2 == p) print pid }' /proc/[0-9]*/stat 2>/dev/null || true; }
stop_pid() { # $1 pid, $2 signal
  _children=$(children_of "$1")
  kill "-$2" "$1" 2>/dev/null || return 0
  # shellcheck disable=SC2086 # pids
  [ -z "$_children" ] || kill "-$2" $_children 2>/dev/null || true
  _i=0
  while kill -0 "$1" 2>/dev/null; do
    _i=$((_i + 1))
    if [ "$_i" -gt 50 ]; then kill -KILL "$1" 2>/dev/null || true; sleep 0.2; break; fi
    sleep 0.1
  done
}

wait_pidfile() { # $1 pidfile, $2 name, $3 log to show on failure
  _i=0
  while ! pid_of "$1" >/dev/null; do
    _i=$((_i + 1))
    if [ "$_i" -gt 100 ]; then
      [ -s "$3" ] && tail -n 20 "$3" >&2
      die "$2 did not start (no live process in $1)"
    fi
    sleep 0.1
  done
}

# install_if_changed NEW DEST -> returns 0 when DEST was (re)written
install_if_changed() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then
    rm -f "$1"
    return 1
  fi
  mv -f "$1" "$2"
  return 0
}

# ---- build mode: the handler's script and what it may write ----------------------------------
# It runs as the nginx workers' user, which may write only: the hosts' records (state/hosts), its
# log, its socket's folder, and the folders of the per-MAC entries it switches to the local disk.
HANDLER="$ROOT/etc/host-handler.sh"
cat > "$HANDLER.new" <<'HOSTHANDLER'
@HOST_HANDLER@
HOSTHANDLER
chmod 0755 "$HANDLER.new"
handler_changed=0
if install_if_changed "$HANDLER.new" "$HANDLER"; then handler_changed=1; fi
mkdir -p "$ROOT/state/hosts" "$ROOT/run/handler" "$ROOT/tftp/pxelinux.cfg" "$ROOT/tftp/grub/hosts" "$ROOT/tftp/ipxe/hosts"
[ -f "$ROOT/log/hosts.log" ] || : > "$ROOT/log/hosts.log"
chmod a+rx "$ROOT/state" "$ROOT/tftp/pxelinux.cfg" "$ROOT/tftp/grub" "$ROOT/tftp/grub/hosts" "$ROOT/tftp/ipxe" "$ROOT/tftp/ipxe/hosts"
chown "$HTTP_USER" "$ROOT/state/hosts" "$ROOT/run/handler" "$ROOT/log/hosts.log" "$ROOT/tftp/pxelinux.cfg" "$ROOT/tftp/grub/hosts" "$ROOT/tftp/ipxe/hosts"

# ---- nginx -----------------------------------------------------------------------------------
NGINX_CONF="$ROOT/etc/nginx.conf"
NGINX_PID="$ROOT/run/nginx.pid"
nginx_user_line=""
[ "$IS_ROOT" = 1 ] && nginx_user_line="user $HTTP_USER;"
cat > "$NGINX_CONF.new" <<NGINXCONF
# Generated by bootstrap.sh for the child rooted at $ROOT -- do not edit, it is rewritten.
$nginx_user_line
worker_processes 1;
pid $NGINX_PID;
error_log $ROOT/log/nginx-error.log warn;
events { worker_connections 256; }
http {
    default_type application/octet-stream;
    types {
        text/plain cfg txt ks seed preseed ipxe conf;
        text/yaml yaml yml;
        application/json json;
        text/html html;
    }
    # One line per request: client, time, "request line", status, body bytes, user agent.
    # A host's token never reaches the log: its URL is logged as /hosts/<host>/[token]/….
    map \$request \$request_logged {
        "~^(?<verb>\\S+ /hosts/[^/ ]+/)[^/ ]+(?<tail>.*)\$" "\${verb}[token]\$tail";
        default \$request;
    }
    log_format provisioning '\$remote_addr [\$time_iso8601] "\$request_logged" \$status \$body_bytes_sent "\$http_user_agent"';
    access_log $ROOT/log/http-access.log provisioning;
    client_body_temp_path $ROOT/run/nginx-client-body;
    proxy_temp_path $ROOT/run/nginx-proxy;
    fastcgi_temp_path $ROOT/run/nginx-fastcgi;
    uwsgi_temp_path $ROOT/run/nginx-uwsgi;
    scgi_temp_path $ROOT/run/nginx-scgi;
    sendfile on;
    server_tokens off;
    server {
        listen $LISTEN:$HTTP_PORT;
        server_name _;
        root $ROOT/http;
        autoindex off;
        location / {
            try_files \$uri =404;
        }
        # Build mode: a host's files under its token, and its installer's report (host-handler.sh).
        location ~ ^/(hosts|report)/ {
            # nginx's errors name the request line, and a host's holds its token; even a critical
            # one (a socket it may not connect to) would. None is kept: the access log has the
            # status with the token masked, the handler's own log (log/hosts.log) what it did.
            error_log /dev/null;
            client_max_body_size 4k;
            fastcgi_pass unix:$ROOT/run/handler/fcgiwrap.sock;
            fastcgi_param SCRIPT_FILENAME $HANDLER;
            fastcgi_param PROVISIONING_ROOT $ROOT;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param DOCUMENT_URI \$uri;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param QUERY_STRING "";
        }
    }
}
NGINXCONF

nginx_changed=0
if install_if_changed "$NGINX_CONF.new" "$NGINX_CONF"; then nginx_changed=1; fi
if ! "$NGINX" -t -q -c "$NGINX_CONF" >"$ROOT/log/nginx-check.log" 2>&1; then
  cat "$ROOT/log/nginx-check.log" >&2
  die "nginx rejected $NGINX_CONF"
fi

# ---- supervision -----------------------------------------------------------------------------
# With systemd (and root), each daemon of this child is a unit of its own, named after a hash of
# $ROOT so that several children share a machine: enabled, restarted when it dies, started again
# after a reboot. Without systemd the daemons are started here, and nothing restarts them: a
# refreshing plan shows a child whose daemons stopped, and `pulumi up --refresh` starts them.
SUPERVISOR=none
if [ "$IS_ROOT" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then SUPERVISOR=systemd; fi
UNIT_PREFIX="provisioning-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"

# run_daemon NAME PIDFILE CHANGED LOG COMMAND...: the daemon runs with this command line (it
# daemonizes and writes PIDFILE); CHANGED=1 restarts a running one.
run_daemon() {
  _name=$1 _pidfile=$2 _changed=$3 _log=$4
  shift 4
  if [ "$SUPERVISOR" = systemd ]; then
    _unit="$UNIT_PREFIX-$_name.service"
    cat > "/etc/systemd/system/$_unit.new" <<UNIT
# Written by bootstrap.sh for the provisioning child at $ROOT; removed with it.
[Unit]
Description=$_name of the provisioning child at $ROOT
After=network-online.target
Wants=network-online.target

[Service]
Type=forking
PIDFile=$_pidfile
ExecStart=$*
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
    _unit_changed=0
    if install_if_changed "/etc/systemd/system/$_unit.new" "/etc/systemd/system/$_unit"; then _unit_changed=1; systemctl daemon-reload; fi
    # A daemon started before systemd supervised it gives way to the unit.
    if ! systemctl is-active --quiet "$_unit" && _pid=$(pid_of "$_pidfile"); then stop_pid "$_pid" TERM; rm -f "$_pidfile"; fi
    systemctl enable --quiet "$_unit"
    if [ "$_changed" = 1 ] || [ "$_unit_changed" = 1 ]; then
      systemctl restart "$_unit" 2>"$_log" || { cat "$_log" >&2; journalctl -u "$_unit" -n 20 --no-pager >&2 2>/dev/null || true; die "$_name failed to start"; }
      log "$_name: (re)started by systemd ($_unit)"
    else
      systemctl start "$_unit" 2>"$_log" || { cat "$_log" >&2; die "$_name failed to start"; }
      log "$_name: running under systemd ($_unit)"
    fi
    wait_pidfile "$_pidfile" "$_name" "$_log"
    return
  fi
  if _pid=$(pid_of "$_pidfile"); then
    if [ "$_changed" != 1 ]; then
      log "$_name: running (pid $_pid), configuration unchanged"
      return
    fi
    log "$_name: configuration changed, restarting (pid $_pid)"
    stop_pid "$_pid" TERM
  fi
  rm -f "$_pidfile"
  "$@" </dev/null >/dev/null 2>"$_log" || {
    cat "$_log" >&2
    die "$_name failed to start"
  }
  wait_pidfile "$_pidfile" "$_name" "$_log"
  log "$_name: started (pid $(pid_of "$_pidfile"))"
}

# fcgiwrap runs only this script, as the nginx workers' user; start-stop-daemon puts it in the
# background and writes its pid file (fcgiwrap does neither). fcgiwrap leaves its socket behind
# when it is stopped or killed and then cannot bind again: every start (here, or systemd's after
# a crash or a reboot) goes through a starter that removes it first, then becomes fcgiwrap.
HANDLER_PID="$ROOT/run/handler.pid"
HANDLER_SOCKET="$ROOT/run/handler/fcgiwrap.sock"
HANDLER_START="$ROOT/etc/handler-start.sh"
cat > "$HANDLER_START.new" <<STARTER
#!/bin/sh
rm -f $HANDLER_SOCKET
exec $FCGIWRAP -c 2 -p $HANDLER -s unix:$HANDLER_SOCKET
STARTER
chmod 0755 "$HANDLER_START.new"
if install_if_changed "$HANDLER_START.new" "$HANDLER_START"; then handler_changed=1; fi
run_daemon handler "$HANDLER_PID" "$handler_changed" "$ROOT/log/handler-start.log" start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$HANDLER_PID" --chuid "$HTTP_USER" --exec "$FCGIWRAP" --startas "$HANDLER_START"

run_daemon nginx "$NGINX_PID" "$nginx_changed" "$ROOT/log/nginx-start.log" "$NGINX" -c "$NGINX_CONF"

# ---- tftpd-hpa -------------------------------------------------------------------------------
# --secure chroots into $ROOT/tftp (requested names are relative to it, no escape);
# --user drops privileges after binding; --pidfile lets us find this child's instance.
TFTPD_PID="$ROOT/run/tftpd.pid"
TFTPD_ARGS="--listen --address $LISTEN:$TFTP_PORT --user $TFTP_USER --secure --pidfile $TFTPD_PID $ROOT/tftp"
printf '%s\n' "$TFTPD $TFTPD_ARGS" > "$ROOT/etc/tftpd.args.new"
tftpd_changed=0
if install_if_changed "$ROOT/etc/tftpd.args.new" "$ROOT/etc/tftpd.args"; then tftpd_changed=1; fi
# shellcheck disable=SC2086 # TFTPD_ARGS holds only validated words without spaces
run_daemon tftpd "$TFTPD_PID" "$tftpd_changed" "$ROOT/log/tftpd-start.log" "$TFTPD" $TFTPD_ARGS

# ---- dnsmasq (DHCP for PXE) ----------------------------------------------------------------
# Its configuration and reservations are rendered files of the child ($ROOT/dhcp/), placed by the
# provider, which runs this script again whenever they change. A new configuration restarts
# dnsmasq (the leases it gave stay in $ROOT/run/dnsmasq.leases, which it reads back); new
# reservations alone are re-read on SIGHUP, with no restart.
DNSMASQ_PID="$ROOT/run/dnsmasq.pid"
DHCP_CONF="$ROOT/dhcp/dnsmasq.conf"
DHCP_HOSTS="$ROOT/dhcp/hosts"
dhcp_state="off"
if [ "$DHCP" = 1 ] && [ -f "$DHCP_CONF" ]; then
  chmod a+rx "$ROOT/dhcp"
  [ -f "$DHCP_HOSTS" ] || : > "$DHCP_HOSTS"
  DNSMASQ_ARGS="--conf-file=$DHCP_CONF --dhcp-hostsfile=$DHCP_HOSTS --dhcp-leasefile=$ROOT/run/dnsmasq.leases --pid-file=$DNSMASQ_PID --log-facility=$ROOT/log/dnsmasq.log"
  # shellcheck disable=SC2086 # validated words without spaces
  "$DNSMASQ" --test $DNSMASQ_ARGS >"$ROOT/log/dnsmasq-check.log" 2>&1 || { cat "$ROOT/log/dnsmasq-check.log" >&2; die "dnsmasq rejected $DHCP_CONF"; }
  { printf '%s\n' "$DNSMASQ $DNSMASQ_ARGS"; sha256sum < "$DHCP_CONF"; } > "$ROOT/etc/dnsmasq.args.new"
  dnsmasq_changed=0
  if install_if_changed "$ROOT/etc/dnsmasq.args.new" "$ROOT/etc/dnsmasq.args"; then dnsmasq_changed=1; fi
  sha256sum < "$DHCP_HOSTS" > "$ROOT/etc/dnsmasq.hosts.new"
  hosts_changed=0
  if install_if_changed "$ROOT/etc/dnsmasq.hosts.new" "$ROOT/etc/dnsmasq.hosts"; then hosts_changed=1; fi
  was_running=0
  pid_of "$DNSMASQ_PID" >/dev/null && was_running=1
  # shellcheck disable=SC2086
  run_daemon dnsmasq "$DNSMASQ_PID" "$dnsmasq_changed" "$ROOT/log/dnsmasq-start.log" "$DNSMASQ" $DNSMASQ_ARGS
  if [ "$dnsmasq_changed" = 0 ] && [ "$hosts_changed" = 1 ] && [ "$was_running" = 1 ] && _pid=$(pid_of "$DNSMASQ_PID"); then
    kill -HUP "$_pid"
    log "dnsmasq: reservations re-read (SIGHUP to pid $_pid)"
  fi
  dhcp_state="on"
else
  # No DHCP for this child (any more): its dnsmasq, if one runs, stops.
  if [ "$SUPERVISOR" = systemd ] && [ -e "/etc/systemd/system/$UNIT_PREFIX-dnsmasq.service" ]; then
    systemctl disable --now --quiet "$UNIT_PREFIX-dnsmasq.service" 2>/dev/null || true
    rm -f "/etc/systemd/system/$UNIT_PREFIX-dnsmasq.service"
    systemctl daemon-reload
  fi
  if _pid=$(pid_of "$DNSMASQ_PID"); then stop_pid "$_pid" TERM; log "dnsmasq: stopped (pid $_pid)"; fi
  rm -f "$DNSMASQ_PID" "$ROOT/etc/dnsmasq.args" "$ROOT/etc/dnsmasq.hosts"
fi

log "supervisor: $SUPERVISOR"
if [ "$dhcp_state" = on ]; then
  echo "serving tftp://$LISTEN:$TFTP_PORT and http://$LISTEN:$HTTP_PORT from $ROOT, and DHCP for PXE"
else
  echo "serving tftp://$LISTEN:$TFTP_PORT and http://$LISTEN:$HTTP_PORT from $ROOT"
fi
