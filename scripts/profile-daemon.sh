#!/usr/bin/env bash
# Where the daemon's CPU goes under load (issue 19, goal 3): runs the own-process load benchmark
# for one CA key type at one concurrency (the callers in a process of their own), samples the
# daemon's process with dotnet-trace (thread-time sampling, idle stacks left out) for 10 s in the middle of the load, and prints
# the samples grouped by what they were doing (scripts/profile-summary.py).
# Usage: scripts/profile-daemon.sh [p256|ed25519|rsa3072] [CONCURRENCY] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
label=${1:-p256}
concurrency=${2:-16}
seconds=${3:-30}
tools=${DOTNET_TOOLS:-$root/tools/dotnet}
if [ ! -x "$tools/dotnet-trace" ]; then
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
sleep $((seconds / 4))
"$tools/dotnet-trace" collect -p "$bench" --profile dotnet-sampled-thread-time --duration 00:00:00:10 --format speedscope -o "$out/daemon.nettrace" >/dev/null
wait "$bench"
grep '^|' "$out/table"
python3 "$root/scripts/profile-summary.py" "$out"/daemon*.speedscope.json
echo "(trace and table in $out)"
