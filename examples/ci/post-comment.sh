#!/bin/sh
# Posts a markdown file as one comment on a pull request, and on later runs updates that comment.
# The comment posted before is the one whose author is this workflow's bot AND whose first line
# is the marker: anyone can type the marker into a comment of their own, and such a comment is
# never edited. The file is treated as untrusted: it is posted as it is (it is already escaped
# and fenced by `provision`), only if it fits in a comment.
#
# Environment:
#   PR_NUMBER  the pull request (required; digits only)
#   MARKER     the first line of the comment, which names it, e.g. <!-- provisioning-review stack=prod -->
#   BODY       the markdown file to post (required)
#   BOT_LOGIN  who posts with GH_TOKEN (default: github-actions[bot], the login of GITHUB_TOKEN)
#   GH_TOKEN   for gh
set -eu

: "${PR_NUMBER:?set PR_NUMBER to the pull request number}"
: "${MARKER:?set MARKER to the comment marker}"
: "${BODY:?set BODY to the markdown file to post}"
BOT_LOGIN=${BOT_LOGIN:-github-actions[bot]}
case $PR_NUMBER in '' | *[!0-9]*) echo "post-comment: PR_NUMBER must be a number, not '$PR_NUMBER'" >&2; exit 2 ;; esac
case $MARKER in '<!-- '*' -->') ;; *) echo "post-comment: MARKER must be an HTML comment on one line" >&2; exit 2 ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# GitHub refuses a comment over 65,536 characters; bytes count at least as many.
limit=65000
size=$(wc -c <"$BODY")
{
  printf '%s\n' "$MARKER"
  if [ "$size" -le "$limit" ]; then cat "$BODY"; else printf '**The review is %s bytes, more than a comment holds: the workflow run has it in full.**\n' "$size"; fi
} >"$work/comment.md"

existing=$(gh api "repos/{owner}/{repo}/issues/$PR_NUMBER/comments" --paginate |
  jq -rs --arg bot "$BOT_LOGIN" --arg marker "$MARKER" 'first(.[][] | select(.user.login == $bot and (.body | startswith($marker + "\n"))) | .id) // empty')
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/{owner}/{repo}/issues/comments/$existing" -F "body=@$work/comment.md" >/dev/null
  echo "post-comment: updated comment $existing on #$PR_NUMBER"
else
  gh api --method POST "repos/{owner}/{repo}/issues/$PR_NUMBER/comments" -F "body=@$work/comment.md" >/dev/null
  echo "post-comment: posted a comment on #$PR_NUMBER"
fi
