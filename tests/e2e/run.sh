#!/usr/bin/env bash
# dockopt's end-to-end harness: builds every sample project in examples/ before and after `dockopt fix` on a
# real Docker engine, runs each image's smoke check, times cold and cached builds, compares image sizes, and
# exercises `dockopt fix --verify`. See tests/e2e/README.md.
#
# usage: tests/e2e/run.sh [--only SAMPLE,...] [--no-unsafe] [--bases-only] [--keep]
#
# Needs root and a Debian machine (it installs docker.io and debootstrap with apt-get when missing, and
# starts dockerd when none is running, stopping it again at the end). Base images are stand-ins built
# locally (no registry is reachable) and cached: images in /var/lib/docker, debootstrap tarballs in
# $E2E_CACHE (default /var/cache/dockopt-e2e).
#
# Fails (exit 1) when a sample's original does not build or pass its smoke check, when dockopt's (default,
# safe) rewrite of a sample does not build, fails its smoke check or comes out larger than the original, or
# when a `--verify` check goes wrong. Rewrites with --unsafe are built and reported too; their failures are
# warnings unless E2E_STRICT_UNSAFE=1.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/tests/e2e"
E2E_CACHE="${E2E_CACHE:-/var/cache/dockopt-e2e}"
OUT="${E2E_OUT:-$REPO/target/e2e}"
ONLY=""
UNSAFE=1
BASES_ONLY=0
KEEP=0

