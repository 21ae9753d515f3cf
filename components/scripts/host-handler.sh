#!/bin/sh
# A child's build-mode handler (CGI under fcgiwrap, behind the child's nginx; installed by
# bootstrap.sh as $ROOT/etc/host-handler.sh, run as the nginx workers' user).
#
#   GET  /hosts/<host>/<token>/autoinstall.cfg | /hosts/<host>/<token>/files/<name>
#        the host's own files ($ROOT/hosts/<host>/…), only with its current token, only while armed
#   POST /report/<host>/done | /report/<host>/failed   body: token=<token>[&reason=<text>]
#        the install ended: the host's record ($ROOT/state/hosts/<host>.json) says so, and its
#        per-MAC entries become the local-disk ones ($ROOT/hosts/<host>/local/tftp/…)
#
# Armed: $ROOT/hosts/<host>/arm (written by the provider: generation, sha256 of the token) exists
# and the host's record is not of that generation. A wrong or old token changes nothing; it is
# logged ($ROOT/log/hosts.log) without the token. Everything from the request is checked against
# a fixed shape before use; nothing from it reaches a shell but as a checked word.
set -uf
umask 022
ROOT=${PROVISIONING_ROOT:-}
LOG="$ROOT/log/hosts.log"
ADDR=${REMOTE_ADDR:-}
case "$ADDR" in '' | *[!0-9A-Fa-f:.]*) ADDR=unknown ;; esac

reply() { # status text
  printf 'Status: %s\r\nContent-Type: text/plain\r\n\r\n%s\n' "$1" "$2"
  exit 0
}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
note() { printf '%s %s %s\n' "$(now)" "$ADDR" "$*" >>"$LOG" 2>/dev/null || true; }

case "$ROOT" in /*) ;; *) reply "500 Internal Server Error" "no root" ;; esac

# A catalog name: 1-63 of [A-Za-z0-9._-], starting with a letter or digit, no '..'.
is_name() {
  case "$1" in '' | *[!A-Za-z0-9._-]* | [!A-Za-z0-9]* | *..*) return 1 ;; esac
  [ "${#1}" -le 63 ]
}
# A token: 43 base64url characters (32 bytes).
is_token() {
  case "$1" in '' | *[!A-Za-z0-9_-]*) return 1 ;; esac
  [ "${#1}" -eq 43 ]
}

uri=${DOCUMENT_URI:-}
rest=${uri#/}
kind=${rest%%/*}
rest=${rest#"$kind"}
rest=${rest#/}
host=${rest%%/*}
rest=${rest#"$host"}
rest=${rest#/}
is_name "$host" || reply "404 Not Found" "not found"
HOST_DIR="$ROOT/hosts/$host"
ARM="$HOST_DIR/arm"
RECORD="$ROOT/state/hosts/$host.json"

[ -f "$ARM" ] || { note "$host: $kind refused: not armed here"; reply "404 Not Found" "not found"; }
generation=$(sed -n 's/^generation=\([0-9a-f]\{1,64\}\)$/\1/p' "$ARM" | head -n 1)
armed_sha=$(sed -n 's/^token_sha256=\([0-9a-f]\{64\}\)$/\1/p' "$ARM" | head -n 1)
[ -n "$generation" ] && [ -n "$armed_sha" ] || { note "$host: arm record unreadable"; reply "500 Internal Server Error" "arm record unreadable"; }

# token_ok TOKEN: the host's current token (compared by sha256: the record never holds the token).
token_ok() {
  is_token "$1" || return 1
  [ "$(printf '%s' "$1" | sha256sum | cut -c1-64)" = "$armed_sha" ]
}
# Whether this generation's install already reported: then the token is spent.
spent() { [ -f "$RECORD" ] && grep -q "\"generation\":\"$generation\"" "$RECORD" && grep -Eq '"state":"(installed|failed)"' "$RECORD"; }
# KEY of this generation's record (fetchedAt, client: when and from where its installer first
# fetched its autoinstall), or nothing.
first_fetch() { [ -f "$RECORD" ] && grep -q "\"generation\":\"$generation\"" "$RECORD" && sed -n "s/.*\"$1\":\"\([0-9A-Za-z:.-]*\)\".*/\1/p" "$RECORD" | head -n 1; }
# write_record STATE [EXTRA-JSON]: the host's record, replaced whole (a temporary file, renamed).
# The first fetch's time and client stay: a later fetch, by whoever holds the token, changes neither.
write_record() {
  mkdir -p "$ROOT/state/hosts"
  _tmp="$ROOT/state/hosts/.$host.json.$$"
  _fetched=$(first_fetch fetchedAt || true)
  _client=$(first_fetch client || true)
  [ -n "$_fetched" ] || { _fetched=$(now); _client=$ADDR; }
  [ -n "$_client" ] || _client=$ADDR
  printf '{"host":"%s","state":"%s","generation":"%s","fetchedAt":"%s","client":"%s"%s}\n' "$host" "$1" "$generation" "$_fetched" "$_client" "${2:-}" >"$_tmp" &&
    mv -f "$_tmp" "$RECORD" || { rm -f "$_tmp"; return 1; }
}

