#!/usr/bin/env bash
# Builds a Debian root file system tarball like the official debian:bookworm / debian:bookworm-slim images
# (docker-library's debuerreotype: a minbase debootstrap, apt tuned for containers; the slim variant
# drops docs, man pages and locales and tells dpkg to keep them out).
#
# usage: rootfs.sh full|slim OUT.tar
# env:   E2E_CACHE (debootstrap tarball cache), E2E_MIRROR, E2E_SECURITY_MIRROR (may be empty), E2E_SUITE
#
# The raw debootstrap result is cached in $E2E_CACHE/debootstrap-<hash>.tar (keyed by suite, mirror and
# debootstrap version), so only the first run downloads packages.
set -euo pipefail

variant="$1"
out="$2"
suite="${E2E_SUITE:-bookworm}"
mirror="${E2E_MIRROR:?E2E_MIRROR is not set}"
security="${E2E_SECURITY_MIRROR:-}"
cache="${E2E_CACHE:?E2E_CACHE is not set}"

raw_key=$(printf '%s\n' "$suite" "$mirror" minbase "$(debootstrap --version)" | sha256sum | cut -c1-16)
raw="$cache/debootstrap-$suite-minbase-$raw_key.tar"
work=$(mktemp -d "$cache/rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ ! -s "$raw" ]; then
  echo "rootfs: debootstrap --variant=minbase $suite from $mirror (cached afterwards as $raw)" >&2
  debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  tar --numeric-owner --xattrs -C "$work/root" -cf "$raw.partial" .
  mv "$raw.partial" "$raw"
  rm -rf "$work/root"
fi

root="$work/root"
mkdir -p "$root"
tar --numeric-owner --xattrs -C "$root" -xf "$raw"

# apt sources: the machine's mirror, written as deb822 the way the official image does.
rm -f "$root/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$suite" "$suite"
  if [ -n "$security" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$security" "$suite"
  fi
} >"$root/etc/apt/sources.list.d/debian.sources"

# apt tuned for containers, as in the official images (debuerreotype-minimizing-config).
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

if [ "$variant" = slim ]; then
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
# as in debian:*-slim: keep documentation, man pages and translations out of the image
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
DPKG
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root/usr/share/groff/"* "$root/usr/share/info/"* "$root/usr/share/linda/"* \
    "$root/usr/share/lintian/"* "$root/usr/share/locale/"* "$root/usr/share/man/"*
fi

# The machine's extra CA certificates (an intercepting proxy re-signs HTTPS): any image that installs
# ca-certificates picks them up through update-ca-certificates.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

# What a container image does not carry.
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb \
  "$root/var/log/"*.log "$root/var/log/apt/"* "$root/root/.bash_history" "$root/tmp/"*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
echo "$suite" >"$root/etc/hostname"

tar --numeric-owner --xattrs -C "$root" -cf "$out.partial" .
mv "$out.partial" "$out"
