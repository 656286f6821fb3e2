#!/usr/bin/env bash
# Where the daemon's CPU goes under load (issue 19, goal 3): runs the own-process load benchmark
# for one CA key type at one concurrency (the callers in a process of their own), samples the
# daemon's process with dotnet-trace (thread-time sampling, idle stacks left out) for 10 s in the middle of the load, and prints
# the samples grouped by what they were doing (scripts/profile-summary.py).
# With PROFILER=perf: Linux perf's CPU-clock sampling instead (true CPU time, native frames and
# the kernel included, JIT-compiled methods named through the runtime's perf map; needs perf,
# Debian's linux-perf), grouped by thread and library, then the hottest symbols.
# Usage: [PROFILER=perf] scripts/profile-daemon.sh [p256|ed25519|rsa3072] [CONCURRENCY] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
label=${1:-p256}
concurrency=${2:-16}
seconds=${3:-30}
tools=${DOTNET_TOOLS:-$root/tools/dotnet}
profiler=${PROFILER:-trace}
if [ "$profiler" = perf ]; then
  command -v perf >/dev/null || { echo "perf is required for PROFILER=perf (apt-get install linux-perf)" >&2; exit 1; }
  export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
elif [ ! -x "$tools/dotnet-trace" ]; then
  dotnet tool install --tool-path "$tools" dotnet-trace --version 10.0.750501 >/dev/null
fi
out=$(mktemp -d /tmp/sshhsmca-profile-XXXXXX)
dotnet build "$root/bench/Daemon.Benchmarks" -c Release -nologo -v quiet >/dev/null
"$root/bench/Daemon.Benchmarks/bin/Release/net10.0/SshHsmCa.Daemon.Benchmarks" --own-process "$seconds" "$label" "$concurrency" >"$out/table" 2>"$out/log" &
bench=$!
for _ in $(seq 1 600); do
  grep -q "load started" "$out/log" 2>/dev/null && break
  kill -0 "$bench" 2>/dev/null || { cat "$out/log" >&2; exit 1; }
  sleep 0.2
done
# The benchmark warms the daemon for 10 s after "load started" before it measures.
sleep $((10 + seconds / 4))
if [ "$profiler" = perf ]; then
  perf record -e cpu-clock -F 999 -g -p "$bench" -o "$out/perf.data" -- sleep 10 2>/dev/null
else
  "$tools/dotnet-trace" collect -p "$bench" --profile dotnet-sampled-thread-time --duration 00:00:00:10 --format speedscope -o "$out/daemon.nettrace" >/dev/null
fi
wait "$bench"
grep '^|' "$out/table"
if [ "$profiler" = perf ]; then
  perf report -i "$out/perf.data" --no-children --sort comm,dso -g none 2>/dev/null | grep '%' | head -15
  perf report -i "$out/perf.data" --no-children --sort dso,sym -g none 2>/dev/null | grep '%' | head -30
else
  python3 "$root/scripts/profile-summary.py" "$out"/daemon*.speedscope.json
fi
echo "(trace and table in $out)"
