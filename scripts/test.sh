#!/usr/bin/env bash
# Runs every test project in SshHsmCa.sln, then the tests that judge with OpenSSH once more per
# newer OpenSSH release ($SSHHSMCA_OPENSSH_RELEASES, default "trixie sid"; empty skips them), then a short fuzz smoke of every parser target
# (scripts/fuzz.sh: a crash fails), then the package install test (builds the .deb and
# installs it into a fresh debootstrap root: packaging/deb/test-install.sh; needs root), then
# prints one line "N passed, N failed" summed over all TRX results and the install test's checks.
# Exit status is non-zero when a test failed or nothing ran.
#   scripts/test.sh [--no-package] [dotnet test arguments...]
# --no-package skips the two tests that need root and a Debian root of their own: the package
# install test and the quick start in fresh Debian 12 and 13 roots (scripts/test-fresh-root.sh).
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
# Sums the passed and failed counters of the TRX files given; prints "P F".
count_trx() {
  local p=0 f=0 trx counters tp tf
  for trx in "$@"; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    tp=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    tf=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    p=$((p + ${tp:-0}))
    f=$((f + ${tf:-0}))
  done
  echo "$p $f"
}
# Build everything first (programs the tests run, and the benchmarks, which must compile too),
# then run the tests on exactly that build.
dotnet build SshHsmCa.sln -c Release -nologo
status=$?
built=$status
if [ "$status" -eq 0 ]; then
  dotnet test SshHsmCa.sln -c Release --no-build --logger "trx" --results-directory "$results" "$@"
  status=$?
fi

# The judging tests again with each newer OpenSSH release (issue 28): Debian 13's and sid's
# programs from cached debootstrap roots (scripts/openssh-releases.sh), first on PATH so the CLI's
# own ssh-keygen is the release's too. Their TRX files are named for the release.
releases=${SSHHSMCA_OPENSSH_RELEASES-trixie sid}
release_lines=()
if [ "$built" -eq 0 ] && [ -n "$releases" ]; then
  # shellcheck disable=SC2086
  if scripts/openssh-releases.sh prepare $releases; then
    for release in $releases; do
      bin=$(scripts/openssh-releases.sh bin "$release")
      version=$(scripts/openssh-releases.sh version "$release")
      before=$(ls "$results"/*.trx 2>/dev/null | wc -l)
      for project in tests/Ssh.Tests tests/Interop.Tests; do
        SSHHSMCA_OPENSSH_BIN=$bin SSHHSMCA_OPENSSH_RELEASE=$release SSHHSMCA_OPENSSH_VERSION=${version%% *} PATH="$bin:$PATH" \
          dotnet test "$project" -c Release --no-build --filter "OpenSsh=judge" \
            --logger "trx;LogFileName=openssh-$release-$(basename "$project").trx" --results-directory "$results" \
          || status=1
      done
      read -r rp rf <<<"$(count_trx "$results"/openssh-"$release"-*.trx)"
      [ "$(ls "$results"/*.trx 2>/dev/null | wc -l)" -gt "$before" ] || status=1
      release_lines+=("openssh $release ($version): $rp passed, $rf failed")
    done
  else
    echo "the OpenSSH release roots could not be prepared: the tests that judge with 10.x did not run" >&2
    status=1
  fi
fi

read -r passed failed <<<"$(count_trx "$results"/*.trx)"

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

# The README's first command in a fresh Debian 12 root with only the .NET SDK (issue 14), then in a
# fresh Debian 13 root.
if [ "$package_test" = 1 ]; then
  scripts/test-fresh-root.sh 2>&1 | tee "$results/fresh-root.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  add_summary "fresh root" "$results/fresh-root.log"
  # The same on Debian 13 (issue 28): the CLI and the quick start on trixie's OpenSSH 10.0.
  # With the package just built: installed from a signed apt repository in that root too (issue 32).
  deb=$(ls -t packaging/deb/out/ssh-hsm-ca_*_amd64.deb 2>/dev/null | head -1)
  SSHHSMCA_DEB=${deb:+$(realpath "$deb")} scripts/test-fresh-root.sh trixie 2>&1 | tee "$results/fresh-trixie-root.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  add_summary "fresh trixie root" "$results/fresh-trixie-root.log"
fi

for line in "${release_lines[@]}"; do echo "$line"; done

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
