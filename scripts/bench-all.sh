#!/usr/bin/env bash
# Runs every benchmark program in turn (never two at once: they share the machine's cores) and
# prints, before each, its command, the date and the load average, as docs/benchmarks.md records
# them. Root (the PIV benchmark starts pcscd; the shared-store one makes PostgreSQL clusters).
# Usage: scripts/bench-all.sh [SECONDS-PER-CELL]   (about 30 minutes with the default of 4)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-4}
"$root/scripts/install-test-deps.sh" >/dev/null
dotnet build -c Release SshHsmCa.sln -v q -nologo >/dev/null

run() {
  echo
  echo "### \$ $*"
  echo "date $(date -u '+%Y-%m-%d %H:%M') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
  echo
  "$@"
}

run dotnet run -c Release --no-build --project bench/Ssh.Benchmarks -- --filter '*'
run dotnet run -c Release --no-build --project bench/Policy.Benchmarks -- --filter '*'
run dotnet run -c Release --no-build --project bench/Hsm.Benchmarks -- 3
run dotnet run -c Release --no-build --project bench/Piv.Benchmarks -- 3
run dotnet run -c Release --no-build --project bench/Daemon.Benchmarks -- "$seconds"
run dotnet run -c Release --no-build --project bench/Daemon.Benchmarks -- --own-process "$seconds"
run dotnet run -c Release --no-build --project bench/Daemon.Benchmarks -- --network-hsm "$seconds" 2
run dotnet run -c Release --no-build --project bench/Daemon.Benchmarks -- --shared-store "$seconds"
run dotnet run -c Release --no-build --project bench/Krl.Benchmarks
run dotnet run -c Release --no-build --project bench/Reliability -- kills 3 fault 20
