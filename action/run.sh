#!/usr/bin/env bash
# The action's run step: one spprov command, its output kept under RUNNER_TEMP/spprov,
# the exit code as the output `exitcode`, and the job summary. It never fails itself:
# the Result step decides what the exit code means for this command.
set -euo pipefail
out="${RUNNER_TEMP}/spprov"
mkdir -p "${out}"
log="${out}/${COMMAND}.log"
errors="${out}/${COMMAND}.err"
markdown="${out}/${COMMAND}.md"
rm -f "${log}" "${errors}" "${markdown}"
# In a pull request the trust root (.sops.yaml) is the base branch's, never the pull
# request's own: the input `base`, else origin/<base branch> (GITHUB_BASE_REF is set on
# pull_request events only). The checkout must hold it (fetch-depth: 0).
base="${BASE:-}"
if [ -z "${base}" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then base="origin/${GITHUB_BASE_REF}"; fi
review=()
if [ -n "${base}" ]; then review=(--base "${base}"); fi
set +e
case "${COMMAND}" in
  validate) spprov validate "${review[@]}" >"${log}" 2>"${errors}" ;;
  plan) spprov plan "${review[@]}" --markdown --detailed-exitcode >"${markdown}" 2>"${errors}" ;;
  drift) spprov plan --refresh --markdown --detailed-exitcode >"${markdown}" 2>"${errors}" ;;
  apply) spprov apply --yes --non-interactive >"${log}" 2>"${errors}" ;;
  *)
    echo "::error title=spprov::command must be validate, plan, apply or drift, not ${COMMAND}"
    exit 1
    ;;
esac
code=$?
set -e
if [ -f "${markdown}" ]; then cat "${markdown}"; else cat "${log}"; fi
cat "${errors}" >&2
if [ -f "${markdown}" ] && [ "${code}" -eq 1 ]; then
  {
    if [ "${COMMAND}" = drift ]; then echo "## spprov drift check"; else echo "## spprov plan"; fi
    echo
    echo "spprov could not make a plan:"
    echo
    echo '```'
    # A hostile declaration must not close the code block and write the comment itself.
    # Annotations stay in the log (the runner shows them on the diff), not the comment.
    sed -e '/^::/d' -e 's/```/'"'''"'/g' "${errors}"
    echo '```'
  } >"${markdown}"
fi
{
  echo "exitcode=${code}"
  echo "log=${log}"
  if [ -f "${markdown}" ]; then echo "markdown=${markdown}"; fi
} >>"${GITHUB_OUTPUT}"
bash "${GITHUB_ACTION_PATH}/action/summary.sh" "${COMMAND}" "${code}" "${out}" \
  >>"${GITHUB_STEP_SUMMARY}"