while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    --no-unsafe) UNSAFE=0; shift ;;
    --bases-only) BASES_ONLY=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -uo/{/^set -uo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done

log() { printf '%s\n' "$*"; }
die() { printf 'e2e: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
mb() { awk -v b="$1" 'BEGIN{ if (b == "") print "-"; else printf "%.1f", b/1000000 }'; }
size_cell() { if [ -n "$1" ]; then echo "$(mb "$1") MB"; else echo "-"; fi; }
secs() { awk -v s="$1" 'BEGIN{ if (s !~ /^[0-9.]+$/) print (s == "" ? "-" : s); else if (s >= 60) printf "%dm%02ds", s/60, s%60; else printf "%.1fs", s }'; }

RUN_START=$(now)
[ "$(id -u)" = 0 ] || die "the harness needs root (it runs dockerd and debootstrap)"

# ---------------------------------------------------------------------------------------------------------
# Tools: docker.io and debootstrap from apt when missing.
# ---------------------------------------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[ -x /usr/bin/docker ] || command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  [ -f /etc/debian_version ] || die "missing ${need[*]} and this is not a Debian machine: install them by hand"
  log "== installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
fi

# Debian's client (20.10) drives the daemon's built-in BuildKit with DOCKER_BUILDKIT=1; a newer client
# without buildx would only offer the legacy builder.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER="$(command -v docker)"; fi
fi
export DOCKER

mkdir -p "$OUT/logs" "$E2E_CACHE/logs"
rm -f "$OUT/logs/"*.log
WORK="$(mktemp -d /tmp/dockopt-e2e.XXXXXX)"
E2E_LOGS="$E2E_CACHE/logs"
export E2E_CACHE E2E_LOGS

# ---------------------------------------------------------------------------------------------------------
# Engine: use the running one, or start dockerd and stop it (by its PID) at the end.
# ---------------------------------------------------------------------------------------------------------
DOCKERD_PID=""
CONTAINERS=()
cleanup() {
  local c
  for c in "${CONTAINERS[@]}"; do "$DOCKER" rm -f "$c" >/dev/null 2>&1; done
  if [ "$KEEP" = 0 ]; then
    rm -rf "$WORK"
  else
    log "work directory kept: $WORK"
  fi
  # Sample images are removed as the run goes; drop the dangling images built on the stand-ins and the
  # build cache of earlier runs, so that the disk does not fill up over many runs.
  if [ -n "${ENGINE_VERSION:-}" ]; then
    "$DOCKER" image prune -f --filter label=dockopt.e2e.stand-in >/dev/null 2>&1
    "$DOCKER" builder prune -af --filter until=24h >/dev/null 2>&1
  fi
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    log "engine: stopped the dockerd this run started (pid $DOCKERD_PID)"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if "$DOCKER" info >/dev/null 2>&1; then
  log "engine: using the running Docker engine"
else
  log "engine: no Docker engine answers; starting dockerd (log: $OUT/logs/dockerd.log)"
  dockerd >"$OUT/logs/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 120); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -n 20 "$OUT/logs/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.5
  done
  "$DOCKER" info >/dev/null 2>&1 || { tail -n 20 "$OUT/logs/dockerd.log" >&2; die "dockerd did not become ready"; }
fi
ENGINE_VERSION="$("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null)"
log "engine: dockerd $ENGINE_VERSION, client $DOCKER $("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null)"

# ---------------------------------------------------------------------------------------------------------
# Base images (stand-ins) and the builder.
# ---------------------------------------------------------------------------------------------------------
# shellcheck source=bases.sh
. "$HERE/bases.sh"
e2e_build_bases || die "the stand-in base images could not be built"
BASE_SIZES=$(awk '!/^#/ && NF >= 3 {print $3}' "$HERE/bases/bases.list" | while read -r t; do
  printf '%s %s MB\n' "$t" "$(e2e_image_size_mb "$t")"; done | paste -sd, - | sed 's/,/, /g')

BUILDKIT=1
SYNTAX_ARGS=()
printf 'FROM debian:bookworm-slim\nRUN --mount=type=tmpfs,target=/probe test -d /probe\n' >"$WORK/probe.Dockerfile"
printf 'FROM debian:bookworm-slim\nRUN <<EOT\ntest -d /\nEOT\n' >"$WORK/probe-heredoc.Dockerfile"
if ! DOCKER_BUILDKIT=1 "$DOCKER" build -q -f "$WORK/probe.Dockerfile" "$WORK" >"$OUT/logs/builder-probe.log" 2>&1; then
  BUILDKIT=0
  BUILDER="the legacy builder (BuildKit unavailable here: see $OUT/logs/builder-probe.log); RUN --mount and heredocs cannot build"
elif [ -n "$(e2e_image_label docker/dockerfile:1 dockopt.e2e.key)" ] &&
  DOCKER_BUILDKIT=1 "$DOCKER" build -q --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1 \
    -f "$WORK/probe-heredoc.Dockerfile" "$WORK" >>"$OUT/logs/builder-probe.log" 2>&1; then
  # Every sample, before and after, is built with the same newer frontend.
  SYNTAX_ARGS=(--build-arg BUILDKIT_SYNTAX=docker/dockerfile:1)
  BUILDER="BuildKit (the engine's built-in BuildKit via DOCKER_BUILDKIT=1) with the Dockerfile frontend 1.7 built locally from Debian trixie's docker.io source (heredocs, RUN --mount, COPY --link)"
else
  BUILDER="BuildKit (the engine's built-in BuildKit via DOCKER_BUILDKIT=1) with its built-in Dockerfile frontend (RUN --mount yes, heredocs no)"
fi
log "builder: $BUILDER"
[ "$BASES_ONLY" = 1 ] && exit 0

# ---------------------------------------------------------------------------------------------------------
# dockopt
# ---------------------------------------------------------------------------------------------------------
if [ -z "${DOCKOPT:-}" ]; then
  log "== cargo build --release"
  (cd "$REPO" && cargo build --release --quiet) || die "cargo build --release failed"
  DOCKOPT="$REPO/target/release/dockopt"
fi
log "dockopt: $DOCKOPT ($("$DOCKOPT" --version)); passes: $("$DOCKOPT" passes | awk '/^[a-z0-9-]+( \(opt-in\))?$/{printf "%s%s", sep, $0; sep=", "}')"

# ---------------------------------------------------------------------------------------------------------
# Helpers for one sample.
# ---------------------------------------------------------------------------------------------------------
conf_get() { # FILE KEY -> value (first `KEY = value` line)
  [ -f "$1" ] || return 0
  sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | head -n 1
}

# e2e_build DIR TAG LOG [docker build flags...]: builds, sets BUILD_SECS; returns the build's status.
e2e_build() {
  local dir="$1" tag="$2" logf="$3" t0 rc
  shift 3
  t0=$(now)
  DOCKER_BUILDKIT=$BUILDKIT "$DOCKER" build --progress=plain "${SYNTAX_ARGS[@]}" "$@" -t "$tag" "$dir" >"$logf" 2>&1
  rc=$?
  BUILD_SECS=$(elapsed "$t0" "$(now)")
  return $rc
}

image_size() { "$DOCKER" image inspect --format '{{.Size}}' "$1" 2>/dev/null; }

# e2e_smoke IMAGE CONF LOG: the sample's check (`http = PORT PATH` or `cmd = ...`, with `expect = TEXT`).
e2e_smoke() {
  local image="$1" conf="$2" logf="$3" http cmd expect body="" name ip port path ok=1
  http=$(conf_get "$conf" http)
  cmd=$(conf_get "$conf" cmd)
  expect=$(conf_get "$conf" expect)
  if [ -n "$http" ]; then
    read -r port path <<<"$http"
    name="dockopt-e2e-smoke-$$-$RANDOM"
    CONTAINERS+=("$name")
    if ! "$DOCKER" run -d --name "$name" "$image" >"$logf" 2>&1; then
      return 1
    fi
    ip=$("$DOCKER" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
    for _ in $(seq 120); do
      if body=$(curl -fsS -m 3 "http://$ip:$port$path" 2>>"$logf"); then ok=0; break; fi
      [ "$("$DOCKER" inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || break
      sleep 0.5
    done
    { echo "--- GET http://$ip:$port$path"; echo "$body"; echo "--- container log"; "$DOCKER" logs "$name" 2>&1 | tail -n 30; } >>"$logf"
    "$DOCKER" rm -f "$name" >/dev/null 2>&1
  elif [ -n "$cmd" ]; then
    # shellcheck disable=SC2086
    body=$(timeout 120 "$DOCKER" run --rm "$image" $cmd 2>>"$logf") && ok=0
    { echo "--- $cmd"; echo "$body"; } >>"$logf"
  else
    return 2 # no smoke check defined
  fi
  [ "$ok" = 0 ] || return 1
  if [ -n "$expect" ] && [[ "${body//[[:space:]]/}" != *"${expect//[[:space:]]/}"* ]]; then
    echo "--- expected to find: $expect" >>"$logf"
    return 1
  fi
  return 0
}

# The line appended to the touched file, as a comment in its language.
touch_file() {
  local f="$1" c='#'
  case "$f" in *.go | *.js | *.ts | *.mjs | *.cjs | *.java | *.rs | *.c | *.h | *.cc | *.cpp) c='//' ;; esac
  # A new text every time, so that no build cache of an earlier run can hold it.
  printf '\n%s touched by tests/e2e/run.sh for a cached rebuild (%s)\n' "$c" "$(date +%s.%N)-$RANDOM" >>"$f"
}

# The passes dockopt applied, from its summary on standard error. Called before the builds, which append
# to a source file in each copy.
passes_applied() { # LOG DIR_BEFORE DIR_AFTER
  local side
  # Files besides the Dockerfile that differ. (Not `diff | grep -q` under pipefail: diff exits 1 when
  # anything differs, which made the test false exactly when a side file had been written.)
  side=$(diff -rq "$2" "$3" 2>/dev/null | grep -v -E "(^Files .*/Dockerfile and|/Dockerfile differ$)")
  {
    sed -n -E 's/^.*:[0-9]+:[0-9]+: \[([a-z0-9-]+)\] .*/\1 &/p' "$1" | grep -v -E '\] skipped: ' | cut -d' ' -f1
    # `PATH: [pass] message` lines are side files or notes; count them when a file besides the Dockerfile changed
    if [ -n "$side" ]; then
      sed -n -E 's/^[^ ]*: \[([a-z0-9-]+)\] .*/\1 &/p' "$1" | grep -v -E '\] skipped: ' | cut -d' ' -f1
    fi
  } | awk '!seen[$0]++' | paste -sd, - | sed 's/,/, /g'
}

declare -a ROWS=()   # sample|variant|passes|size_b|size_a|cold_b|cold_a|cached_b|cached_a|smoke_b|smoke_a|status
FAILURES=()
WARNINGS=()

fail() { FAILURES+=("$1"); log "  FAIL: $1"; }
warn() { WARNINGS+=("$1"); log "  WARN: $1"; }

# build_variant SAMPLE VARIANT DIR: cold build, smoke, cached rebuild after touching a file.
# Sets V_SIZE V_COLD V_CACHED V_SMOKE V_OK (V_OK=0 when it built and its smoke check passed).
build_variant() {
  local sample="$1" variant="$2" dir="$3" conf="$3/e2e.conf" tag="dockopt-e2e/$1:$2" touch rc
  V_SIZE="" V_COLD="-" V_CACHED="-" V_SMOKE="-" V_OK=1
  log "  [$variant] cold build (--no-cache)"
  local built=1 blog="$OUT/logs/$sample.$variant.build.log"
  if ! e2e_build "$dir" "$tag" "$blog" --no-cache; then
    # One retry, so that a download that failed once does not fail the run; a broken build fails twice.
    mv "$blog" "${blog%.log}-attempt1.log"
    log "  [$variant] build failed after ${BUILD_SECS}s; retrying once (first attempt: ${blog%.log}-attempt1.log)"
    e2e_build "$dir" "$tag" "$blog" --no-cache || built=0
  fi
  if [ "$built" = 0 ]; then
    V_COLD="failed"
    log "  [$variant] build FAILED after ${BUILD_SECS}s; last lines of $OUT/logs/$sample.$variant.build.log:"
    tail -n 25 "$OUT/logs/$sample.$variant.build.log" | sed 's/^/      /'
    return
  fi
  V_COLD=$BUILD_SECS
  V_SIZE=$(image_size "$tag")
  e2e_smoke "$tag" "$conf" "$OUT/logs/$sample.$variant.smoke.log"
  rc=$?
  case $rc in
    0) V_SMOKE=ok; V_OK=0 ;;
    2) V_SMOKE=none; V_OK=0 ;;
    *) V_SMOKE=FAILED
      log "  [$variant] smoke check FAILED; last lines of $OUT/logs/$sample.$variant.smoke.log:"
      tail -n 25 "$OUT/logs/$sample.$variant.smoke.log" | sed 's/^/      /' ;;
  esac
  log "  [$variant] built in $(secs "$V_COLD"), $(mb "$V_SIZE") MB, smoke $V_SMOKE"
  touch=$(conf_get "$conf" touch)
  if [ -n "$touch" ] && [ -f "$dir/$touch" ]; then
    touch_file "$dir/$touch"
    if e2e_build "$dir" "$tag-rebuild" "$OUT/logs/$sample.$variant.rebuild.log"; then
      V_CACHED=$BUILD_SECS
      log "  [$variant] rebuilt after touching $touch in $(secs "$V_CACHED")"
    else
      V_CACHED=failed
      log "  [$variant] rebuild after touching $touch FAILED (see $OUT/logs/$sample.$variant.rebuild.log)"
    fi
    "$DOCKER" image rm "$tag-rebuild" >/dev/null 2>&1
  fi
}

