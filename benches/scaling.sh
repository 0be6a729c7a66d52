#!/usr/bin/env bash
# Per-pass scaling of `dockopt fix --stdout` on generated Dockerfiles (see gen.py).
# usage: benches/scaling.sh [BIN] [SIZES_MB...]   (default: target/release/dockopt, 1 2 5 10)
# Prints one row per pass (and "all"), CPU seconds per size; a linear pass doubles with the size.
# Also times one RUN with 10k..100k continuation lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../target/release/dockopt}
shift || true
sizes=("${@:-1 2 5 10}")
read -r -a sizes <<<"${sizes[*]}"
conts=(10000 20000 50000 100000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in "${sizes[@]}"; do python3 "$here/gen.py" lines $((s * 1000000)) "$tmp/l$s"; done
for n in "${conts[@]}"; do python3 "$here/gen.py" cont "$n" "$tmp/c$n"; done
passes=$("$bin" passes | grep -E '^[a-z]' | awk '{print $1}')
secs() { # secs FILE ARGS... : CPU seconds (user + sys) of one run; the machine may be shared,
  # so CPU time is steadier than wall time. Output is discarded.
  local f=$1; shift
  /usr/bin/time -f '%U %S' -o "$tmp/time" "$bin" fix --stdout --color never "$@" "$f" >/dev/null 2>&1 || true
  awk '{printf "%.2f", $1 + $2}' "$tmp/time"
}
printf '%-18s' pass; for s in "${sizes[@]}"; do printf '%8s' "${s}MB"; done
for n in "${conts[@]}"; do printf '%9s' "c${n}"; done; echo
for p in all $passes; do
  if [ "$p" = all ]; then args=(); else args=(--only "$p"); fi
  printf '%-18s' "$p"
  for s in "${sizes[@]}"; do printf '%8s' "$(secs "$tmp/l$s" "${args[@]}")"; done
  for n in "${conts[@]}"; do printf '%9s' "$(secs "$tmp/c$n" "${args[@]}")"; done
  echo
done
