#!/usr/bin/env bash
# Builds the playground (release, offline) and prints the size of what a
# browser downloads: each file in dist/, raw and gzip -9, and the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-app.sh >/dev/null
printf '%-44s %10s %10s\n' file bytes gzip-9
total=0; gtotal=0
for f in dist/*; do
    [ -f "$f" ] || continue
    b=$(stat -c %s "$f")
    g=$(gzip -9 -c "$f" | wc -c)
    total=$((total + b)); gtotal=$((gtotal + g))
    printf '%-44s %10d %10d\n' "${f#dist/}" "$b" "$g"
done
printf '%-44s %10d %10d\n' total "$total" "$gtotal"
