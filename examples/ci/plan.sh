#!/bin/sh
# The engine's plan of a pull request, as markdown for one comment: it previews the stack's state
# with the engine and renders the catalog at the merge base for the text before each change. It
# reaches no child, but it runs the project's program and its npm packages with the state backend
# and the stack's passphrase, so it runs only behind the approval gate of provisioning-plan.yml,
# and with no token that can write anything: the comment is posted by another job
# (post-comment.sh), which runs none of the pull request's code.
# Writes $OUT/body.md (markdown from `provision`, or its error in a fence nothing inside can
# close) and exits with provision's status.
#
# Environment:
#   STACK        the stack to plan (required)
#   BASE_REF     the branch the pull request merges into, e.g. origin/main (required)
#   PROJECT_DIR  the Pulumi project (default: .)
#   PROVISION    how to run the CLI (default: npx --no-install provision)
#   OUT          where to write body.md (default: plan)
#   PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE(_FILE): for the engine
set -eu

: "${STACK:?set STACK to the stack to plan}"
: "${BASE_REF:?set BASE_REF to the branch the pull request merges into}"
PROJECT_DIR=${PROJECT_DIR:-.}
PROVISION=${PROVISION:-npx --no-install provision}
OUT=${OUT:-plan}
mkdir -p "$OUT"

base=$(git merge-base "$BASE_REF" HEAD)
short=${base%"${base#????????????}"}
status=0
# shellcheck disable=SC2086 # PROVISION is a command with arguments
$PROVISION plan --stack "$STACK" --project "$PROJECT_DIR" --base "$base" --markdown >"$OUT/plan.md" 2>"$OUT/stderr" || status=$?
{
  if [ "$status" -eq 0 ]; then
    echo "#### Provisioning plan: stack \`$STACK\` (base $short)"
    echo
    cat "$OUT/plan.md"
  else
    echo "#### Provisioning plan: stack \`$STACK\` failed"
    echo
    # An error quotes catalog text (a file name, a template line): fenced so none of it can close the block.
    # shellcheck disable=SC2086
    tail -c 20000 "$OUT/stderr" | $PROVISION fence
  fi
} >"$OUT/body.md"
rm -f "$OUT/plan.md"
cat "$OUT/stderr" >&2
exit "$status"
