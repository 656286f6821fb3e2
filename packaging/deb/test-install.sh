#!/usr/bin/env bash
# The package install test: a fresh Debian 12 root (debootstrap --variant=minbase), the .deb
# installed with apt so its dependencies come from the archive, then: files, user, directories;
# systemd-analyze verify and security; --check-config on the packaged example once a SoftHSM2
# token exists; the daemon started as the unit's user with the unit's command line and a notify
# socket we bind: READY=1, a certificate signed for the CLI, a clean SIGTERM; remove keeps
# configuration and state; reinstall and upgrade keep a changed configuration; purge removes them.
#
#   packaging/deb/test-install.sh [PATH/TO/ssh-hsm-ca_*.deb]   (default: build it first)
#
# Needs root, debootstrap, systemd-nspawn (systemd-container) and python3. Prints "PASS"/"FAIL" per check, the measured start-to-READY
# time and idle memory, and last "install test: N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ $# -ge 1 ]; then
  deb=$(realpath "$1")
else
  "$here/build.sh" --lintian
  deb=$(ls -t "$here"/out/ssh-hsm-ca_*_amd64.deb | head -1)
fi
[ -f "$deb" ] || { echo "test-install.sh: no package at $deb" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "test-install.sh: needs root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap systemd-nspawn nsenter /usr/bin/python3 dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "test-install.sh: $tool is missing (scripts/install-test-deps.sh installs it)" >&2; exit 1; }
done

work=$(mktemp -d /var/tmp/ssh-hsm-ca-install.XXXXXX)
root="$work/root"
passed=0
failed=0
container=
unmount_root() {
  for m in "$root/dev/pts" "$root/dev" "$root/proc" "$root/sys"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m"; fi
  done
}
mount_root() {
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"
}
http_server=
cleanup() {
  if [ -n "$container" ]; then kill "$container" 2>/dev/null; wait "$container" 2>/dev/null; fi
  if [ -n "$http_server" ]; then kill "$http_server" 2>/dev/null; wait "$http_server" 2>/dev/null; fi
  unmount_root
  rm -rf "$work"
}
trap cleanup EXIT

check() { # name, command...
  local name=$1; shift
  if "$@" >"$work/check.log" 2>&1; then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; sed 's/^/    /' "$work/check.log" | tail -40; failed=$((failed + 1))
  fi
}
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
apt_in_root() { in_root apt-get -q -y -o Dpkg::Use-Pty=0 "$@"; }

echo "test-install.sh: debootstrap --variant=minbase bookworm ($mirror)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log"; exit 1; }
mount_root
cp /etc/resolv.conf "$root/etc/resolv.conf"
apt_in_root update >/dev/null

cp "$deb" "$root/tmp/"
name=$(basename "$deb")
echo "test-install.sh: apt-get install ./$name"
check "apt-get install resolves the dependencies from the archive" apt_in_root install "/tmp/$name"
check "no .NET runtime was installed: the programs are self-contained" \
  bash -c "! chroot '$root' dpkg -l 'dotnet*' 'aspnetcore*' 2>/dev/null | grep -q '^ii'"
check "dependencies installed: libssl3, libpcsclite1, systemd, softhsm2 and openssh-client (recommended)" \
  in_root dpkg -s libssl3 libpcsclite1 systemd softhsm2 openssh-client
check "programs on PATH: ssh-hsm-cad --help, ssh-hsm-ca --help, --version and a command's own --help" \
  bash -c "chroot '$root' /usr/sbin/ssh-hsm-cad --help | grep -q usage && chroot '$root' /usr/bin/ssh-hsm-ca --help | grep -q Usage: \
    && chroot '$root' /usr/bin/ssh-hsm-ca --version | grep -q . && chroot '$root' /usr/bin/ssh-hsm-ca host token --help | grep -q 'host token <NAME>'"
