#!/bin/sh
# Posts the engine's plan of a pull request as one comment, and updates that comment on every
# later push (post-comment.sh beside this file). The plan previews the stack's state with the
# engine and renders the catalog at the merge base for the text before each change: it reaches
# no child, but it runs the project's program with the state backend and the stack's
# passphrase, so it runs only behind the approval gate of provisioning-plan.yml.
#
# Environment:
#   STACK        the stack to plan (required)
#   PR_NUMBER    the pull request (required)
#   BASE_REF     the branch the pull request merges into, e.g. origin/main (required)
#   PROJECT_DIR  the Pulumi project (default: .)
#   PROVISION    how to run the CLI (default: npx --no-install provision)
#   GH_TOKEN, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE(_FILE): for gh and the engine
set -eu

: "${STACK:?set STACK to the stack to plan}"
: "${PR_NUMBER:?set PR_NUMBER to the pull request number}"
: "${BASE_REF:?set BASE_REF to the branch the pull request merges into}"
PROJECT_DIR=${PROJECT_DIR:-.}
PROVISION=${PROVISION:-npx --no-install provision}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

base=$(git merge-base "$BASE_REF" HEAD)
short=${base%"${base#????????????}"}
status=0
# shellcheck disable=SC2086 # PROVISION is a command with arguments
$PROVISION plan --stack "$STACK" --project "$PROJECT_DIR" --base "$base" --markdown >"$work/plan.md" 2>"$work/stderr" || status=$?
{
  if [ "$status" -eq 0 ]; then
    echo "#### Provisioning plan: stack \`$STACK\` (base $short)"
    echo
    cat "$work/plan.md"
  else
    echo "#### Provisioning plan: stack \`$STACK\` failed"
    echo
    # An error quotes catalog text (a file name, a template line): fenced so none of it can close the block.
    # shellcheck disable=SC2086
    tail -c 20000 "$work/stderr" | $PROVISION fence
  fi
} >"$work/body.md"

PR_NUMBER=$PR_NUMBER MARKER="<!-- provisioning-plan stack=$STACK -->" BODY="$work/body.md" "$(dirname "$0")/post-comment.sh"
cat "$work/stderr" >&2
exit "$status"