case "$kind" in
hosts)
  token=${rest%%/*}
  file=${rest#"$token"}
  file=${file#/}
  [ "${REQUEST_METHOD:-}" = GET ] || [ "${REQUEST_METHOD:-}" = HEAD ] || reply "405 Method Not Allowed" "GET only"
  token_ok "$token" || { note "$host: fetch refused: wrong or old token"; reply "403 Forbidden" "forbidden"; }
  spent && { note "$host: fetch refused: installed, no longer armed (generation $generation)"; reply "404 Not Found" "not found"; }
  case "$file" in
  autoinstall.cfg) path="$HOST_DIR/autoinstall.cfg" ;;
  files/*)
    name=${file#files/}
    is_name "$name" || reply "404 Not Found" "not found"
    path="$HOST_DIR/files/$name"
    ;;
  *) reply "404 Not Found" "not found" ;;
  esac
  [ -f "$path" ] || reply "404 Not Found" "not found"
  note "$host: $file fetched (generation $generation)"
  # Installing: the record says when (the first fetch) and from where. A HEAD fetches nothing.
  [ "$file" != autoinstall.cfg ] || [ "${REQUEST_METHOD}" = HEAD ] || write_record installing || note "$host: cannot write its record"
  # With its length, nginx sends it as it is (not chunked), and its log counts the file's bytes.
  printf 'Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\n\r\n' "$(wc -c <"$path" | tr -dc 0-9)"
  [ "${REQUEST_METHOD}" = HEAD ] || cat "$path"
  exit 0
  ;;
report)
  status=$rest
  case "$status" in done | failed) ;; *) reply "404 Not Found" "not found" ;; esac
  [ "${REQUEST_METHOD:-}" = POST ] || reply "405 Method Not Allowed" "POST only"
  length=${CONTENT_LENGTH:-0}
  case "$length" in '' | *[!0-9]*) length=0 ;; esac
  [ "$length" -le 4096 ] || reply "413 Payload Too Large" "too large"
  body=$(head -c "$length")
  token=$(printf '%s\n' "$body" | sed -n 's/^token=\([A-Za-z0-9_-]*\).*$/\1/p' | head -n 1)
  token_ok "$token" || { note "$host: report $status refused: wrong or old token"; reply "403 Forbidden" "forbidden"; }
  spent && { note "$host: report $status refused: already reported (generation $generation)"; reply "409 Conflict" "already reported"; }
  # The reason as text a JSON string and a log line can hold: a short run of plain characters.
  reason=$(printf '%s\n' "$body" | sed -n 's/^.*&reason=\([^&]*\).*$/\1/p' | head -n 1 | tr '+' ' ' | tr -cd 'A-Za-z0-9 ._:%/-' | cut -c1-200)
  state=installed
  extra=",\"reportedAt\":\"$(now)\""
  if [ "$status" = failed ]; then
    state=failed
    extra="$extra,\"reason\":\"$reason\""
  fi
  write_record "$state" "$extra" || { note "$host: report $status: cannot write its record"; reply "500 Internal Server Error" "cannot record"; }
  # The record first: should a swap below fail, the provider's next run writes the local entries
  # (it reads the record). Each entry is replaced whole (copy, then rename over it).
  failed_swaps=0
  if [ -d "$HOST_DIR/local/tftp" ]; then
    for entry in $(cd "$HOST_DIR/local" && find tftp -type f); do
      case "$entry" in *[!A-Za-z0-9._/-]* | *..*) continue ;; esac
      swap="$ROOT/$entry.swap.$$"
      if cp "$HOST_DIR/local/$entry" "$swap" && chmod 0644 "$swap" && mv -f "$swap" "$ROOT/$entry"; then :; else
        rm -f "$swap"
        failed_swaps=$((failed_swaps + 1))
      fi
    done
  fi
  [ "$state" = failed ] && note "$host: report failed accepted (generation $generation): $reason" || note "$host: report done accepted (generation $generation)"
  [ "$failed_swaps" = 0 ] || { note "$host: $failed_swaps entries not switched to the local disk"; reply "500 Internal Server Error" "recorded; entries not switched"; }
  reply "200 OK" "recorded: $state; boot entries now boot the local disk"
  ;;
*) reply "404 Not Found" "not found" ;;
esac
