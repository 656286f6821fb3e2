#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: a local SSH CA whose keys live on a SoftHSM2 token,
# serving gRPC on https://127.0.0.1:18443 (mTLS) and on an operator socket; then a demonstration
# that issues a host certificate and a user certificate through it and logs in to a loopback sshd
# with them (no known_hosts prompt, no authorized_keys). The CA keeps serving until Ctrl-C;
# --demo-only stops it after the demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo_only=
[ "${1:-}" = "--demo-only" ] && demo_only=1

scripts/install-test-deps.sh
echo "== building"
dotnet build -c Release -nologo -v q src/CaDaemon/SshHsmCa.CaDaemon.csproj
dotnet build -c Release -nologo -v q src/Cli/SshHsmCa.Cli.csproj

dir=${SSH_HSM_CA_DEV_DIR:-$root/.dev-ca}
port=${SSH_HSM_CA_DEV_PORT:-18443}
cad=(dotnet "$root/src/CaDaemon/bin/Release/net10.0/ssh-hsm-cad.dll")
cli=(dotnet "$root/src/Cli/bin/Release/net10.0/ssh-hsm-ca.dll")
mkdir -p "$dir"
demo="$dir/demo"
rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$dir" "$demo"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "== starting the CA (state in $dir; log in $dir/daemon.log)"
rm -f "$dir/ca.sock"
"${cad[@]}" --dev "$dir" --dev-port "$port" >"$dir/daemon.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  [ -S "$dir/ca.sock" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$dir/daemon.log"; echo "the CA did not start" >&2; exit 1; }
  sleep 0.5
done
[ -S "$dir/ca.sock" ] || { cat "$dir/daemon.log"; echo "the CA did not start within 60 s" >&2; exit 1; }
operator=("${cli[@]}" --socket "$dir/ca.sock")
client=("${cli[@]}" --server "https://127.0.0.1:$port" --client-cert "$dir/client.pem" --client-key "$dir/client.key" --server-ca "$dir/tls-ca.pem")

echo "== the CA public keys"
"${operator[@]}" ca keys --known-hosts localhost | tee "$demo/ca-keys.txt"
grep -E '^(ssh-|ecdsa-)' "$demo/ca-keys.txt" > "$demo/user_ca.pub"
grep '^@cert-authority' "$demo/ca-keys.txt" > "$demo/known_hosts"

echo "== a host certificate for a loopback sshd (operator, over the Unix socket)"
ssh-keygen -q -t ed25519 -N '' -C demo-host -f "$demo/host_key"
"${operator[@]}" sign --host -n localhost "$demo/host_key.pub"

mkdir -p /run/sshd 2>/dev/null || true
ssh_port=
for candidate in $(seq 22220 22260); do
  cat > "$demo/sshd_config" <<CONF
Port $candidate
ListenAddress 127.0.0.1
HostKey $demo/host_key
HostCertificate $demo/host_key-cert.pub
TrustedUserCAKeys $demo/user_ca.pub
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $demo/sshd.pid
CONF
  /usr/sbin/sshd -D -e -f "$demo/sshd_config" 2>"$demo/sshd.log" &
  pid=$!
  sleep 0.5
  if kill -0 "$pid" 2>/dev/null; then ssh_port=$candidate; pids+=("$pid"); break; fi
done
[ -n "$ssh_port" ] || { cat "$demo/sshd.log"; echo "could not start sshd on 127.0.0.1:22220-22260" >&2; exit 1; }
echo "sshd listening on 127.0.0.1:$ssh_port, trusting only the CA's user key"

echo "== a user certificate (mTLS client, policy decides the principals and validity)"
ssh-keygen -q -t ed25519 -N '' -C demo-user -f "$demo/id_ed25519"
"${client[@]}" sign "$demo/id_ed25519.pub"
ssh-keygen -L -f "$demo/id_ed25519-cert.pub"

echo "== logging in with it: StrictHostKeyChecking=yes, BatchMode=yes, known_hosts holds only the @cert-authority line"
ssh -F /dev/null -p "$ssh_port" \
  -o UserKnownHostsFile="$demo/known_hosts" -o GlobalKnownHostsFile=/dev/null \
  -o StrictHostKeyChecking=yes -o HostKeyAlias=localhost -o BatchMode=yes \
  -o IdentitiesOnly=yes -o IdentityAgent=none -o IdentityFile="$demo/id_ed25519" \
  -o CertificateFile="$demo/id_ed25519-cert.pub" "$(id -un)@127.0.0.1" \
  'echo "logged in as $(id -un) with a certificate signed inside the HSM"'

echo "== done: the certificate is in the audit log ($dir/audit.db)"
if [ -n "$demo_only" ]; then exit 0; fi
echo "The CA keeps serving on https://127.0.0.1:$port and $dir/ca.sock. Try:"
echo "  dotnet src/Cli/bin/Release/net10.0/ssh-hsm-ca.dll --socket $dir/ca.sock ca keys"
echo "Ctrl-C stops it."
wait "${pids[0]}"
