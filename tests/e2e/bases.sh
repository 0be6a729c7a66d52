#!/usr/bin/env bash
# Builds the stand-in base images listed in tests/e2e/bases/bases.list, once: an image is rebuilt only when
# the hash of its recipe (and of what it is built from) changes. The hash is stored in the image's
# `dockopt.e2e.key` label; debootstrap results are cached in $E2E_CACHE.
#
# Sourced by run.sh (function e2e_build_bases), or run on its own: tests/e2e/bases.sh
# Needs: DOCKER (a docker client), a running engine, root, debootstrap.

E2E_BASES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/bases"

# The Debian mirror this machine's apt uses (deb822 or one-line sources), for the suite and for security.
e2e_detect_mirrors() {
  local files=(/etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  E2E_MIRROR="${E2E_MIRROR:-}"
  E2E_SECURITY_MIRROR="${E2E_SECURITY_MIRROR:-}"
  local f uri
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources)
        # stanza by stanza: URIs + Suites
        while IFS='|' read -r uri suites; do
          case " $suites " in
            *-security*) [ -n "$E2E_SECURITY_MIRROR" ] || E2E_SECURITY_MIRROR="$uri" ;;
            *) [ -n "$E2E_MIRROR" ] || E2E_MIRROR="$uri" ;;
          esac
        done < <(awk 'BEGIN{RS=""; FS="\n"} {u="";s=""; for(i=1;i<=NF;i++){ if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i); split($i,a," "); u=a[1]} if($i ~ /^Suites:/){sub(/^Suites:[ \t]*/,"",$i); s=$i} } if(u!="" && s!="") print u "|" s}' "$f")
        ;;
      *)
        while read -r uri suite; do
          case "$suite" in
            *-security*) [ -n "$E2E_SECURITY_MIRROR" ] || E2E_SECURITY_MIRROR="$uri" ;;
            *) [ -n "$E2E_MIRROR" ] || E2E_MIRROR="$uri" ;;
          esac
        done < <(sed -n 's/^deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?\([^ \t]\+\)[ \t]\+\([^ \t]\+\).*/\2 \3/p' "$f")
        ;;
    esac
  done
  E2E_MIRROR="${E2E_MIRROR:-http://deb.debian.org/debian}"
  export E2E_MIRROR E2E_SECURITY_MIRROR
}

e2e_image_label() { # IMAGE LABEL -> value or empty
  "$DOCKER" image inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

e2e_image_size_mb() {
  local b
  b=$("$DOCKER" image inspect --format '{{.Size}}' "$1" 2>/dev/null) || { echo "?"; return; }
  awk -v b="$b" 'BEGIN{printf "%.1f", b/1000000}'
}

# The recipe hash of one base.
e2e_base_key() { # NAME RECIPE
  local name="$1" recipe="$2"
  {
    echo "name=$name recipe=$recipe"
    case "$recipe" in
      rootfs:*)
        cat "$E2E_BASES_DIR/rootfs.sh"
        local spec="${recipe#rootfs:}" suite=bookworm
        [ "$spec" = "${spec%%:*}" ] || suite="${spec#*:}"
        echo "mirror=$E2E_MIRROR security=$E2E_SECURITY_MIRROR suite=$suite"
        debootstrap --version
        cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true
        ;;
      *)
        cat "$E2E_BASES_DIR/$recipe"
        local parent
        for parent in $(awk 'toupper($1)=="FROM"{for(i=2;i<=NF;i++) if($i !~ /^--/){print $i; break}}' "$E2E_BASES_DIR/$recipe"); do
          echo "parent=$parent $("$DOCKER" image inspect --format '{{.Id}}' "$parent" 2>/dev/null)"
        done
        ;;
    esac
  } | sha256sum | cut -c1-16
}

