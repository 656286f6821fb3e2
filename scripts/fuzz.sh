#!/usr/bin/env bash
# Fuzzes the parsers that take outside bytes with AFL++ and SharpFuzz (fuzz/Targets).
#   scripts/fuzz.sh [TARGET|all] [SECONDS per target] [--smoke]
# Builds the targets, instruments the project's assemblies (SharpFuzz), runs afl-fuzz from the
# committed seeds in fuzz/corpus/TARGET for SECONDS (default 60), then prints per target the
# executions, paths found and crashes, and one line "fuzz: N passed, N failed" (a target with a
# crash fails). Crashing inputs are kept in fuzz/findings/TARGET/default/crashes; replay one with
#   dotnet fuzz/bin/SshHsmCa.Fuzz.dll TARGET --replay FILE
# --smoke: a short run for CI (scripts/test.sh), findings in a temporary folder.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

target=${1:-all}
seconds=${2:-60}
smoke=0
[ "${3:-}" = "--smoke" ] && smoke=1

command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: apt-get install afl++ (scripts/install-test-deps.sh does)" >&2; exit 1; }

out="$root/fuzz/bin"
rm -rf "$out"
dotnet publish fuzz/Targets/SshHsmCa.Fuzz.csproj -c Release -o "$out" -nologo -v quiet >/dev/null || { echo "fuzz: building the targets failed" >&2; exit 1; }
dotnet tool restore >/dev/null || { echo "fuzz: dotnet tool restore (SharpFuzz.CommandLine) failed" >&2; exit 1; }

# Only the project's own parsers carry coverage; the framework and libraries run uninstrumented.
for dll in SshHsmCa.Ssh.dll SshHsmCa.Hsm.dll SshHsmCa.Policy.dll ssh-hsm-cad.dll; do
  dotnet tool run sharpfuzz "$out/$dll" >/dev/null || { echo "fuzz: instrumenting $dll failed" >&2; exit 1; }
done

if [ "$target" = all ]; then
  targets=$(ls fuzz/corpus)
else
  [ -d "fuzz/corpus/$target" ] || { echo "fuzz: no target '$target' (have: $(ls fuzz/corpus | tr '\n' ' '))" >&2; exit 2; }
  targets=$target
fi

if [ "$smoke" = 1 ]; then findings=$(mktemp -d); else findings="$root/fuzz/findings"; fi
passed=0
failed=0
# AFL++ wants a core_pattern without a pipe and a performance governor; neither matters here.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_TieredPGO=0
for t in $targets; do
  rm -rf "${findings:?}/$t"
  mkdir -p "$findings/$t"
  timeout $((seconds + 120)) afl-fuzz -i "fuzz/corpus/$t" -o "$findings/$t" -V "$seconds" -t 10000 -m none \
    -- dotnet "$out/SshHsmCa.Fuzz.dll" "$t" > "$findings/$t/afl.log" 2>&1
  status=$?
  stats="$findings/$t/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "fuzz $t: afl-fuzz did not run (exit $status):"
    tail -20 "$findings/$t/afl.log"
    failed=$((failed + 1))
    continue
  fi
  value() { sed -n "s/^$1 *: *//p" "$stats"; }
  crashes=$(value saved_crashes)
  [ -n "$crashes" ] || crashes=$(value unique_crashes)
  echo "fuzz $t: $(value execs_done) executions in $(value run_time) s ($(value execs_per_sec)/s), $(value corpus_count) paths, $crashes crashes"
  if [ "${crashes:-0}" -eq 0 ]; then
    passed=$((passed + 1))
  else
    ls "$findings/$t/default/crashes"
    failed=$((failed + 1))
  fi
done

[ "$smoke" = 1 ] && rm -rf "$findings"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
