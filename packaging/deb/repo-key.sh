#!/usr/bin/env bash
# Makes an Ed25519 OpenPGP signing key for a test archive in GNUPGHOME (new folder, 0700) and
# prints its fingerprint. Operators make theirs once, offline, and keep it off the appliance:
#   packaging/deb/repo-key.sh HOME ["Name <address>"]
set -euo pipefail
home=$1
uid=${2:-"ssh-hsm-ca test archive <archive@ssh-hsm-ca.invalid>"}
install -d -m 700 "$home"
gpg --homedir "$home" --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "$uid" ed25519 sign 2y 2>/dev/null
gpg --homedir "$home" --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }'
