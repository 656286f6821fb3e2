#!/usr/bin/env bash
# Runs every test project in SshHsmCa.sln, then a short fuzz smoke of every parser target
# (scripts/fuzz.sh: a crash fails), then the package install test (builds the .deb and
# installs it into a fresh debootstrap root: packaging/deb/test-install.sh; needs root), then
# prints one line "N passed, N failed" summed over all TRX results and the install test's checks.
# Exit status is non-zero when a test failed or nothing ran.
#   scripts/test.sh [--no-package] [dotnet test arguments...]
# --no-package skips the two tests that need root and a Debian root of their own: the package
# install test and the quick start in a fresh root (scripts/test-fresh-root.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh || exit 1

package_test=1
if [ "${1:-}" = "--no-package" ]; then package_test=0; shift; fi

results=TestResults
rm -rf "$results"

# Adds the "<prefix>: N passed, N failed" line of a log to the totals.
add_summary() { # prefix, log
  local summary p f
  summary=$(sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed\$/\1 \2/p" "$2")
  if [ -n "$summary" ]; then
    read -r p f <<<"$summary"
    passed=$((passed + p))
    failed=$((failed + f))
  fi
}
# Build everything first (programs the tests run, and the benchmarks, which must compile too),
# then run the tests on exactly that build.
dotnet build SshHsmCa.sln -c Release -nologo
status=$?
if [ "$status" -eq 0 ]; then
  dotnet test SshHsmCa.sln -c Release --no-build --logger "trx" --results-directory "$results" "$@"
  status=$?
fi

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

# The fuzz smoke: every target for a few seconds from its committed seeds; a crash fails the run.
mkdir -p "$results"
scripts/fuzz.sh all "${FUZZ_SMOKE_SECONDS:-6}" --smoke 2>&1 | tee "$results/fuzz-smoke.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
add_summary fuzz "$results/fuzz-smoke.log"

if [ "$package_test" = 1 ]; then
  mkdir -p "$results"
  packaging/deb/test-install.sh 2>&1 | tee "$results/install-test.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  add_summary "install test" "$results/install-test.log"
fi

# The README's first command in a fresh Debian 12 root with only the .NET SDK (issue 14).
if [ "$package_test" = 1 ]; then
  scripts/test-fresh-root.sh 2>&1 | tee "$results/fresh-root.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  add_summary "fresh root" "$results/fresh-root.log"
fi

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "no test results found in $results" >&2
  status=1
fi

# A build error or an aborted test host leaves no failed test in any TRX file: count it, so the
# closing line never reads "0 failed" for a run that failed.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with status $status (build error or aborted run)" >&2
  failed=1
fi

echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
