#!/usr/bin/env bash
# Runs the tests in a private TMPDIR, then checks they left nothing behind:
# no `tvp worker` process of this checkout, no `tvp` zombie, and no file in
# the TMPDIR (every temp dir and file the tests and tvp make goes there).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d -t tvp-leak-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
set +e
TMPDIR="$tmp" cargo test "$@" 2>&1 | grep -E '^test result:|FAILED|^failures:'
tests=${PIPESTATUS[0]}
set -e
sleep 1 # let init reap the children of the SIGKILLed tvp

workers=$(for pid in $(pgrep -f 'tvp worker'); do
  exe=$(readlink "/proc/$pid/exe" || true)
  if [[ $exe == "$PWD"/* ]]; then echo "$pid $exe"; fi
done)
zombies=$(ps -eo pid=,ppid=,stat=,comm= | awk '$3 ~ /^Z/ && $4 == "tvp"')
files=$(find "$tmp" -mindepth 1)
echo "tvp worker processes left: ${workers:-none}"
echo "tvp zombies left: ${zombies:-none}"
echo "files left in TMPDIR: ${files:-none}"
[[ $tests -eq 0 && -z "$workers$zombies$files" ]]
