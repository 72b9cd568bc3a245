#!/usr/bin/env bash
# The action's install step: spprov into its own venv under RUNNER_TEMP, on GITHUB_PATH.
# Inputs (env): INPUT_VERSION, INPUT_WHEEL, INPUT_GIT_REF (at most one), SERVER_URL;
# GITHUB_ACTION_PATH, GITHUB_ACTION_REPOSITORY, GITHUB_EVENT_NAME and GITHUB_WORKSPACE are
# set by the runner.
set -euo pipefail
given=0
for value in "${INPUT_VERSION}" "${INPUT_WHEEL}" "${INPUT_GIT_REF}"; do
  if [ -n "${value}" ]; then given=$((given + 1)); fi
done
if [ "${given}" -gt 1 ]; then
  echo "::error title=spprov::give at most one of the inputs version, wheel and git-ref"
  exit 1
fi
if [ -n "${INPUT_VERSION}" ]; then
  if ! [[ "${INPUT_VERSION}" =~ ^[0-9][0-9A-Za-z.+!-]*$ ]]; then
    echo "::error title=spprov::version ${INPUT_VERSION} is not a version (like 0.1.0)"
    exit 1
  fi
  spec="spprov==${INPUT_VERSION}"
elif [ -n "${INPUT_WHEEL}" ]; then
  if [ ! -f "${INPUT_WHEEL}" ]; then
    echo "::error title=spprov::wheel ${INPUT_WHEEL} not found (build it with make dist)"
    exit 1
  fi
  spec="$(realpath -- "${INPUT_WHEEL}")"
  # In a pull-request job the workspace is the pull request's tree: a wheel there is code
  # its author chose, run in a job that may hold SOPS_AGE_KEY and the apps' secrets.
  case "${GITHUB_EVENT_NAME:-}" in
    pull_request | pull_request_target | merge_group)
      workspace="$(realpath -- "${GITHUB_WORKSPACE:-.}")"
      if [[ "${spec}/" == "${workspace}/"* ]]; then
        echo "::error title=spprov::wheel ${INPUT_WHEEL} is inside the checked-out pull request; in a ${GITHUB_EVENT_NAME} job install a released version, a git-ref, or a wheel from outside the workspace (an artifact of a trusted job)"
        exit 1
      fi
      ;;
  esac
elif [ -n "${INPUT_GIT_REF}" ]; then
  if [ -z "${GITHUB_ACTION_REPOSITORY:-}" ] || ! [[ "${INPUT_GIT_REF}" =~ ^[A-Za-z0-9._/-]+$ ]]; then
    echo "::error title=spprov::git-ref needs the action used as OWNER/spprov@REF and a plain ref name"
    exit 1
  fi
  spec="spprov @ git+${SERVER_URL}/${GITHUB_ACTION_REPOSITORY}@${INPUT_GIT_REF}"
else
  spec="${GITHUB_ACTION_PATH}"
fi
venv="${RUNNER_TEMP}/spprov-venv"
# A second use of the action in the same job installs nothing when the source is the same.
if [ ! -x "${venv}/bin/spprov" ] || [ "$(cat "${venv}/installed-from" 2>/dev/null)" != "${spec}" ]; then
  python3 -m venv "${venv}"
  "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check "${spec}"
  printf '%s' "${spec}" >"${venv}/installed-from"
fi
echo "${venv}/bin" >>"${GITHUB_PATH}"
"${venv}/bin/spprov" --version
