#!/usr/bin/env bash
# Bulk migration: for each git repository under ROOT, create a branch, run `dockopt fix --write`, and
# commit with a message that lists the fixes applied. Repositories with uncommitted changes are left
# alone. Prints a final report; exits 1 if any repository failed.
#
# usage: examples/bulk-migrate.sh [--branch NAME] [--depth N] ROOT [-- DOCKOPT_ARGS...]
#   DOCKOPT=/path/to/dockopt   the binary to use (default: dockopt on PATH)
set -uo pipefail

branch="dockopt/optimise-dockerfiles"
depth=3
dockopt="${DOCKOPT:-dockopt}"
root=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --branch) branch="$2"; shift 2 ;;
    --depth) depth="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) root="$1"; shift ;;
  esac
done
[ -n "$root" ] || { echo "usage: $0 [--branch NAME] [--depth N] ROOT [-- DOCKOPT_ARGS...]" >&2; exit 2; }
command -v "$dockopt" >/dev/null 2>&1 || { echo "bulk-migrate: dockopt not found (set DOCKOPT=...)" >&2; exit 2; }

report=()
failed=0
while IFS= read -r gitdir; do
  repo="$(dirname "$gitdir")"
  name="${repo#"$root"/}"
  if [ -n "$(git -C "$repo" status --porcelain 2>/dev/null)" ]; then
    report+=("$name|skipped|uncommitted changes")
    continue
  fi
  if git -C "$repo" rev-parse --verify --quiet "refs/heads/$branch" >/dev/null; then
    report+=("$name|skipped|branch $branch already exists")
    continue
  fi
  start="$(git -C "$repo" symbolic-ref --quiet --short HEAD || git -C "$repo" rev-parse HEAD)"
  git -C "$repo" checkout --quiet -b "$branch" || { report+=("$name|failed|cannot create branch"); failed=1; continue; }
  log="$(mktemp)"
  (cd "$repo" && "$dockopt" fix --write --color never "${extra[@]}" .) 2>"$log" >/dev/null
  status=$?
  errors="$(grep -c ': error: ' "$log" || true)"
  if [ -z "$(git -C "$repo" status --porcelain)" ]; then
    git -C "$repo" checkout --quiet "$start"
    git -C "$repo" branch --quiet -D "$branch"
    if [ "$status" -eq 2 ]; then
      report+=("$name|failed|$errors error(s), nothing written"); failed=1
    else
      report+=("$name|unchanged|nothing to fix")
    fi
    rm -f "$log"
    continue
  fi
  files="$(git -C "$repo" status --porcelain | wc -l | tr -d ' ')"
  {
    echo "dockopt: optimise Dockerfiles"
    echo
    echo "Applied by \`dockopt fix --write\`:"
    grep -E '^[^ ]+(:[0-9]+:[0-9]+)?: \[[a-z0-9-]+\] ' "$log" | grep -v '\] skipped: ' | sed 's/^/- /'
    if grep -q '\] skipped: ' "$log"; then
      echo
      echo "Left alone, with the reason:"
      grep '\] skipped: ' "$log" | sed 's/^/- /'
    fi
  } > "$log.msg"
  git -C "$repo" add -A
  if git -C "$repo" commit --quiet -F "$log.msg"; then
    note="$files file(s) changed on branch $branch"
    [ "$errors" -gt 0 ] && note="$note; $errors error(s) in other files"
    report+=("$name|changed|$note")
  else
    report+=("$name|failed|commit failed"); failed=1
    git -C "$repo" checkout --quiet "$start"
  fi
  rm -f "$log" "$log.msg"
done < <(find "$root" -maxdepth "$depth" -name .git -type d -prune 2>/dev/null | sort)

printf '%-40s %-10s %s\n' REPOSITORY RESULT DETAIL
for row in "${report[@]}"; do
  IFS='|' read -r n r d <<<"$row"
  printf '%-40s %-10s %s\n' "$n" "$r" "$d"
done
exit "$failed"