e2e_build_one_base() { # NAME RECIPE TAG...
  local name="$1" recipe="$2"
  shift 2
  local tags=("$@") key log t start
  key=$(e2e_base_key "$name" "$recipe")
  if [ "$(e2e_image_label "${tags[0]}" dockopt.e2e.key)" = "$key" ]; then
    for t in "${tags[@]:1}"; do "$DOCKER" tag "${tags[0]}" "$t"; done
    printf '  %-15s cached      %-32s %8s MB\n' "$name" "${tags[0]}" "$(e2e_image_size_mb "${tags[0]}")"
    return 0
  fi
  log="$E2E_LOGS/base-$name.log"
  # An optional base that failed with this very recipe less than a day ago is not tried again every run.
  local failed="$E2E_CACHE/failed-$name-$key"
  if [ "${E2E_BASE_OPTIONAL:-0}" = 1 ] && [ -n "$(find "$failed" -mmin -1440 2>/dev/null)" ]; then
    printf '  %-15s skipped     %-32s (failed less than a day ago, see %s; delete %s to retry)\n' \
      "$name" "${tags[0]}" "$log" "$failed"
    return 1
  fi
  start=$(date +%s)
  printf '  %-15s building    %-32s (log: %s)\n' "$name" "${tags[0]}" "$log"
  if ! e2e_build_base_image "$name" "$recipe" "$key" "$log" "${tags[@]}"; then
    echo "  $name: first attempt failed; retrying once (a download may have failed)" >&2
    if ! e2e_build_base_image "$name" "$recipe" "$key" "$log" "${tags[@]}"; then
      tail -n 40 "$log" >&2
      : >"$failed"
      return 1
    fi
  fi
  rm -f "$E2E_CACHE/failed-$name-"*
  for t in "${tags[@]:1}"; do "$DOCKER" tag "${tags[0]}" "$t"; done
  printf '  %-15s built in %3ss %-30s %8s MB\n' "$name" "$(($(date +%s) - start))" "${tags[0]}" "$(e2e_image_size_mb "${tags[0]}")"
}

# One attempt at building a base image; its output goes to LOG.
e2e_build_base_image() { # NAME RECIPE KEY LOG TAG...
  local name="$1" recipe="$2" key="$3" log="$4" t
  shift 4
  local tags=("$@")
  case "$recipe" in
    rootfs:*)
      local tarball="$E2E_CACHE/rootfs-$name-$key.tar"
      local spec="${recipe#rootfs:}" # VARIANT[:SUITE]
      local variant="${spec%%:*}" suite=bookworm
      [ "$spec" = "$variant" ] || suite="${spec#*:}"
      if [ ! -s "$tarball" ]; then
        E2E_SUITE="$suite" E2E_CACHE="$E2E_CACHE" "$E2E_BASES_DIR/rootfs.sh" "$variant" "$tarball" >"$log" 2>&1 ||
          return 1
        # keep only the current rootfs tarball of this base
        find "$E2E_CACHE" -maxdepth 1 -name "rootfs-$name-*.tar" ! -name "rootfs-$name-$key.tar" -delete
      fi
      "$DOCKER" import \
        --change "LABEL dockopt.e2e.key=$key" \
        --change 'LABEL dockopt.e2e.stand-in="locally built, not the official image"' \
        --change 'CMD ["bash"]' \
        "$tarball" "${tags[0]}" >>"$log" 2>&1 || return 1
      ;;
    *)
      local targs=()
      for t in "${tags[@]}"; do targs+=(-t "$t"); done
      # No context: the recipes need none (the CA certificates are already in the Debian rootfs).
      DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain \
        --label "dockopt.e2e.key=$key" \
        --label 'dockopt.e2e.stand-in=locally built, not the official image' \
        "${targs[@]}" - <"$E2E_BASES_DIR/$recipe" >"$log" 2>&1 || return 1
      ;;
  esac
}

e2e_build_bases() {
  e2e_detect_mirrors
  echo "== base images (stand-ins built locally from $E2E_MIRROR; no registry is reachable)"
  local name recipe rest
  while read -r name recipe rest; do
    case "$name" in '' | '#'*) continue ;; esac
    local optional=0
    case "$name" in *\?) optional=1 ;; esac
    # shellcheck disable=SC2086 # the tags are words
    if ! E2E_BASE_OPTIONAL=$optional e2e_build_one_base "${name%\?}" "$recipe" $rest; then
      if [ "$optional" = 1 ]; then
        echo "warning: the optional base ${name%\?} ($recipe) could not be built; going on without it" >&2
      else
        echo "error: building the stand-in base image $name ($recipe) failed" >&2
        return 1
      fi
    fi
  done <"$E2E_BASES_DIR/bases.list"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  DOCKER="${DOCKER:-/usr/bin/docker}"
  E2E_CACHE="${E2E_CACHE:-/var/cache/dockopt-e2e}"
  E2E_LOGS="${E2E_LOGS:-$E2E_CACHE/logs}"
  mkdir -p "$E2E_CACHE" "$E2E_LOGS"
  export DOCKER E2E_CACHE E2E_LOGS
  e2e_build_bases
fi
