# What `provision status` reads of the child rooted at $ROOT, in one run (appended to status.sh's
# check as the function daemons_status). One item a line, a file's bytes in base64:
#   daemons <serving | stopped: NAME…>
#   manifest <base64 of manifest.json> | manifest -
#   <sha256>  <path>               every file under tftp/ http/ hosts/ dhcp/ (sha256sum's lines)
#   arm <host> <base64>            hosts/<host>/arm
#   record <host> <base64>         state/hosts/<host>.json
#   end
# As few processes as can be (a fleet's status is a thousand of these runs); sizes are capped
# where the output is read, which trusts none of it.
set -u
cd "$ROOT" 2>/dev/null || { echo "noroot"; exit 0; }
is_name() {
  case "$1" in '' | *[!A-Za-z0-9._-]* | [!A-Za-z0-9]* | *..*) return 1 ;; esac
  [ "${#1}" -le 63 ]
}
printf 'daemons %s\n' "$(daemons_status)"
if [ -f manifest.json ]; then printf 'manifest %s\n' "$(base64 -w0 manifest.json)"; else echo 'manifest -'; fi
for d in tftp http hosts dhcp; do [ -d "$d" ] && find "$d" -type f -exec sha256sum {} +; done
for d in hosts/*/; do
  h=${d#hosts/}
  h=${h%/}
  is_name "$h" && [ -f "hosts/$h/arm" ] || continue
  printf 'arm %s %s\n' "$h" "$(base64 -w0 "hosts/$h/arm")"
done
for f in state/hosts/*.json; do
  h=${f#state/hosts/}
  h=${h%.json}
  is_name "$h" && [ -f "$f" ] || continue
  printf 'record %s %s\n' "$h" "$(base64 -w0 "$f")"
done
echo end
