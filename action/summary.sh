#!/usr/bin/env bash
# The job summary (Markdown on stdout) of one command: summary.sh COMMAND EXIT_CODE FOLDER,
# where FOLDER holds COMMAND.log, COMMAND.err and, for plan and drift, COMMAND.md.
set -euo pipefail
command="$1"
code="$2"
out="$3"
# Annotations (::error file=...) are for the log, which the runner turns into
# annotations; spprov starts no other line with ::, so the Markdown drops them.
fenced() {
  echo '```'
  sed -e '/^::/d' -e 's/```/'"'''"'/g' "$@"
  echo '```'
}
case "${command}" in
  validate)
    echo "## spprov validate"
    echo
    fenced "${out}/validate.log" "${out}/validate.err"
    ;;
  plan)
    cat "${out}/plan.md"
    ;;
  drift)
    cat "${out}/drift.md"
    echo
    case "${code}" in
      0) echo "No drift: every stored token works and nothing is due." ;;
      2) echo "**Drift**: the plan is not empty (revoked tokens or renewals due)." ;;
      *) ;;
    esac
    ;;
  apply)
    echo "## spprov apply"
    echo
    case "${code}" in
      0) echo "Converged: every declared credential is authorized and up to date." ;;
      3)
        echo "Everything else is done; these credentials wait for a person's"
        echo "authorization. CI cannot give OAuth consent: someone who can sign in to"
        echo "Seller Central or Vendor Central for the selling partner, and who holds"
        echo "an age identity of this repository, runs on their own machine:"
        echo
        echo '```sh'
        grep -E '^    run: ' "${out}/apply.log" | sed -e 's/^    run: //'
        echo '```'
        echo
        echo "then opens a pull request with the new state files."
        echo
        echo '```'
        sed -n '/^Waiting for a person/,/^Apply finished/p' "${out}/apply.log"
        echo '```'
        ;;
      *)
        echo "Apply failed (exit ${code}); what succeeded is kept."
        echo
        fenced "${out}/apply.log" "${out}/apply.err"
        ;;
    esac
    ;;
  *) ;;
esac
