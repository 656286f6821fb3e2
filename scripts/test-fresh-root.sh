#!/usr/bin/env bash
# The README's first command on a really fresh Debian 12 (issue 14) or 13 (issue 28): a debootstrap --variant=minbase
# root with nothing but the .NET SDK bound in (read-only, with the Debian packages the SDK itself
# depends on) and what a newcomer's machine has anyway (ca-certificates, and this machine's network
# settings: /etc/hosts, resolv.conf, its extra CA certificates); then scripts/quickstart.sh --demo-only, as root in that root, from a copy of this
# checkout. It passes when the demonstration ends with the ssh login by certificate. A step the
# quick start forgets to install fails here instead of for a newcomer.
#   scripts/test-fresh-root.sh [bookworm|trixie]     (default bookworm)
# Needs root and debootstrap. Prints "fresh root: N passed, N failed" last (bookworm), or
# "fresh trixie root: N passed, N failed".
set -uo pipefail
suite=${1:-bookworm}
case "$suite" in
  bookworm) debian="Debian 12"; tag="fresh root"; sdk_packages=(libicu72 libssl3) ;;
  trixie) debian="Debian 13"; tag="fresh trixie root"; sdk_packages=(libicu76 libssl3t64) ;;
  *) echo "test-fresh-root.sh: unknown suite '$suite' (bookworm or trixie)" >&2; exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ "$(id -u)" = 0 ] || { echo "test-fresh-root.sh: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "test-fresh-root.sh: debootstrap is missing (scripts/install-test-deps.sh installs it)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/ssh-hsm-ca-fresh.XXXXXX)
root="$work/root"
mounts=()
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; fi
  # The demonstration stops its own processes; anything left in the root goes too.
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill -9 "$pid" 2>/dev/null
  done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
bind() { mkdir -p "$root$2"; mount "${@:3}" --bind "$1" "$root$2" && mounts+=("$root$2"); }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

started=$(date +%s)
echo "$tag: debootstrap --variant=minbase $suite ($mirror)"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log"; echo "$tag: 0 passed, 1 failed"; exit 1; }
cp /etc/resolv.conf /etc/hosts "$root/etc/"
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
mount -t sysfs sysfs "$root/sys" && mounts+=("$root/sys")
bind /dev /dev
bind /dev/pts /dev/pts
bind "$dotnet_root" /usr/share/dotnet -o ro
ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"

# What a machine with the .NET SDK has: the SDK's own Debian dependencies (as its package or
# Microsoft's install guide for Debian brings them: ICU, OpenSSL, Kerberos, zlib, libstdc++),
# ca-certificates, and this machine's own CAs (its TLS proxy to the package registries).
in_root apt-get -q -y update >/dev/null && in_root apt-get -q -y install --no-install-recommends \
    ca-certificates "${sdk_packages[@]}" libgssapi-krb5-2 zlib1g libstdc++6 >/dev/null \
  || { echo "$tag: apt-get in the root failed"; echo "$tag: 0 passed, 1 failed"; exit 1; }
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
in_root update-ca-certificates >/dev/null 2>&1

# The checkout as committed plus any work in progress, without build output.
mkdir -p "$root/src/ssh-hsm-ca"
(cd "$repo" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$root/src/ssh-hsm-ca" -xf -
pkgs_before=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)

echo "$tag: scripts/quickstart.sh --demo-only in the root (log: quickstart.log)"
passthrough=()
for name in $(env | sed -n 's/^\(NUGET_[A-Z_]*\)=.*/\1/p'); do passthrough+=("$name=${!name}"); done
in_root "${passthrough[@]}" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
  timeout 900 bash /src/ssh-hsm-ca/scripts/quickstart.sh --demo-only </dev/null >"$work/quickstart.log" 2>&1
status=$?
pkgs_after=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
elapsed=$(( $(date +%s) - started ))

passed=0
failed=0
if [ "$status" -eq 0 ] && grep -q "logged in as root with a certificate signed inside the HSM" "$work/quickstart.log"; then
  echo "PASS the quick start ran to the certificate login in a fresh $debian root ($((pkgs_after - pkgs_before)) packages installed by it, ${elapsed} s in all)"
  passed=1
else
  echo "FAIL the quick start in a fresh $debian root (exit $status):"
  tail -40 "$work/quickstart.log" | sed 's/^/    /'
  failed=1
fi

for tool in debootstrap lintian pcscd afl-fuzz npm; do
  if in_root sh -c "command -v $tool" >/dev/null 2>&1; then
    echo "FAIL the quick start installed a test-only tool: $tool"
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ] && { echo "PASS the quick start installed no test-only tool (debootstrap, lintian, pcscd, afl++, npm)"; passed=$((passed + 1)); }

# With SSHHSMCA_DEB (scripts/test.sh passes the package it built), the package from a signed apt
# repository (packaging/deb/repo.sh) in this root too (issue 32): apt --audit (Debian 13's apt 3)
# has nothing to say about it, it installs with this release's libraries, its programs run and
# this release's systemd accepts its unit.
if [ -n "${SSHHSMCA_DEB:-}" ]; then
  result() { if [ "$1" = 0 ]; then echo "PASS $2"; passed=$((passed + 1)); else echo "FAIL $2"; sed 's/^/    /' "$work/step.log" | tail -30; failed=$((failed + 1)); fi; }
  key=$("$repo/packaging/deb/repo-key.sh" "$work/gnupg")
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$repo/packaging/deb/repo.sh" --out "$work/repo" --gnupghome "$work/gnupg" --key "$key" --url "http://127.0.0.1:$port/" "$SSHHSMCA_DEB" >/dev/null
  python3 -m http.server --bind 127.0.0.1 --directory "$work/repo" "$port" >"$work/http.log" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/ssh-hsm-ca.sources')" 2>/dev/null && break; sleep 0.1; done
  install -m 644 "$work/repo/ssh-hsm-ca-archive-keyring.pgp" "$root/usr/share/keyrings/"
  install -m 644 "$work/repo/ssh-hsm-ca.sources" "$root/etc/apt/sources.list.d/"
  if [ "$suite" = trixie ]; then update=(apt --audit update); else update=(apt-get update); fi
  in_root "${update[@]}" >"$work/step.log" 2>&1
  rc=$?
  ! grep -E '^(W|E|N|Audit|Warning|Notice)' "$work/step.log" | grep -q '127.0.0.1'; quiet=$?
  result $(( rc | quiet )) "${update[*]} reads the signed repository with nothing to say about it ($debian)"
  in_root apt-get -q -y -o Dpkg::Use-Pty=0 install ssh-hsm-ca >"$work/step.log" 2>&1
  result $? "apt-get install ssh-hsm-ca from the repository on $debian"
  { in_root /usr/sbin/ssh-hsm-cad --help | grep -q usage && in_root /usr/bin/ssh-hsm-ca --version | grep -q . \
      && out=$(in_root systemd-analyze verify --man=no /lib/systemd/system/ssh-hsm-ca.service 2>&1) && echo "$out" && [ -z "$out" ]; } >"$work/step.log" 2>&1
  result $? "the programs run on $debian and its systemd accepts the unit (systemd-analyze verify)"
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
fi
echo "$tag: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
