#!/bin/sh
# Posts the provisioning plan of a pull request as one comment, and updates that comment on
# every later push (it is found by a marker naming the stack). The plan previews the stack's
# state with the engine and renders the catalog at the merge base for the text before each
# change: it reaches no child, and needs only the state backend and the stack's passphrase.
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
marker="<!-- provisioning-plan stack=$STACK -->"
# shellcheck disable=SC2086 # PROVISION is a command with arguments
if $PROVISION plan --stack "$STACK" --project "$PROJECT_DIR" --base "$base" --markdown >"$work/plan.md" 2>"$work/stderr"; then
  status=0
  { echo "$marker"; echo "#### Provisioning plan: stack \`$STACK\` (base ${base%"${base#????????????}"})"; echo; cat "$work/plan.md"; } >"$work/body.md"
else
  status=$?
  { echo "$marker"; echo "#### Provisioning plan: stack \`$STACK\` failed"; echo; echo '```'; tail -c 20000 "$work/stderr"; echo '```'; } >"$work/body.md"
fi

# The comment this job posted before, if any: the first one starting with the marker.
existing=$(gh api "repos/{owner}/{repo}/issues/$PR_NUMBER/comments" --paginate --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/{owner}/{repo}/issues/comments/$existing" -F "body=@$work/body.md" >/dev/null
  echo "plan-comment: updated comment $existing on #$PR_NUMBER"
else
  gh api --method POST "repos/{owner}/{repo}/issues/$PR_NUMBER/comments" -F "body=@$work/body.md" >/dev/null
  echo "plan-comment: posted a comment on #$PR_NUMBER"
fi
cat "$work/stderr" >&2
exit "$status"
