#!/usr/bin/env bash
# The whole spprov flow against the built-in Amazon emulator, in a throwaway repository.
# Run it with `make demo` (which puts the project's venv first on PATH). No Amazon account,
# no browser and no network are needed; nothing outside a temporary folder is touched.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/spprov-demo.XXXXXX")"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Bold headings only on a terminal, and never when NO_COLOR is set (https://no-color.org);
# decided before NO_COLOR is exported for spprov below.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '$ %s\n' "$*"; "$@"; }

# The demo must not see the person's own keys, CI settings or Amazon settings.
unset CI SOPS_AGE_KEY SOPS_AGE_KEY_FILE SPPROV_AMAZON_URL || true
export SOPS_AGE_KEY_FILE="$work/age/keys.txt"
export NO_COLOR=1

step "Start the Amazon emulator (auto-approving consent pages)"
mkfifo "$work/emulator.out"
spprov emulator --port 0 --auto-approve >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
read -r SPPROV_AMAZON_URL <"$work/emulator.out"
export SPPROV_AMAZON_URL
echo "emulator at $SPPROV_AMAZON_URL"

step "Register the demo app with the emulator (Amazon's Developer Central does this for real apps)"
client_secret="$(python -c 'import secrets; print("amzn1.oa2-cs.v1." + secrets.token_hex(32))')"
python - "$SPPROV_AMAZON_URL" <<PY
import json, sys, urllib.request
body = json.dumps({
    "application_id": "amzn1.sp.solution.11111111-2222-3333-4444-555555555555",
    "client_id": "amzn1.application-oa2-client.demo0123456789abcdef",
    "client_secret": "$client_secret",
    "redirect_uris": ["http://127.0.0.1:53682/callback"],
    "draft": False,
}).encode()
request = urllib.request.Request(sys.argv[1] + "/_emulator/apps", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
urllib.request.urlopen(request).read()
print("registered app demo (client secret kept in an environment variable, never printed)")
PY
export SPPROV_APP_DEMO_CLIENT_SECRET="$client_secret"

step "A browser stand-in: Python's webbrowser runs \$BROWSER with the consent URL"
python -c "from spprov.emulator.browser import write_browser_script as w; w(__import__('pathlib').Path('$work/browser'))" >/dev/null
export BROWSER="$work/browser"

step "A fresh GitOps repository"
repo="$work/creds"
mkdir -p "$repo"
cp "$here/demo/credentials.yaml" "$repo/credentials.yaml"
cd "$repo"
git init -q
git config user.email demo@example.com
git config user.name "spprov demo"
show spprov init
git add -A && git commit -qm "Declare credentials"

step "Validate and plan"
show spprov validate
show spprov plan

step "Apply: each consent page is approved by the browser stand-in, each code exchanged at once"
show spprov apply --yes

step "A state file: readable fields for reviewers, the refresh token encrypted"
show cat state/credentials/demo-us.sops.yaml | sed -n '1,/^sops:/p'

step "Commit the state, then plan again: nothing to do"
git add -A && git commit -qm "Authorize credentials"
show spprov plan --detailed-exitcode
show spprov apply --yes
show git status --short
echo "(no output from git status: the no-op apply wrote nothing)"

step "Done: the demo repository was at $repo (removed on exit)"
