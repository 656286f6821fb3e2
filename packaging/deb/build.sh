#!/usr/bin/env bash
# Builds ssh-hsm-ca_<version>_amd64.deb: both programs published self-contained and ReadyToRun
# (no .NET runtime on the target), the hardened unit, sysusers.d/tmpfiles.d entries, the
# commented example configuration (conffiles), man pages, changelog and copyright.
#
#   packaging/deb/build.sh [OUTPUT_DIR]      (default: packaging/deb/out)
#
# Needs the .NET SDK, dpkg-deb and gzip; runs lintian when it is installed (--lintian makes a
# missing lintian or any lintian error fatal).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
lintian_required=0
out="$here/out"
for arg in "$@"; do
  case "$arg" in
    --lintian) lintian_required=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) out=$arg ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n '1s/^ssh-hsm-ca (\([^)]*\)).*/\1/p' "$here/changelog")
[ -n "$version" ] || { echo "build.sh: no version in $here/changelog" >&2; exit 1; }
deb="$out/ssh-hsm-ca_${version}_amd64.deb"
stage=$(mktemp -d "${TMPDIR:-/tmp}/ssh-hsm-ca-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root="$stage/root"

publish() { # project, folder
  echo "build.sh: publishing $1 (self-contained, ReadyToRun)"
  dotnet publish "$repo/$1" -c Release -r linux-x64 --self-contained true \
    -p:PublishReadyToRun=true -p:DebugType=none -p:DebugSymbols=false \
    -nologo -v quiet -o "$root/usr/lib/ssh-hsm-ca/$2" >/dev/null
  # Not shipped: XML docs; the LTTng trace provider (needs liblttng-ust, loaded only if present);
  # ASP.NET's static web assets manifest (the daemon serves none).
  find "$root/usr/lib/ssh-hsm-ca/$2" \( -name '*.xml' -o -name '*.pdb' -o -name 'libcoreclrtraceptprovider.so' \
    -o -name '*.staticwebassets.endpoints.json' \) -delete
}
publish src/CaDaemon/SshHsmCa.CaDaemon.csproj daemon
publish src/Cli/SshHsmCa.Cli.csproj cli

install -d "$root/usr/sbin" "$root/usr/bin"
ln -s ../lib/ssh-hsm-ca/daemon/ssh-hsm-cad "$root/usr/sbin/ssh-hsm-cad"
ln -s ../lib/ssh-hsm-ca/cli/ssh-hsm-ca "$root/usr/bin/ssh-hsm-ca"

install -D -m 644 "$repo/systemd/ssh-hsm-ca.service" "$root/lib/systemd/system/ssh-hsm-ca.service"
install -D -m 644 "$repo/systemd/ssh-hsm-ca-renew.service" "$root/lib/systemd/system/ssh-hsm-ca-renew.service"
install -D -m 644 "$repo/systemd/ssh-hsm-ca-renew.timer" "$root/lib/systemd/system/ssh-hsm-ca-renew.timer"
install -D -m 644 "$repo/systemd/ssh-hsm-ca-krl.service" "$root/lib/systemd/system/ssh-hsm-ca-krl.service"
install -D -m 644 "$repo/systemd/ssh-hsm-ca-krl.timer" "$root/lib/systemd/system/ssh-hsm-ca-krl.timer"
install -D -m 644 "$repo/systemd/ssh-hsm-ca-log-monitor.service" "$root/lib/systemd/system/ssh-hsm-ca-log-monitor.service"
install -D -m 644 "$repo/systemd/ssh-hsm-ca-log-monitor.timer" "$root/lib/systemd/system/ssh-hsm-ca-log-monitor.timer"
install -D -m 644 "$here/sysusers.conf" "$root/usr/lib/sysusers.d/ssh-hsm-ca.conf"
install -D -m 644 "$here/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/ssh-hsm-ca.conf"
install -D -m 644 "$here/polkit.rules" "$root/usr/share/polkit-1/rules.d/50-ssh-hsm-ca.rules"
install -D -m 644 "$here/config.json" "$root/etc/ssh-hsm-ca/config.json"
install -D -m 644 "$here/policy.json" "$root/etc/ssh-hsm-ca/policy.json"
install -d -m 755 "$root/etc/ssh-hsm-ca/conf.d"

doc="$root/usr/share/doc/ssh-hsm-ca"
install -d "$doc/examples" "$root/usr/share/man/man1" "$root/usr/share/man/man8"
install -m 644 "$here/copyright" "$doc/copyright"
gzip -9n -c "$here/changelog" > "$doc/changelog.Debian.gz"
install -m 644 "$repo/docs/deployment.md" "$repo/docs/policy.md" "$repo/docs/audit-log.md" "$doc/"
install -m 644 "$here/config.json" "$here/policy.json" "$doc/examples/"
gzip -9n -c "$here/ssh-hsm-cad.8" > "$root/usr/share/man/man8/ssh-hsm-cad.8.gz"
gzip -9n -c "$here/ssh-hsm-ca.1" > "$root/usr/share/man/man1/ssh-hsm-ca.1.gz"
install -D -m 644 "$here/ssh-hsm-ca.bash-completion" "$root/usr/share/bash-completion/completions/ssh-hsm-ca"
install -D -m 644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/ssh-hsm-ca"

# Permissions as Debian expects them: directories 755, files and shared libraries 644, programs 755.
find "$root" -type d -exec chmod 755 {} +
find "$root/usr/lib/ssh-hsm-ca" -type f -exec chmod 644 {} +
find "$root/usr/lib/ssh-hsm-ca" -type f \( -name ssh-hsm-ca -o -name ssh-hsm-cad -o -name createdump \) -exec chmod 755 {} +
# Stripped like every Debian binary (the .NET host and runtime ship with symbols).
find "$root/usr/lib/ssh-hsm-ca" -type f \( -name '*.so' -o -name 'ssh-hsm-ca' -o -name 'ssh-hsm-cad' -o -name createdump \) \
  -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +

install -d "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" "$here/control.in" > "$root/DEBIAN/control"
install -m 755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
printf '/etc/ssh-hsm-ca/config.json\n/etc/ssh-hsm-ca/policy.json\n' > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"

rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "build.sh: $deb ($(du -h "$deb" | cut -f1), installed $((size / 1024)) MiB)"

if command -v lintian >/dev/null; then
  echo "build.sh: lintian"
  if ! lintian --fail-on error --no-tag-display-limit "$deb"; then
    echo "build.sh: lintian reported errors" >&2
    exit 1
  fi
elif [ "$lintian_required" = 1 ]; then
  echo "build.sh: lintian is not installed (apt-get install lintian)" >&2
  exit 1
fi