# ---------------------------------------------------------------------------------------------------------
# The samples.
# ---------------------------------------------------------------------------------------------------------
samples=()
for d in "$REPO"/examples/*/; do
  s=$(basename "$d")
  [ -f "$d/Dockerfile" ] || continue
  if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$s,"* ]]; then continue; fi
  samples+=("$s")
done
[ ${#samples[@]} -gt 0 ] || die "no samples (examples/*/Dockerfile) selected"

for s in "${samples[@]}"; do
  log ""
  log "== sample $s"
  src="$REPO/examples/$s"
  [ -f "$src/e2e.conf" ] || warn "$s: no examples/$s/e2e.conf, so no smoke check and no cached rebuild"
  mkdir -p "$WORK/$s"
  cp -a "$src" "$WORK/$s/before"
  cp -a "$src" "$WORK/$s/safe"
  cp -a "$src" "$WORK/$s/unsafe"
  "$DOCKOPT" fix --write --color never "$WORK/$s/safe/Dockerfile" >"$OUT/logs/$s.dockopt.log" 2>&1 ||
    { cat "$OUT/logs/$s.dockopt.log"; fail "$s: dockopt fix failed"; continue; }
  "$DOCKOPT" fix --write --unsafe --color never "$WORK/$s/unsafe/Dockerfile" >"$OUT/logs/$s.dockopt-unsafe.log" 2>&1 ||
    { cat "$OUT/logs/$s.dockopt-unsafe.log"; fail "$s: dockopt fix --unsafe failed"; continue; }
  sed 's/^/  dockopt: /' "$OUT/logs/$s.dockopt.log"
  diff -ru "$WORK/$s/before" "$WORK/$s/safe" >"$OUT/logs/$s.safe.diff"
  diff -ru "$WORK/$s/before" "$WORK/$s/unsafe" >"$OUT/logs/$s.unsafe.diff"
  passes_safe=$(passes_applied "$OUT/logs/$s.dockopt.log" "$WORK/$s/before" "$WORK/$s/safe")
  passes_unsafe=$(passes_applied "$OUT/logs/$s.dockopt-unsafe.log" "$WORK/$s/before" "$WORK/$s/unsafe")
  variants=(before)
  [ -s "$OUT/logs/$s.safe.diff" ] && variants+=(safe)
  if [ "$UNSAFE" = 1 ] && ! diff -rq "$WORK/$s/safe" "$WORK/$s/unsafe" >/dev/null; then variants+=(unsafe); fi

  declare -A SIZE=() COLD=() CACHED=() SMOKE=() OK=()
  for v in "${variants[@]}"; do
    build_variant "$s" "$v" "$WORK/$s/$v"
    SIZE[$v]=$V_SIZE COLD[$v]=$V_COLD CACHED[$v]=$V_CACHED SMOKE[$v]=$V_SMOKE OK[$v]=$V_OK
  done
  if [ "${OK[before]}" != 0 ]; then
    fail "$s: the original sample does not build or fails its smoke check (the sample itself is broken)"
  fi
  # The default rewrite (safe). No change: the row repeats the original.
  if [[ " ${variants[*]} " != *" safe "* ]]; then
    ROWS+=("$s|default|(no change)|${SIZE[before]}|${SIZE[before]}|${COLD[before]}|same|${CACHED[before]}|same|${SMOKE[before]}|same|")
  else
    status=""
    if [ "${OK[safe]}" != 0 ]; then
      fail "$s: dockopt's rewrite does not build or fails its smoke check"; status="FAIL"
    elif [ "${OK[before]}" = 0 ] && [ "${SIZE[safe]}" -gt "${SIZE[before]}" ]; then
      fail "$s: dockopt's rewrite is larger than the original ($(mb "${SIZE[safe]}") MB > $(mb "${SIZE[before]}") MB)"; status="FAIL"
    fi
    ROWS+=("$s|default|$passes_safe|${SIZE[before]}|${SIZE[safe]}|${COLD[before]}|${COLD[safe]}|${CACHED[before]}|${CACHED[safe]}|${SMOKE[before]}|${SMOKE[safe]}|$status")
  fi
  if [[ " ${variants[*]} " == *" unsafe "* ]]; then
    status=""
    if [ "${OK[unsafe]}" != 0 ]; then
      status="WARN"; msg="$s: the --unsafe rewrite does not build or fails its smoke check"
      if [ "${E2E_STRICT_UNSAFE:-0}" = 1 ]; then fail "$msg"; status="FAIL"; else warn "$msg"; fi
    elif [ "${OK[before]}" = 0 ] && [ "${SIZE[unsafe]}" -gt "${SIZE[before]}" ]; then
      warn "$s: the --unsafe rewrite is larger than the original"; status="WARN"
    fi
    ROWS+=("$s|--unsafe|$passes_unsafe|${SIZE[before]}|${SIZE[unsafe]}|${COLD[before]}|${COLD[unsafe]}|${CACHED[before]}|${CACHED[unsafe]}|${SMOKE[before]}|${SMOKE[unsafe]}|$status")
  fi
  unset SIZE COLD CACHED SMOKE OK
  for v in "${variants[@]}"; do "$DOCKER" image rm "dockopt-e2e/$s:$v" >/dev/null 2>&1; done
