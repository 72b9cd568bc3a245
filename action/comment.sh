#!/usr/bin/env bash
# Post the plan as one pull-request comment, or update the one posted before: it starts
# with a hidden marker and is found among the comments of AUTHOR (the token's owner), so
# nobody else's comment is ever edited. Env: GH_TOKEN (read by gh, never on a command
# line), REPOSITORY, PR_NUMBER, MARKDOWN (the plan), AUTHOR.
set -euo pipefail
marker='<!-- spprov-plan -->'
if ! [[ "${AUTHOR}" =~ ^[A-Za-z0-9-]+(\[bot\])?$ ]] || ! [[ "${PR_NUMBER}" =~ ^[0-9]+$ ]]; then
  echo "::error title=spprov::comment-author ${AUTHOR} or pull request ${PR_NUMBER} is not valid"
  exit 1
fi
payload="${RUNNER_TEMP}/spprov/comment.json"
python3 -c 'import json, sys
body = sys.argv[1] + "\n" + open(sys.argv[2], encoding="utf-8").read()
json.dump({"body": body}, sys.stdout)' "${marker}" "${MARKDOWN}" >"${payload}"
filter="[.[] | select(.user.login == \"${AUTHOR}\" and (.body | startswith(\"${marker}\")))][0].id // empty"
existing="$(gh api --paginate "repos/${REPOSITORY}/issues/${PR_NUMBER}/comments" --jq "${filter}" | head -n 1)"
if [ -z "${existing}" ]; then
  gh api --method POST "repos/${REPOSITORY}/issues/${PR_NUMBER}/comments" --input - --silent <"${payload}"
  echo "posted the plan on pull request #${PR_NUMBER}"
else
  gh api --method PATCH "repos/${REPOSITORY}/issues/comments/${existing}" --input - --silent <"${payload}"
  echo "updated the plan comment on pull request #${PR_NUMBER}"
fi