check "unit, sysusers.d, tmpfiles.d, man pages, example configuration, copyright, pcscd polkit rule, bash completion" \
  bash -c "cd '$root' && test -f lib/systemd/system/ssh-hsm-ca.service -a -f usr/lib/sysusers.d/ssh-hsm-ca.conf \
    -a -f usr/lib/tmpfiles.d/ssh-hsm-ca.conf -a -f usr/share/man/man8/ssh-hsm-cad.8.gz -a -f usr/share/man/man1/ssh-hsm-ca.1.gz \
    -a -f etc/ssh-hsm-ca/config.json -a -f etc/ssh-hsm-ca/policy.json -a -f usr/share/doc/ssh-hsm-ca/copyright \
    -a -f usr/share/polkit-1/rules.d/50-ssh-hsm-ca.rules -a -f usr/share/bash-completion/completions/ssh-hsm-ca"
check "system user ssh-hsm-ca (nologin) in group softhsm" \
  bash -c "chroot '$root' getent passwd ssh-hsm-ca | grep -q ':/usr/sbin/nologin\$' && chroot '$root' id -nG ssh-hsm-ca | grep -qw softhsm"
check "state directory /var/lib/ssh-hsm-ca 0750 owned by ssh-hsm-ca" \
  bash -c "[ \"\$(chroot '$root' stat -c '%a %U %G' /var/lib/ssh-hsm-ca)\" = '750 ssh-hsm-ca ssh-hsm-ca' ]"
check "runtime directory /run/ssh-hsm-ca owned by ssh-hsm-ca" \
  bash -c "[ \"\$(chroot '$root' stat -c '%U' /run/ssh-hsm-ca)\" = ssh-hsm-ca ]"
check "service enabled (multi-user.target.wants), and not running" \
  bash -c "test -L '$root/etc/systemd/system/multi-user.target.wants/ssh-hsm-ca.service' && ! pgrep -x ssh-hsm-cad"
# --man=no: minbase has no man-db; the man pages themselves are checked above.
check "systemd-analyze verify ssh-hsm-ca.service is clean" \
  bash -c "out=\$(chroot '$root' systemd-analyze verify --man=no /lib/systemd/system/ssh-hsm-ca.service 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
in_root systemd-analyze security --offline=true /lib/systemd/system/ssh-hsm-ca.service >"$work/security.txt" 2>&1 || true
exposure=$(sed -n 's/.*Overall exposure level for ssh-hsm-ca.service: \([0-9.]* [A-Z]*\).*/\1/p' "$work/security.txt")
echo "     systemd-analyze security --offline=true: ${exposure:-no score}"
check "systemd-analyze security rates the unit OK or better" bash -c "[[ '$exposure' =~ (SAFE|OK|PERFECT)\$ ]]"

# The operator's part: a SoftHSM2 token with the two keys the packaged example names.
pin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
check "operator: token and keys with softhsm2-util and pkcs11-tool, as the daemon's user" bash -c "
  chroot '$root' runuser -u ssh-hsm-ca -- softhsm2-util --init-token --free --label ssh-hsm-ca --so-pin '$pin$pin' --pin '$pin' &&
  for k in 'user-ca 01' 'host-ca 02'; do set -- \$k;
    chroot '$root' runuser -u ssh-hsm-ca -- pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --login --pin '$pin' --token-label ssh-hsm-ca \
      --keypairgen --key-type EC:prime256v1 --label \$1 --id \$2 || exit 1; done"
check "ssh-hsm-cad --check-config accepts the packaged example and says what it did not check" bash -c "out=\$(chroot '$root' /usr/sbin/ssh-hsm-cad --check-config 2>&1); rc=\$?; echo \"\$out\"; [ \$rc = 0 ] && grep -q 'Not checked: the CA keys' <<<\"\$out\""
printf '{ "roles": [ { "name": "typo", "match": [ { "unix": { "uid": [0] } } ] } ] }' > "$work/bad-policy.json"
cp "$work/bad-policy.json" "$root/tmp/bad-policy.json"
mkdir -p "$root/etc/ssh-hsm-ca/conf.d"
printf '{ "policyFile": "/tmp/bad-policy.json" }' > "$root/etc/ssh-hsm-ca/conf.d/50-bad.json"
check "--check-config names the file and JSON path of a bad policy and exits 1" bash -c "
  out=\$(chroot '$root' /usr/sbin/ssh-hsm-cad --check-config 2>&1); rc=\$?; echo \"\$out\"; [ \$rc = 1 ] && grep -q 'bad-policy.json: \$.roles\[0\].match\[0\].unix' <<<\"\$out\""
