#!/bin/sh
# The review every pull request gets, forks included: which servers, catalog objects and files
# the change touches, with each file's masked diff, predicted by `provision impact` from the
# catalog alone. It needs no engine, no state backend and no secret, so it runs where the pull
# request's own code never does: this script and `provision` come from the base branch, and the
# pull request's checkout is only read, as data (templates render in provision's sandbox).
# Writes $OUT/body.md (markdown from `provision`, or its error in a fence nothing inside can
# close) and exits with provision's status.
#
# Environment:
#   STACK        the stack whose servers to review on (required)
#   BASE_REF     the commit the pull request merges into (required): compared at the merge base
#   PROJECT_DIR  the pull request's checkout, a git work tree (default: .)
#   PROVISION    how to run the base branch's CLI (default: npx --no-install provision)
#   OUT          where to write body.md (default: review)
set -eu

: "${STACK:?set STACK to the stack to review on}"
: "${BASE_REF:?set BASE_REF to the commit the pull request merges into}"
PROJECT_DIR=${PROJECT_DIR:-.}
PROVISION=${PROVISION:-npx --no-install provision}
OUT=${OUT:-review}
mkdir -p "$OUT"

# A folder of the pull request committed to look like a repository of its own is refused, never used.
base=$(GIT_CONFIG_NOSYSTEM=1 git -c safe.bareRepository=explicit -c core.fsmonitor=false -C "$PROJECT_DIR" merge-base "$BASE_REF" HEAD)
short=${base%"${base#????????????}"}
status=0
# shellcheck disable=SC2086 # PROVISION is a command with arguments
$PROVISION impact --base "$base" --stack "$STACK" --project "$PROJECT_DIR" --markdown >"$OUT/impact.md" 2>"$OUT/stderr" || status=$?
{
  if [ "$status" -eq 0 ]; then
    echo "#### Provisioning review: stack \`$STACK\` (base $short)"
    echo
    echo "_Predicted from the catalog without the engine or the stack's secrets; a secret's new value and drift on a child show in the engine's plan, which runs after approval._"
    echo
    cat "$OUT/impact.md"
  else
    echo "#### Provisioning review: stack \`$STACK\` failed (base $short)"
    echo
    # shellcheck disable=SC2086
    tail -c 20000 "$OUT/stderr" | $PROVISION fence
  fi
} >"$OUT/body.md"
rm -f "$OUT/impact.md"
cat "$OUT/stderr" >&2
exit "$status"
