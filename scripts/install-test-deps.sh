#!/usr/bin/env bash
# Installs the Debian packages the test suites need (scripts/install-run-deps.sh's, and more).
# Idempotent: does nothing when all are present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=()
# The package install test (packaging/deb/test-install.sh): a Debian root, lintian, the notify harness.
packages+=(debootstrap lintian python3 systemd-container)
# The signed apt repository (packaging/deb/repo.sh, issue 32): apt-ftparchive and GnuPG.
packages+=(apt-utils gnupg)
# The PIV tests: the real pcscd with vsmartcard's vpcd (the virtual YubiKey plugs into it), run in a
# network namespace of its own (iproute2), and Yubico's own tools as judges of the emulator.
packages+=(pcscd vsmartcard-vpcd yubico-piv-tool ykcs11 iproute2)
# The shared audit store (issue 18): the tests make their own clusters with Debian's PostgreSQL
# (initdb, pg_ctl, pg_basebackup as the postgres user); the packaged cluster is not used.
packages+=(postgresql)
# A CA key behind a network round trip (issue 19): SoftHSM2 served by `p11-kit server`, reached
# through p11-kit-client.so (p11-kit-modules).
packages+=(p11-kit p11-kit-modules)
# Security-key attestation (issue 29): the tests build a software security-key provider for
# OpenSSH (tests/Interop.Tests/SecurityKeys/sk-test-provider.c) with cc against OpenSSL.
# libfido2's fido2-cred -V cross-checks the attestations the verifier accepts.
packages+=(gcc libc6-dev libssl-dev fido2-tools)
# The issuance log (issue 31): Go's golang.org/x/mod/sumdb verifies our checkpoints and proofs.
packages+=(golang-go golang-golang-x-mod-dev)
# The fuzz smoke (scripts/fuzz.sh): AFL++ drives the SharpFuzz targets.
packages+=(afl++)
# The Python client example (examples/python, docs/clients.md): Debian's gRPC for Python, protoc for
# the message stubs and python3-grpc-tools for the service stubs.
packages+=(python3-grpcio python3-protobuf python3-grpc-tools protobuf-compiler)
# The buf CLI that lints the .proto contract comes from npm: Debian's, unless the machine has an npm
# already (a Node.js of its own conflicts with Debian's npm package).
command -v npm >/dev/null || packages+=(npm)
"$root/scripts/install-run-deps.sh" "${packages[@]}"

if [ ! -x "$root/tools/buf/node_modules/.bin/buf" ]; then
  (cd "$root/tools/buf" && npm ci --no-audit --no-fund --loglevel=error)
fi

for tool in cc go debootstrap systemd-nspawn lintian /usr/sbin/pcscd yubico-piv-tool /usr/sbin/ip /usr/bin/python3 /usr/bin/p11-kit afl-fuzz npm protoc "$root/tools/buf/node_modules/.bin/buf"; do
  command -v "$tool" >/dev/null || { echo "required tool $tool is missing after install" >&2; exit 1; }
done
[ -f /usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so ] || { echo "required module p11-kit-client.so is missing after install" >&2; exit 1; }