rm "$root/etc/ssh-hsm-ca/conf.d/50-bad.json"

# The daemon as systemd would start it: the unit's user and groups, its ExecStart, the PIN as
# the credential LoadCredential= makes, and a notify socket of ours.
exec_start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/ssh-hsm-ca.service")
user=$(sed -n 's/^User=//p' "$root/lib/systemd/system/ssh-hsm-ca.service")
install -m 0600 /dev/null "$root/etc/ssh-hsm-ca/token-pin"
printf '%s' "$pin" > "$root/etc/ssh-hsm-ca/token-pin"
creds=/run/credentials/ssh-hsm-ca.service
mkdir -p "$root$creds"
cp "$root/etc/ssh-hsm-ca/token-pin" "$root$creds/token-pin"
chroot "$root" chown "$user" "$creds/token-pin"
chmod 0400 "$root$creds/token-pin"
chroot "$root" ssh-keygen -q -t ed25519 -N '' -C web-01 -f /tmp/web-01 </dev/null
/usr/bin/python3 "$here/notify-harness.py" "$root/run/notify.sock" \
  "chroot '$root' ssh-hsm-ca --socket /run/ssh-hsm-ca/ca.sock sign --host -n web-01.example.internal /tmp/web-01.pub" \
  -- chroot "$root" setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=-all \
     /usr/bin/env -i PATH=/usr/bin:/bin NOTIFY_SOCKET=/run/notify.sock CREDENTIALS_DIRECTORY="$creds" \
     DOTNET_EnableDiagnostics=0 $exec_start > "$work/harness.txt" 2>"$work/daemon.log" || true
cat "$work/harness.txt"
value() { sed -n "s/^$1=//p" "$work/harness.txt"; }
check "daemon as the unit's user reports READY=1" bash -c "[ -n '$(value ready_seconds)' ] || { cat '$work/daemon.log'; false; }"
check "CLI over the operator socket gets a host certificate" bash -c "
  [ '$(value client_status)' = 0 ] && chroot '$root' ssh-keygen -L -f /tmp/web-01-cert.pub | tee /dev/stderr | grep -q 'web-01.example.internal'"
