#!/usr/bin/env bash
# Runs the tests (scripts/test.sh) in a private TMPDIR, then checks they
# left nothing behind:
# - no `tvp worker` or `tvp memory-cell` (or other) process of this
#   checkout's binaries, and no `tvp` zombie;
# - no file in the private TMPDIR (every temp dir and file the tests and
#   tvp make goes there);
# - no new stale `tvp-*` entry in /dev/shm (shared memory) or the system
#   temp dir: one named for an owner process that is gone (see
#   src/scratch.rs), which only a killed run leaves;
# - no listening socket (TCP or Unix) held by a process of this checkout.
# Threads (a server's, an async runtime's) die with their process; the
# tests check them while it lives (tests/io_cleanup.rs).
# Extra arguments go to `cargo test`. .ci/run runs it as its test step.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d -t tvp-leak-check.XXXXXX)
log=$(mktemp -t tvp-leak-check-log.XXXXXX)
trap 'rm -rf "$tmp" "$log"' EXIT

# Entries named tvp-<kind>-<pid>-<start>-<random> whose owner is gone.
stale() {
  local dir=$1 name pid start now
  [[ -d $dir ]] || return 0
  for path in "$dir"/tvp-*; do
    [[ -e $path ]] || continue
    name=${path##*/}
    if [[ $name =~ ^tvp-[A-Za-z0-9_]+-([0-9]+)-([0-9]+)- ]]; then
      pid=${BASH_REMATCH[1]} start=${BASH_REMATCH[2]}
      now=$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$pid/stat" 2>/dev/null || true)
      if [[ $now != "$start" ]]; then echo "$path"; fi
    fi
  done
}
roots=(/dev/shm "${TMPDIR:-/tmp}")
before=$(for r in "${roots[@]}"; do stale "$r"; done | sort)

set +e
TMPDIR="$tmp" scripts/test.sh "$@" 2>&1 | tee "$log" | grep -E '^test result:|FAILED|^failures:'
tests=${PIPESTATUS[0]}
set -e
if [[ $tests -ne 0 ]]; then
  echo "the tests failed; their failures:" >&2
  sed -n '/^failures:$/,/^test result:/p' "$log" >&2
fi
sleep 1 # let init reap the children of the SIGKILLed tvp

# This checkout's processes: their executable lives under it.
ours() {
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    if [[ $exe == "$PWD"/* ]]; then echo "$pid"; fi
  done
}
mine=$(ours | tr '\n' ' ')
workers=$(for pid in $mine; do
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE 'tvp (worker|memory-cell)'; then
    echo "$pid $(readlink "/proc/$pid/exe" || true)"
  fi
done)
zombies=$(ps -eo pid=,ppid=,stat=,comm= | awk '$3 ~ /^Z/ && $4 == "tvp"')
files=$(find "$tmp" -mindepth 1)
after=$(for r in "${roots[@]}"; do stale "$r"; done | sort)
new_stale=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
if command -v ss >/dev/null; then
  sockets=$(for pid in $mine; do ss -lntuxpH 2>/dev/null | grep "pid=$pid," || true; done)
else
  # Without ss: TCP sockets in state 0A (LISTEN) in /proc/net/tcp{,6}.
  sockets=$(for pid in $mine; do
    for fd in /proc/$pid/fd/*; do
      inode=$(readlink "$fd" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
      if [[ -n $inode ]] && awk -v i="$inode" '$10 == i && $4 == "0A" { f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null; then echo "$pid"; fi
    done
  done | sort -u)
fi
echo "tvp worker or memory-cell processes left: ${workers:-none}"
echo "tvp zombies left: ${zombies:-none}"
echo "files left in TMPDIR: ${files:-none}"
echo "stale tvp-* left in ${roots[*]}: ${new_stale:-none}"
echo "listening sockets left: ${sockets:-none}"
[[ $tests -eq 0 && -z "$workers$zombies$files$new_stale$sockets" ]]
