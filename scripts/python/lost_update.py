#!/usr/bin/env python3
"""The lost update in CPython threads, measured: four threads add 1 to a
shared counter, with and without a lock. Standard library only; a few
seconds.

    python3 scripts/python/lost_update.py             # writes reports/data/lost_update.json
    python3 scripts/python/lost_update.py --quick     # fewer increments (also TVP_QUICK=1)

`n += 1` is three steps: load n, add 1, store n. A thread switch between the
load and the store loses the other threads' increments. CPython 3.9 and
older could switch threads between almost any two bytecodes, so the plain
loop lost updates. Since 3.10 the interpreter checks for a switch only when
a loop jumps back and when a function is called, so a plain `n += 1` loop
under the GIL loses nothing; a call (or `time.sleep(0)`, which releases the
GIL) between the read and the write loses updates on every version. The
free-threaded builds (3.13t and later) run the threads in parallel, and lose
updates again without any call.
"""

import platform
import sys
import sysconfig
import threading
import time

import datafile

SCHEMA = 1
THREADS = 4


class Counter:
    n = 0


def noop():
    pass


def plain(c, times):
    for _ in range(times):
        c.n += 1


def call_between(c, times):
    for _ in range(times):
        v = c.n
        noop()  # a call: the interpreter may switch threads here
        c.n = v + 1


def sleep_between(c, times):
    for _ in range(times):
        v = c.n
        time.sleep(0)  # releases the GIL: another thread runs now
        c.n = v + 1


def locked(c, times, lock=threading.Lock()):
    for _ in range(times):
        with lock:
            v = c.n
            noop()  # the same gap, but no other thread may enter
            c.n = v + 1


# (case, the code in one line, function, increments per thread full/quick).
# A thread is asked to give up the GIL every 5 ms (sys.getswitchinterval()):
# the call case needs each thread to run for several of those, so it keeps
# its count in quick mode too.
CASES = [
    ("plain", "n += 1", plain, 1_000_000, 200_000),
    ("call", "v = n; f(); n = v + 1", call_between, 300_000, 300_000),
    ("sleep0", "v = n; time.sleep(0); n = v + 1", sleep_between, 5_000, 2_000),
    ("lock", "with lock: v = n; f(); n = v + 1", locked, 100_000, 50_000),
]


def run_case(fn, times):
    c = Counter()
    threads = [threading.Thread(target=fn, args=(c, times)) for _ in range(THREADS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return c.n, time.perf_counter() - start


def main():
    args = datafile.parser(__doc__, "lost_update.json", "fewer increments").parse_args()
    quick = datafile.quick_requested(args)
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    rows = []
    for case, code, fn, full, small in CASES:
        times = small if quick else full
        got, seconds = run_case(fn, times)
        expected = THREADS * times
        rows.append(
            {
                "case": case,
                "code": code,
                "per_thread": times,
                "expected": expected,
                "got": got,
                "lost": expected - got,
                "seconds": seconds,
            }
        )
        print(
            f"  {case:<7} {code:<45} {got:>9} of {expected:>9} ({expected - got} lost) "
            f"in {seconds:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    report = {
        "schema": SCHEMA,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil": gil,
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "threads": THREADS,
        "quick": quick,
        "cases": rows,
    }
    out = datafile.write(args.out, report)
    print(f"wrote {out}", file=sys.stderr)
    return 0 if rows[-1]["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
