#!/usr/bin/env bash
# Installs the Debian packages the test suites need. Idempotent: does nothing when all are present.
set -euo pipefail

packages=(openssh-client openssh-server softhsm2 curl)
# The package install test (packaging/deb/test-install.sh): a Debian root, lintian, the notify harness.
packages+=(debootstrap lintian python3 systemd-container)
# The PIV tests: the real pcscd with vsmartcard's vpcd (the virtual YubiKey plugs into it), run in a
# network namespace of its own (iproute2), and Yubico's own tools as judges of the emulator.
packages+=(pcscd vsmartcard-vpcd yubico-piv-tool ykcs11 iproute2)
# The fuzz smoke (scripts/fuzz.sh): AFL++ drives the SharpFuzz targets.
packages+=(afl++)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  # openssh-server's postinst would start a system sshd listening on every interface; the tests
  # start their own on loopback only, so keep services from starting during the install.
  policy=/usr/sbin/policy-rc.d
  created_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ -n "$created_policy" ]; then $SUDO rm -f "$policy"; fi
fi

# The buf CLI (npm) lints the public .proto contract in the tests.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/tools/buf/node_modules/.bin/buf" ]; then
  command -v npm >/dev/null || { echo "npm is required to install the buf CLI (tools/buf)" >&2; exit 1; }
  (cd "$root/tools/buf" && npm ci --no-audit --no-fund --loglevel=error)
fi

for tool in ssh-keygen ssh /usr/sbin/sshd softhsm2-util debootstrap systemd-nspawn lintian /usr/sbin/pcscd yubico-piv-tool /usr/sbin/ip /usr/bin/python3 afl-fuzz "$root/tools/buf/node_modules/.bin/buf"; do
  command -v "$tool" >/dev/null || { echo "required tool $tool is missing after install" >&2; exit 1; }
done
