#!/usr/bin/env bash
# On a pull request of your GitOps repository: lint it (SARIF for code scanning, Markdown into the job
# summary), then rehearse the pull request's base and its head on a local sandbox with the real Argo CD,
# compare them, and write the predicted change in rebuild time and crash-loops, with the attribution,
# into the job summary. Nothing touches a cluster.
#
#   gitops-pull-request.sh <gitops-dir> <overlay> <base-revision> [summary-file]
#
# <gitops-dir> is the checked-out pull request (its working tree is the head); <base-revision> is what it
# merges into (origin/main). REBUILD_BENCH overrides the command (default: npx rebuild-bench);
# REHEARSE_ARGS adds rehearse options (--charts ./charts, --health-check, --time-scale 0.25…).
# Exit code: lint's (1 when it found errors), after every step ran.
set -uo pipefail
repo=$1
overlay=$2
base=$3
summary=${4:-${GITHUB_STEP_SUMMARY:-/dev/stdout}}
read -r -a rb <<<"${REBUILD_BENCH:-npx rebuild-bench}"
read -r -a extra <<<"${REHEARSE_ARGS:-}"
home=${REBUILD_BENCH_HOME:-$PWD/.rebuild-bench}

"${rb[@]}" lint "$repo" --overlay "$overlay" --format sarif --out lint.sarif --fail-on never --home "$home"
"${rb[@]}" lint "$repo" --overlay "$overlay" --format md --out lint.md --home "$home"
lint_exit=$?
cat lint.md >>"$summary"

"${rb[@]}" rehearse "$repo" --overlay "$overlay" --revision "$base" --rebuild --home "$home" "${extra[@]}" || true
"${rb[@]}" rehearse "$repo" --overlay "$overlay" --rebuild --home "$home" "${extra[@]}" || true
ids=$("${rb[@]}" list --json --home "$home" | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(r.slice(-2).map((x) => x.id).join(" "))')
read -r before after <<<"$ids"
if [ -n "${before:-}" ] && [ -n "${after:-}" ]; then
  "${rb[@]}" compare "$before" --vs "$after" --home "$home" --out compare
  {
    echo
    echo "### Rehearsed rebuild: $base → this pull request"
    cat compare/compare.md
  } >>"$summary"
else
  echo "rehearsal: fewer than two runs recorded; see the job log" >>"$summary"
fi
"${rb[@]}" sandbox down --home "$home" --wipe --quiet || true
exit "$lint_exit"