done

# ---------------------------------------------------------------------------------------------------------
# dockopt fix --verify, for real.
# ---------------------------------------------------------------------------------------------------------
log ""
log "== dockopt fix --verify"
export DOCKOPT_DOCKER="$DOCKER"
[ "$BUILDKIT" = 1 ] && export DOCKER_BUILDKIT=1
for s in "${samples[@]}"; do
  [ -s "$OUT/logs/$s.safe.diff" ] || continue
  vdir="$WORK/verify/$s"
  mkdir -p "$WORK/verify"
  cp -a "$REPO/examples/$s" "$vdir"
  smoke=$(conf_get "$vdir/e2e.conf" verify_smoke)
  args=(fix --verify --write --color never)
  [ -n "$smoke" ] && args+=(--smoke "$smoke")
  t0=$(now)
  if "$DOCKOPT" "${args[@]}" "$vdir/Dockerfile" >"$OUT/logs/$s.verify.log" 2>&1 &&
    cmp -s "$vdir/Dockerfile" "$WORK/$s/safe/Dockerfile"; then
    log "  $s: verified and written in $(secs "$(elapsed "$t0" "$(now)")")${smoke:+ (smoke: $smoke)}"
    grep -E '^verify: .*: verified: ' "$OUT/logs/$s.verify.log" | sed 's/^verify: [^ ]*: /    /'
  else
    sed 's/^/    /' "$OUT/logs/$s.verify.log" | tail -n 30
    fail "$s: dockopt fix --verify --write did not verify and write the rewrite"
  fi