check "SIGTERM: STOPPING=1 and exit status 0" bash -c "[ '$(value stopping)' = 1 ] && [ '$(value exit_status)' = 0 ]"
check "the certificate is in the audit database, owned by the daemon's user" bash -c "
  [ \"\$(chroot '$root' stat -c %U /var/lib/ssh-hsm-ca/audit.db)\" = '$user' ] && grep -q web-01.example.internal '$root'/var/lib/ssh-hsm-ca/audit.db*"
check "no PIN in the daemon's output" bash -c "! grep -q '$pin' '$work/daemon.log'"
ready_seconds=$(value ready_seconds)
idle_rss_kib=$(value idle_rss_kib)

# The same root booted with systemd (systemd-nspawn, no network): the unit itself, with its
# sandbox, as the service manager runs it.
unmount_root
timeout 300 systemd-nspawn -q -D "$root" -b --register=no --keep-unit --private-network \
  >"$work/boot.log" 2>&1 </dev/null &
container=$!
init=
for _ in $(seq 1 100); do
  nspawn=$(pgrep -P "$container" -x systemd-nspawn || true)
  init=$(pgrep -P "${nspawn:-0}" -x systemd || true)
  [ -n "$init" ] && break
  sleep 0.2
done
in_box() { nsenter -t "$init" -a /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
check "systemd boots the root (systemd-nspawn)" bash -c "[ -n '$init' ] || { cat '$work/boot.log'; false; }"
if [ -n "$init" ]; then
  # "running" or "degraded" (a container lacks some hardware units): either way boot is over.
  # Polled: until the box's systemd has its bus, systemctl fails at once ("Failed to connect to
  # bus") instead of waiting, which once let the next check run before boot (a CI flake).
  for _ in $(seq 1 90); do
    case "$(nsenter -t "$init" -a systemctl is-system-running 2>/dev/null || true)" in
      running|degraded) break ;;
    esac
    sleep 1
  done
  check "systemd: the enabled unit started at boot and is active (READY=1)" in_box systemctl is-active ssh-hsm-ca.service
  box_ready_us=$(in_box sh -c 'echo $(( $(systemctl show -p ActiveEnterTimestampMonotonic --value ssh-hsm-ca) - $(systemctl show -p ExecMainStartTimestampMonotonic --value ssh-hsm-ca) ))')
  check "systemd: the daemon runs as ssh-hsm-ca with no capabilities, NoNewPrivs and a seccomp filter" in_box sh -c '
    pid=$(systemctl show -p MainPID --value ssh-hsm-ca); s=/proc/$pid/status; cat $s | grep -E "^(Uid|CapBnd|CapEff|NoNewPrivs|Seccomp):";
    [ "$(stat -c %U /proc/$pid)" = ssh-hsm-ca ] && grep -q "^CapBnd:[[:space:]]*0000000000000000" $s &&
    grep -q "^NoNewPrivs:[[:space:]]*1" $s && grep -q "^Seccomp:[[:space:]]*2" $s'
  check "systemd: the CLI gets a certificate from the sandboxed daemon" in_box sh -c '
    ssh-keygen -q -t ed25519 -N "" -C web-02 -f /root/web-02 </dev/null &&
    ssh-hsm-ca --socket /run/ssh-hsm-ca/ca.sock sign --host -n web-02.example.internal /root/web-02.pub &&
    ssh-keygen -L -f /root/web-02-cert.pub | grep -q web-02.example.internal'
  sleep 3
  box_rss_kib=$(in_box sh -c 'grep VmRSS /proc/$(systemctl show -p MainPID --value ssh-hsm-ca)/status' | awk '{print $2}')
  check "systemd: systemctl reload (SIGHUP) reloads the policy and the daemon stays" in_box sh -c '
    systemctl reload ssh-hsm-ca && sleep 1 && systemctl is-active ssh-hsm-ca &&
    journalctl -u ssh-hsm-ca --no-pager -o cat | grep -q "reloaded: 2 roles"'
  # This appliance as a host of its own CA: a revocation reaches sshd's RevokedKeys file through
  # the packaged ssh-hsm-ca-krl.service (its ExecStart, sandbox and EnvironmentFile), verified.
  check "KRL: a revocation reaches the host's RevokedKeys file through ssh-hsm-ca-krl.service" in_box sh -c '
    set -ex; s=/run/ssh-hsm-ca/ca.sock
    ssh-keygen -q -t ed25519 -N "" -C web-03 -f /root/web-03 </dev/null
    ssh-hsm-ca --socket $s sign --host -n web-03.example.internal /root/web-03.pub >/dev/null
    ssh-hsm-ca --socket $s ca keys | sed -n 2p > /etc/ssh/ssh-hsm-ca-user-ca.pub
    echo SSH_HSM_CA_SOCKET=$s > /etc/default/ssh-hsm-ca-renew
    systemctl start ssh-hsm-ca-krl.service
    ssh-keygen -Q -f /etc/ssh/ssh-hsm-ca-revoked.krl /root/web-03-cert.pub | grep ": ok"
    serial=$(ssh-keygen -L -f /root/web-03-cert.pub | sed -n "s/^ *Serial: //p")
    ssh-hsm-ca --socket $s revoke --serial "$serial" --reason "install test" >/dev/null
    systemctl start ssh-hsm-ca-krl.service
    ssh-keygen -Q -f /etc/ssh/ssh-hsm-ca-revoked.krl /root/web-03-cert.pub | grep REVOKED
    systemd-analyze verify --man=no /lib/systemd/system/ssh-hsm-ca-krl.service /lib/systemd/system/ssh-hsm-ca-krl.timer'
  check "systemd: systemctl stop drains and exits 0" in_box sh -c '
    systemctl stop ssh-hsm-ca && [ "$(systemctl show -p ExecMainStatus --value ssh-hsm-ca)" = 0 ] &&
    [ "$(systemctl is-active ssh-hsm-ca)" = inactive ]'
  check "systemd: without /etc/ssh-hsm-ca/token-pin the unit is skipped, not failed" in_box sh -c '
    mv /etc/ssh-hsm-ca/token-pin /root/token-pin && systemctl start ssh-hsm-ca;
    r=$(systemctl show -p ConditionResult --value ssh-hsm-ca); a=$(systemctl is-active ssh-hsm-ca);
    mv /root/token-pin /etc/ssh-hsm-ca/token-pin; echo "ConditionResult=$r active=$a"; [ "$r" = no ] && [ "$a" = inactive ]'
  in_box systemctl poweroff >/dev/null 2>&1 || true
fi
wait "$container" 2>/dev/null || true
container=
mount_root

# Remove keeps configuration and state; a changed conffile survives reinstall and upgrade.
echo '// local change kept across reinstall' >> "$root/etc/ssh-hsm-ca/config.json"
check "apt-get remove" apt_in_root remove ssh-hsm-ca
check "after remove: programs gone, configuration, PIN and audit database kept" bash -c "cd '$root' &&
  test ! -e usr/sbin/ssh-hsm-cad && test -f etc/ssh-hsm-ca/config.json && test -f etc/ssh-hsm-ca/token-pin && test -f var/lib/ssh-hsm-ca/audit.db"
check "reinstall over the existing configuration" apt_in_root install "/tmp/$name"
check "reinstall kept the changed config.json and the audit database" bash -c "
  grep -q 'local change kept' '$root/etc/ssh-hsm-ca/config.json' && test -f '$root/var/lib/ssh-hsm-ca/audit.db'"
# An upgrade: the same package with a higher version.
dpkg-deb -R "$deb" "$work/next"
sed -i 's/^Version: \(.*\)$/Version: \1+test1/' "$work/next/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$work/next" "$root/tmp/next.deb" >/dev/null
check "upgrade to a newer version" apt_in_root install /tmp/next.deb
check "upgrade kept the changed config.json, the state and the enabled unit" bash -c "
  grep -q 'local change kept' '$root/etc/ssh-hsm-ca/config.json' && test -f '$root/var/lib/ssh-hsm-ca/audit.db' &&
  test -L '$root/etc/systemd/system/multi-user.target.wants/ssh-hsm-ca.service' &&
  chroot '$root' dpkg-query -W -f '\${Version}' ssh-hsm-ca | grep -q '+test1'"
check "apt-get purge" apt_in_root purge ssh-hsm-ca
check "after purge: configuration and state are gone" bash -c "cd '$root' && test ! -e etc/ssh-hsm-ca -a ! -e var/lib/ssh-hsm-ca -a ! -e usr/sbin/ssh-hsm-cad"

# The signed apt repository (issue 32, packaging/deb/repo.sh) served over HTTP on loopback: apt
# with nothing added but the deb822 .sources and the keyring installs the package; an InRelease
# altered after signing, and one re-signed with another key, are refused.
echo "test-install.sh: a signed apt repository (repo.sh) on loopback"
repo_dir="$work/repo"
repo_key=$("$here/repo-key.sh" "$work/gnupg")
other_key=$("$here/repo-key.sh" "$work/gnupg-other")
repo_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$here/repo.sh" --out "$repo_dir" --gnupghome "$work/gnupg" --key "$repo_key" --url "http://127.0.0.1:$repo_port/" "$deb" >"$work/repo.log"
python3 -m http.server --bind 127.0.0.1 --directory "$repo_dir" "$repo_port" >"$work/http.log" 2>&1 &
http_server=$!
for _ in $(seq 1 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$repo_port/ssh-hsm-ca.sources')" 2>/dev/null && break; sleep 0.1; done
install -m 644 "$repo_dir/ssh-hsm-ca-archive-keyring.pgp" "$root/usr/share/keyrings/ssh-hsm-ca-archive-keyring.pgp"
install -m 644 "$repo_dir/ssh-hsm-ca.sources" "$root/etc/apt/sources.list.d/ssh-hsm-ca.sources"
apt_update() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 apt-get -o Dpkg::Use-Pty=0 update 2>&1; }
check "apt update reads the signed repository from the deb822 .sources (Signed-By), with no warning about it" bash -c "
  out=\$($(declare -f apt_update); root='$root' apt_update); rc=\$?; echo \"\$out\"
  [ \$rc = 0 ] && grep -q '127.0.0.1:$repo_port stable InRelease' <<<\"\$out\" && ! grep -E '^(W|E|N):' <<<\"\$out\" | grep -q '127.0.0.1'"
check "apt-get install ssh-hsm-ca from the repository" bash -c "
  $(declare -f in_root apt_in_root); root='$root'; apt_in_root install ssh-hsm-ca &&
  chroot '$root' apt-cache policy ssh-hsm-ca | grep -q 'http://127.0.0.1:$repo_port stable/v0'"
cp "$repo_dir/dists/stable/InRelease" "$work/InRelease.good"
sed -i 's/^Label: ssh-hsm-ca$/Label: ssh-hsm-cb/' "$repo_dir/dists/stable/InRelease"
check "apt update refuses an InRelease altered after it was signed" bash -c "
  out=\$($(declare -f apt_update); root='$root' apt_update); rc=\$?; echo \"\$out\"
  grep -qE 'BADSIG|signature.*(invalid|verif)|not signed' <<<\"\$out\" && { [ \$rc != 0 ] || grep -qE '^(E|W):.*127.0.0.1' <<<\"\$out\"; }"
gpg --homedir "$work/gnupg-other" --batch --yes --pinentry-mode loopback --passphrase '' --local-user "$other_key" --digest-algo SHA512 \
  --clearsign -o "$repo_dir/dists/stable/InRelease" "$repo_dir/dists/stable/Release" 2>/dev/null
gpg --homedir "$work/gnupg-other" --batch --yes --pinentry-mode loopback --passphrase '' --local-user "$other_key" --digest-algo SHA512 \
  --detach-sign --armor -o "$repo_dir/dists/stable/Release.gpg" "$repo_dir/dists/stable/Release" 2>/dev/null
check "apt update refuses the repository re-signed with another key" bash -c "
  out=\$($(declare -f apt_update); root='$root' apt_update); rc=\$?; echo \"\$out\"
  grep -qE 'NO_PUBKEY|not signed|public key is not available|Missing key' <<<\"\$out\" && { [ \$rc != 0 ] || grep -qE '^(E|W):.*127.0.0.1' <<<\"\$out\"; }"
kill "$http_server" 2>/dev/null; wait "$http_server" 2>/dev/null || true
http_server=

echo "start to READY=1: ${ready_seconds:-?} s by our notify socket, $(( ${box_ready_us:-0} / 1000 )) ms under systemd (target < 1.5 s)"
echo "idle memory (VmRSS): $(( ${idle_rss_kib:-0} / 1024 )) MiB after READY, $(( ${box_rss_kib:-0} / 1024 )) MiB under systemd after a signature (target < 120 MB)"
echo "systemd-analyze security --offline=true: ${exposure:-?}"
echo "install test: $passed passed, $failed failed"
[ "$failed" = 0 ]
