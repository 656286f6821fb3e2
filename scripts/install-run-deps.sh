#!/usr/bin/env bash
# Installs the Debian packages that running the CA and its quick start need, and nothing else:
# SoftHSM2 (the CA keys), OpenSSH (the demonstration's sshd, ssh, ssh-keygen, ssh-agent) and curl
# (the demonstration's browser). Idempotent: does nothing when all are present. Never starts a
# system sshd. scripts/install-test-deps.sh adds what the tests need on top.
set -euo pipefail

packages=(openssh-client openssh-server softhsm2 curl "$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  # openssh-server's postinst would start a system sshd listening on every interface; the CA's
  # demonstration and the tests start their own on loopback only, so no service starts here.
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

for tool in ssh-keygen ssh ssh-agent /usr/sbin/sshd softhsm2-util curl; do
  command -v "$tool" >/dev/null || { echo "required tool $tool is missing after install" >&2; exit 1; }
done