done

# Negative checks: a rewrite must not be written when the build or the smoke check fails.
mkdir -p "$WORK/verify-neg/build" "$WORK/verify-neg/smoke"
printf 'FROM python:3.12-slim\nRUN pip install --upgrade pip\nRUN exit 3\n' >"$WORK/verify-neg/build/Dockerfile"
printf 'FROM python:3.12-slim\nRUN pip install --upgrade pip\n' >"$WORK/verify-neg/smoke/Dockerfile"
for case in build smoke; do
  f="$WORK/verify-neg/$case/Dockerfile"
  cp "$f" "$f.orig"
  args=(fix --verify --write --color never)
  [ "$case" = smoke ] && args+=(--smoke 'exit 7')
  "$DOCKOPT" "${args[@]}" "$f" >"$OUT/logs/verify-neg-$case.log" 2>&1
  rc=$?
  if [ "$rc" = 2 ] && cmp -s "$f" "$f.orig"; then
    log "  a failing $case is refused: exit 2, file left unchanged"
  else
    sed 's/^/    /' "$OUT/logs/verify-neg-$case.log" | tail -n 30
    fail "dockopt fix --verify with a failing $case: exit $rc, file $(cmp -s "$f" "$f.orig" && echo unchanged || echo CHANGED)"
  fi
