#!/usr/bin/env bash
# Runs the tests in a private TMPDIR, then checks they left nothing behind:
# no `tvp worker` or `tvp memory-cell` process of this checkout, no `tvp`
# zombie, no socket listening in a process of this checkout, and no file in
# the TMPDIR (every temp dir and file the tests and tvp make goes there).
# Threads (a server's, an async runtime's) die with their process; the
# tests check them while it lives (tests/io_cleanup.rs).
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

workers=$(for pid in $(pgrep -f 'tvp (worker|memory-cell)'); do
  exe=$(readlink "/proc/$pid/exe" || true)
  if [[ $exe == "$PWD"/* ]]; then echo "$pid $exe"; fi
done)
listening=$(for pid in $(pgrep -f "$PWD/target"); do
  for fd in /proc/$pid/fd/*; do
    inode=$(readlink "$fd" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
    # State 0A is LISTEN in /proc/net/tcp.
    if [[ -n $inode ]] && awk -v i="$inode" '$10 == i && $4 == "0A" { f = 1 } END { exit !f }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null; then echo "$pid"; fi
  done
done | sort -u)
zombies=$(ps -eo pid=,ppid=,stat=,comm= | awk '$3 ~ /^Z/ && $4 == "tvp"')
files=$(find "$tmp" -mindepth 1)
echo "tvp worker processes left: ${workers:-none}"
echo "tvp zombies left: ${zombies:-none}"
echo "processes of this checkout still listening: ${listening:-none}"
echo "files left in TMPDIR: ${files:-none}"
[[ $tests -eq 0 && -z "$workers$zombies$listening$files" ]]
