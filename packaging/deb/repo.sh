#!/usr/bin/env bash
# Builds a signed apt repository of ssh-hsm-ca packages, for any static web server (issue 32):
#
#   packaging/deb/repo.sh --out DIR --gnupghome HOME --key FINGERPRINT [--url URL] [--channel v0] DEB...
#
#   DIR/pool/CHANNEL/*.deb                       the packages
#   DIR/dists/stable/CHANNEL/binary-amd64/Packages(.gz)
#   DIR/dists/stable/Release, InRelease, Release.gpg   signed with the key (SHA-512 digests)
#   DIR/ssh-hsm-ca-archive-keyring.pgp           the public key, binary OpenPGP (for Signed-By)
#   DIR/ssh-hsm-ca.sources                       deb822 sources for /etc/apt/sources.list.d/
#
# One channel per major version (a component: v0, v1, ...): a host follows one and never jumps a
# major version by itself. The key is the operator's (an Ed25519 or RSA-3072 OpenPGP key in
# GNUPGHOME, never in this repository); packaging/deb/repo-key.sh makes one for tests.
# Needs apt-ftparchive (apt-utils), gpg and gzip.
set -euo pipefail
out= home= key= url=http://127.0.0.1:8080/ channel=v0
debs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --gnupghome) home=$2; shift 2 ;;
    --key) key=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --channel) channel=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "repo.sh: unknown option $1" >&2; exit 2 ;;
    *) debs+=("$1"); shift ;;
  esac
done
[ -n "$out" ] && [ -n "$home" ] && [ -n "$key" ] && [ ${#debs[@]} -gt 0 ] \
  || { echo "repo.sh: --out DIR --gnupghome HOME --key FINGERPRINT and at least one .deb are required" >&2; exit 2; }
[[ "$channel" =~ ^v[0-9]+$ ]] || { echo "repo.sh: --channel is v and a major version (v0, v1, ...), not '$channel'" >&2; exit 2; }
for tool in apt-ftparchive gpg gzip; do
  command -v "$tool" >/dev/null || { echo "repo.sh: $tool is missing (apt-get install apt-utils gnupg)" >&2; exit 1; }
done

mkdir -p "$out/pool/$channel" "$out/dists/stable/$channel/binary-amd64"
for deb in "${debs[@]}"; do
  version=$(dpkg-deb -f "$deb" Version)
  major=${version%%.*}
  [ "v$major" = "$channel" ] || { echo "repo.sh: $deb is version $version, not for channel $channel" >&2; exit 1; }
  install -m 644 "$deb" "$out/pool/$channel/"
done

cd "$out"
apt-ftparchive -o APT::FTPArchive::MD5=false -o APT::FTPArchive::SHA1=false packages "pool/$channel" > "dists/stable/$channel/binary-amd64/Packages"
gzip -9nkf "dists/stable/$channel/binary-amd64/Packages"
components=$(cd dists/stable && ls -d v*/ | tr -d / | sort -V | tr '\n' ' ')
apt-ftparchive -o APT::FTPArchive::MD5=false -o APT::FTPArchive::SHA1=false \
  -o APT::FTPArchive::Release::Origin=ssh-hsm-ca \
  -o APT::FTPArchive::Release::Label=ssh-hsm-ca \
  -o APT::FTPArchive::Release::Suite=stable \
  -o APT::FTPArchive::Release::Codename=stable \
  -o APT::FTPArchive::Release::Architectures=amd64 \
  -o "APT::FTPArchive::Release::Components=${components% }" \
  -o APT::FTPArchive::Release::Description="ssh-hsm-ca packages" \
  release dists/stable > dists/stable/Release.new
mv dists/stable/Release.new dists/stable/Release
sign() { gpg --homedir "$home" --batch --yes --pinentry-mode loopback --passphrase '' --local-user "$key" --digest-algo SHA512 "$@"; }
sign --clearsign -o dists/stable/InRelease dists/stable/Release
sign --detach-sign --armor -o dists/stable/Release.gpg dists/stable/Release
gpg --homedir "$home" --batch --export "$key" > ssh-hsm-ca-archive-keyring.pgp
cat > ssh-hsm-ca.sources <<SOURCES
Types: deb
URIs: $url
Suites: stable
Components: $channel
Architectures: amd64
Signed-By: /usr/share/keyrings/ssh-hsm-ca-archive-keyring.pgp
SOURCES
echo "repo.sh: $out (channel $channel: $(ls "pool/$channel" | tr '\n' ' '))"