done

# ---------------------------------------------------------------------------------------------------------
# The table.
# ---------------------------------------------------------------------------------------------------------
{
  echo "Measured by \`tests/e2e/run.sh\` on $(date -u +%Y-%m-%d), dockerd $ENGINE_VERSION, $(nproc) cores."
  echo "Builder: $BUILDER."
  echo "Base images are stand-ins built locally (no registry is reachable): debian:bookworm(-slim) from"
  echo "debootstrap; python:3.12(-slim) = Debian's Python 3.11 on buildpack-deps / bookworm-slim; node:20(-slim) ="
  echo "Node.js 20 on the same; golang:1.22 = Debian's Go 1.22; rust:1.80 = Debian's Rust 1.63 on buildpack-deps. Ratios mean"
  echo "something; absolute sizes only approximate the official images."
  echo "Cold = \`docker build --no-cache\`; cached = rebuild after appending a comment to one source file. Build times"
  echo "include downloads (PyPI, npm, apt) and vary by tens of percent on this shared machine; sizes are exact."
  echo
  echo "Stand-in base images: $BASE_SIZES."
  echo
  echo "| sample | rewrite | passes applied | size before | size after | ratio | cold before | cold after | cached before | cached after | smoke before / after |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for r in "${ROWS[@]}"; do
    IFS='|' read -r s v p sb sa cb ca kb ka mb_ ma st <<<"$r"
    ratio=$(awk -v a="$sa" -v b="$sb" 'BEGIN{ if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a/b }')
    echo "| $s | $v | ${p:--} | $(size_cell "$sb") | $(size_cell "$sa") | $ratio | $(secs "$cb") | $(secs "$ca") | $(secs "$kb") | $(secs "$ka") | $mb_ / $ma${st:+ **$st**} |"
  done
} >"$OUT/report.md"
log ""
log "== results"
cat "$OUT/report.md"
log ""
log "report: $OUT/report.md, logs: $OUT/logs/"
for w in "${WARNINGS[@]}"; do log "warning: $w"; done
log "total time: $(secs "$(elapsed "$RUN_START" "$(now)")")"
if [ ${#FAILURES[@]} -gt 0 ]; then
  for f in "${FAILURES[@]}"; do log "FAILED: $f"; done
  exit 1
fi
log "e2e: all samples built, passed their smoke checks and came out no larger after dockopt"
