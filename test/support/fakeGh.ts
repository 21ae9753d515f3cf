// A stand-in for the GitHub CLI in tests of the pull-request recipe (examples/ci/): `gh api` on
// issue comments, kept in a JSON file with their author (`user.login`, as GitHub gives it: the
// token's user posts, `github-actions[bot]` unless FAKE_GH_LOGIN says otherwise); `--jq` is
// evaluated by the real jq, as gh does. Every call is logged. Nothing reaches GitHub.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = `#!/bin/sh
set -eu
state="$FAKE_GH_DIR"
printf '%s\\n' "$*" >>"$state/calls.log"
[ "$1" = api ] || { echo "fake gh: only api" >&2; exit 2; }
shift
method=GET jq_expr= body= route=
while [ $# -gt 0 ]; do
  case "$1" in
    --method) method=$2; shift ;;
    --paginate) ;;
    --jq) jq_expr=$2; shift ;;
    -F) body=\${2#body=@}; shift ;;
    *) route=$1 ;;
  esac
  shift
done
comments="$state/comments.json"
case "$method" in
  GET)
    # The comments of the pull request the route names, as GitHub lists them.
    jq --arg route "$route" '[.[] | select(.route == $route)]' "$comments" >"$comments.page"
    if [ -n "$jq_expr" ]; then jq -r "$jq_expr" "$comments.page"; else cat "$comments.page"; fi ;;
  POST)
    id=$(( $(jq length "$comments") + 100 ))
    jq --rawfile b "$body" --argjson id "$id" --arg route "$route" --arg login "\${FAKE_GH_LOGIN:-github-actions[bot]}" '. + [{id: $id, body: $b, route: $route, user: {login: $login}}]' "$comments" >"$comments.new"
    mv "$comments.new" "$comments"; echo "{\\"id\\": $id}" ;;
  PATCH)
    id=\${route##*/}
    jq --rawfile b "$body" --argjson id "$id" 'map(if .id == $id then .body = $b else . end)' "$comments" >"$comments.new"
    mv "$comments.new" "$comments"; echo "{\\"id\\": $id}" ;;
esac
`;

export interface FakeComment {
  id: number;
  body: string;
  route: string;
  user: { login: string };
}

export interface FakeGh {
  /** Prepend to PATH. */
  readonly bin: string;
  readonly env: NodeJS.ProcessEnv;
  comments(): FakeComment[];
  /** A comment someone else wrote (e.g. a forged marker), as if posted before. */
  addComment(body: string, login: string, route?: string): FakeComment;
  calls(): string[];
  dispose(): void;
}

export function fakeGh(): FakeGh {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-gh-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "gh"), SCRIPT, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "comments.json"), "[]");
  fs.writeFileSync(path.join(dir, "calls.log"), "");
  return {
    bin,
    env: { FAKE_GH_DIR: dir },
    comments: () => JSON.parse(fs.readFileSync(path.join(dir, "comments.json"), "utf8")),
    addComment: (body, login, route = "repos/{owner}/{repo}/issues/7/comments") => {
      const file = path.join(dir, "comments.json");
      const all = JSON.parse(fs.readFileSync(file, "utf8")) as FakeComment[];
      const comment = { id: all.length + 100, body, route, user: { login } };
      fs.writeFileSync(file, JSON.stringify([...all, comment]));
      return comment;
    },
    calls: () => fs.readFileSync(path.join(dir, "calls.log"), "utf8").split("\n").filter(Boolean),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
