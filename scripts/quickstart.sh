#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: a local SSH CA whose keys live on a SoftHSM2 token,
# serving gRPC on https://127.0.0.1:18443 and on an operator socket, with a development OpenID
# Connect provider; then the whole story: a host bootstrapped with a one-time token, a user
# logged in through SSO with the key and certificate in ssh-agent, and ssh into a loopback sshd
# with no prompt, no key file and no authorized_keys. The CA keeps serving until Ctrl-C;
# --demo-only stops it after the demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo_only=
[ "${1:-}" = "--demo-only" ] && demo_only=1

scripts/install-run-deps.sh
echo "== building"
dotnet build -c Release -nologo -v q src/CaDaemon/SshHsmCa.CaDaemon.csproj
dotnet build -c Release -nologo -v q src/Cli/SshHsmCa.Cli.csproj
dotnet build -c Release -nologo -v q tools/DevIdentityProvider/SshHsmCa.DevIdentityProvider.csproj

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

idp_port=${SSH_HSM_CA_DEV_IDP_PORT:-18900}
redirect_port=${SSH_HSM_CA_DEV_REDIRECT_PORT:-18765}
issuer="http://127.0.0.1:$idp_port/"
echo "== starting a development identity provider (OpenIddict) at $issuer; it approves $(id -un) automatically"
dotnet "$root/tools/DevIdentityProvider/bin/Release/net10.0/ssh-hsm-ca-dev-idp.dll" --port "$idp_port" --user "$(id -un)" --redirect-port "$redirect_port" >"$dir/idp.log" 2>&1 &
pids+=($!)

echo "== starting the CA (state in $dir; log in $dir/daemon.log)"
rm -f "$dir/ca.sock"
"${cad[@]}" --dev "$dir" --dev-port "$port" --dev-oidc-issuer "$issuer" >"$dir/daemon.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  [ -S "$dir/ca.sock" ] && break
  kill -0 "${pids[1]}" 2>/dev/null || { cat "$dir/daemon.log"; echo "the CA did not start" >&2; exit 1; }
  sleep 0.5
done
[ -S "$dir/ca.sock" ] || { cat "$dir/daemon.log"; echo "the CA did not start within 60 s" >&2; exit 1; }
# The identity provider starts beside the CA; on a loaded machine it may take longer: wait for it
# (bounded), and stop waiting at once if it exited.
for _ in $(seq 1 120); do
  grep -q "ready at" "$dir/idp.log" && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.5
done
grep -q "ready at" "$dir/idp.log" || { cat "$dir/idp.log"; echo "the identity provider did not start within 60 s" >&2; exit 1; }
operator=("${cli[@]}" --socket "$dir/ca.sock")
# Users and hosts reach the CA over TLS with no client certificate: an ID token or a bootstrap token.
remote=("${cli[@]}" --server "https://127.0.0.1:$port" --server-ca "$dir/tls-ca.pem")

echo "== the host: an operator makes a one-time bootstrap token; the host certifies its keys with it"
etc="$demo/etc-ssh"
mkdir -p "$etc"
ssh-keygen -q -t ed25519 -N '' -C demo-host -f "$etc/ssh_host_ed25519_key"
ssh-keygen -q -t ecdsa -N '' -C demo-host -f "$etc/ssh_host_ecdsa_key"
"${operator[@]}" host token localhost --validity 10m | head -1 > "$demo/bootstrap-token"
chmod 600 "$demo/bootstrap-token"
"${remote[@]}" host bootstrap --token-file "$demo/bootstrap-token" --ssh-dir "$etc" --sshd-config-dir "$etc/sshd_config.d"
cat "$etc/sshd_config.d/ssh-hsm-ca.conf"

mkdir -p /run/sshd 2>/dev/null || true
ssh_port=
for candidate in $(seq 22220 22260); do
  cat > "$demo/sshd_config" <<CONF
Include $etc/sshd_config.d/*.conf
Port $candidate
ListenAddress 127.0.0.1
HostKey $etc/ssh_host_ed25519_key
HostKey $etc/ssh_host_ecdsa_key
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
echo "sshd listening on 127.0.0.1:$ssh_port with the bootstrapped drop-in, trusting only the CA's user key"

echo "== the user: ssh-hsm-ca login (OpenID Connect, authorization code + PKCE; curl plays the browser)"
ssh-agent -D -a "$demo/agent.sock" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$demo/agent.sock" ] && break; sleep 0.1; done
printf '#!/bin/sh\nexec curl -sS -L -o /dev/null "$1"\n' > "$demo/browser"
chmod 700 "$demo/browser"
SSH_AUTH_SOCK="$demo/agent.sock" BROWSER="$demo/browser" "${remote[@]}" login --redirect-port "$redirect_port"
SSH_AUTH_SOCK="$demo/agent.sock" ssh-add -l

echo "== ssh with only the agent: StrictHostKeyChecking=yes, BatchMode=yes, known_hosts holds only the @cert-authority line"
"${operator[@]}" ca known-hosts --hosts localhost > "$demo/known_hosts"
cat "$demo/known_hosts"
ssh -F /dev/null -p "$ssh_port" \
  -o UserKnownHostsFile="$demo/known_hosts" -o GlobalKnownHostsFile=/dev/null \
  -o StrictHostKeyChecking=yes -o HostKeyAlias=localhost -o BatchMode=yes \
  -o IdentityAgent="$demo/agent.sock" -o IdentityFile=none "$(id -un)@127.0.0.1" \
  'echo "logged in as $(id -un) with a certificate signed inside the HSM, from ssh-agent, no key file"'

echo "== the issuance log: the certificate's leaf, proven against a checkpoint the log key in the HSM signed"
if grep -q '"log"' "$dir/config.json"; then
  serial=$("${operator[@]}" audit list --limit 1 | cut -f1)
  "${operator[@]}" audit verify --pin-announced --state "$demo/log.json"
  proved=
  for _ in $(seq 1 20); do
    if "${operator[@]}" audit prove "$serial" --state "$demo/log.json" > "$demo/proof.txt" 2>"$demo/proof.err"; then proved=1; break; fi
    sleep 0.5
  done
  [ -n "$proved" ] || { cat "$demo/proof.err"; echo "no signed checkpoint covered certificate $serial within 10 s" >&2; exit 1; }
  head -2 "$demo/proof.txt"
  echo "== done: the certificate is in the audit log ($dir/audit.db) and in the issuance log"
else
  echo "(this development CA in $dir predates the issuance log's key: remove the folder to make one with it)"
  echo "== done: the certificate is in the audit log ($dir/audit.db)"
fi
if [ -n "$demo_only" ]; then exit 0; fi
echo "The CA keeps serving on https://127.0.0.1:$port and $dir/ca.sock. Try:"
echo "  dotnet src/Cli/bin/Release/net10.0/ssh-hsm-ca.dll --socket $dir/ca.sock ca keys"
echo "Ctrl-C stops it."
wait "${pids[1]}"
