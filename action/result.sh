#!/usr/bin/env bash
# The action's last step: what spprov's exit code means for the command (env: COMMAND,
# EXIT_CODE, FAIL_ON_ERROR). plan exit 2 and apply exit 3 are not failures; drift exit 2 is.
set -euo pipefail
case "${COMMAND}:${EXIT_CODE}" in
  *:0) ;;
  plan:2) echo "spprov plan: changes pending (exit 2), not a failure" ;;
  apply:3) echo "::warning title=spprov::credentials wait for a person's authorization; see the job summary" ;;
  drift:2)
    echo "::error title=spprov drift::the plan is not empty (revoked tokens or renewals due); see the job summary"
    exit 1
    ;;
  *)
    echo "::error title=spprov::spprov ${COMMAND} failed (exit ${EXIT_CODE}); see the log and the job summary"
    if [ "${FAIL_ON_ERROR}" = true ]; then exit 1; fi
    ;;
esac
