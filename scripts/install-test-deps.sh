#!/usr/bin/env bash
# Installs the Debian packages the test suites need. Idempotent: does nothing when all are present.
set -euo pipefail

packages=(openssh-client openssh-server softhsm2)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for tool in ssh-keygen ssh /usr/sbin/sshd softhsm2-util; do
  command -v "$tool" >/dev/null || { echo "required tool $tool is missing after install" >&2; exit 1; }
done
