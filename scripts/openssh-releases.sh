#!/usr/bin/env bash
# The OpenSSH releases the tests judge with besides this machine's own (Debian 12, 9.2p1):
# Debian 13 "trixie" (10.0p1) and sid (the newest, 10.6p1 when this was written). Each is a
# minimal debootstrap root with openssh-server and openssh-client from Debian's mirror, cached
# between runs, and a folder of wrappers that run the release's own programs with the release's
# own C library and OpenSSL (the root's dynamic loader, --library-path): ssh, ssh-keygen,
# ssh-agent, ssh-add, sshd, and sshd's helpers sshd-session and sshd-auth (OpenSSH >= 9.8 / 10.0
# execute them by path; the sshd wrapper points SshdSessionPath and SshdAuthPath at the wrappers).
# Everything else stays this machine's: users, /etc, /tmp, the loopback network, so a test runs
# the same way with either release and no path is rewritten.
#
#   scripts/openssh-releases.sh prepare RELEASE...   build or reuse each root; print its version
#   scripts/openssh-releases.sh bin RELEASE          print the wrappers' folder of a prepared root
#   scripts/openssh-releases.sh version RELEASE      print the recorded version line
#
# Cache: $SSHHSMCA_OPENSSH_CACHE (default /var/cache/ssh-hsm-ca/openssh). A root is rebuilt when
# it is older than $SSHHSMCA_OPENSSH_MAX_AGE_DAYS (default 7; sid moves daily) or absent; a
# failed build leaves no half root behind and fails loudly. Needs root and debootstrap.
set -euo pipefail
cache=${SSHHSMCA_OPENSSH_CACHE:-/var/cache/ssh-hsm-ca/openssh}
max_age_days=${SSHHSMCA_OPENSSH_MAX_AGE_DAYS:-7}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tools=(usr/bin/ssh usr/bin/ssh-keygen usr/bin/ssh-agent usr/bin/ssh-add usr/sbin/sshd
  usr/lib/openssh/sshd-session usr/lib/openssh/sshd-auth usr/lib/openssh/ssh-sk-helper)

die() { echo "openssh-releases.sh: $*" >&2; exit 1; }

check_release() {
  case "$1" in
    trixie | sid | forky) ;;
    *) die "unknown release '$1' (expected trixie, sid or forky)" ;;
  esac
}

# Writes the wrappers of a root into its bin/ folder; argv[0] is the wrapper itself, so a
# program that executes itself again (sshd on SIGHUP) comes back through the wrapper.
write_wrappers() { # dir
  local dir=$1 root=$1/root bin=$1/bin tool name extra
  local loader=$root/usr/lib64/ld-linux-x86-64.so.2 libs=$root/usr/lib/x86_64-linux-gnu
  [ -x "$loader" ] || die "$root has no dynamic loader at usr/lib64/ld-linux-x86-64.so.2"
  rm -rf "$bin" && mkdir -p "$bin"
  for tool in "${tools[@]}"; do
    name=$(basename "$tool")
    extra=
    [ "$name" = sshd ] && extra=" -o SshdSessionPath=$bin/sshd-session -o SshdAuthPath=$bin/sshd-auth"
    [ -x "$root/$tool" ] || die "$root/$tool is missing: is the release older than OpenSSH 10.0?"
    # SSH_SK_HELPER: ssh-keygen, ssh-agent and ssh run the security-key helper of their release.
    printf '#!/bin/sh\n# %s of the %s root (scripts/openssh-releases.sh)\nSSH_SK_HELPER=%s exec %s --library-path %s --argv0 %s %s%s "$@"\n' \
      "/$tool" "$(basename "$dir")" "$bin/ssh-sk-helper" "$loader" "$libs" "$bin/$name" "$root/$tool" "$extra" >"$bin/$name"
    chmod 0755 "$bin/$name"
  done
}

prepare() { # release
  local release=$1 dir=$cache/$1 fresh
  check_release "$release"
  if [ -f "$dir/version" ] && [ -n "$(find "$dir/version" -mtime -"$max_age_days" 2>/dev/null)" ]; then
    chmod 0755 "$dir"
    write_wrappers "$dir"
    echo "openssh $release: $(cat "$dir/version") (cached root of $(date -r "$dir/version" -u +%F))"
    return
  fi
  [ "$(id -u)" = 0 ] || die "building the $release root needs root (debootstrap)"
  command -v debootstrap >/dev/null || die "debootstrap is missing (scripts/install-test-deps.sh installs it)"
  mkdir -p "$cache"
  fresh=$(mktemp -d "$cache/.$release.XXXXXX")
  chmod 0755 "$fresh"   # tests run the programs as other users too
  echo "openssh $release: debootstrap --variant=minbase $release with openssh-server, openssh-client ($mirror)"
  if ! debootstrap --variant=minbase --include=openssh-server,openssh-client "$release" "$fresh/root" "$mirror" \
      >"$fresh/debootstrap.log" 2>&1; then
    tail -20 "$fresh/debootstrap.log" >&2
    rm -rf "$fresh"
    die "debootstrap of $release failed"
  fi
  # Nothing of the root runs as a system: no services, no apt lists to keep.
  rm -rf "$fresh/root/var/cache/apt/archives/"*.deb "$fresh/root/var/lib/apt/lists/"*
  write_wrappers "$fresh"
  local banner packages
  banner=$("$fresh/bin/ssh" -V 2>&1) || { rm -rf "$fresh"; die "the $release ssh does not run: $banner"; }
  packages=$(chroot "$fresh/root" dpkg-query -W -f='${Package} ${Version}\n' openssh-server openssh-client libc6 libssl3t64 2>/dev/null | paste -sd ',' | sed 's/,/, /g')
  echo "$banner; Debian $release: $packages" >"$fresh/version"
  rm -rf "$dir"
  mv "$fresh" "$dir"
  write_wrappers "$dir"   # the paths inside name the final folder
  echo "openssh $release: $(cat "$dir/version")"
}

[ $# -ge 1 ] || die "usage: $0 prepare RELEASE... | bin RELEASE | version RELEASE"
command=$1; shift
case "$command" in
  prepare)
    [ $# -ge 1 ] || die "prepare: name at least one release"
    for release in "$@"; do prepare "$release"; done ;;
  bin)
    check_release "${1:-}"
    [ -x "$cache/$1/bin/ssh" ] || die "no $1 root at $cache/$1 (run: $0 prepare $1)"
    echo "$cache/$1/bin" ;;
  version)
    check_release "${1:-}"
    [ -f "$cache/$1/version" ] || die "no $1 root at $cache/$1 (run: $0 prepare $1)"
    sed 's/[,;].*//' "$cache/$1/version" ;;
  *) die "unknown command '$command'" ;;
esac
