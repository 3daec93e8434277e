#!/usr/bin/env python3
"""How a process starts in CPython, and what a payload costs to send.

For each start method this Python offers (fork, spawn, forkserver) and for a
running Pool: start a process, hand it a payload, get one answer back; from
a parent with 0, 256 and 1024 MiB of memory touched, and from the smallest
with a 16 MiB payload too. Then Pool.apply round trips of 8 B to 64 MiB, the payload
pickled both ways. The same measurements as src/costs/start.rs and
src/costs/serialization.rs on the Rust side. Standard library only.

    python3 scripts/python/starts.py            # about 15 s on 2 cores
    python3 scripts/python/starts.py --quick    # a few seconds (or TVP_QUICK=1)

Writes reports/data/python_starts.json (schema in scripts/python/README.md).
Progress goes to stderr.
"""

import mmap
import multiprocessing
import os
import platform
import statistics
import sys
import time
import zlib

import datafile

SCHEMA = 1
PARENT_MIB = [0, 256, 1024]
QUICK_PARENT_MIB = [0, 256]
PAYLOAD_BYTES = 16 << 20
# 8 B, then times 8 up to 16 MiB, and 64 MiB: as SIZES in src/costs/serialization.rs.
SIZES = [8 * 8**k for k in range(8)] + [64 << 20]
QUICK_SIZES = [8, 4 << 10, 2 << 20]
PAGE = 4096


def checksum(payload):
    """The child's answer: a checksum of every byte (zlib's adler32, in C)."""
    return zlib.adler32(payload)


def answer(conn, payload):
    """The child's work: read the payload, send one answer back. Under fork
    the payload is the parent's own object, reached by copy-on-write; under
    spawn and forkserver it arrived pickled."""
    conn.send(checksum(payload))
    conn.close()


def echo(payload):
    """A pool task that returns its argument: pickled there and back."""
    return payload


def pool_initializer():
    from backends import die_with_parent

    die_with_parent()


def log(text):
    print(text, file=sys.stderr, flush=True)


def resident_mib():
    """VmRSS of this process in MiB, or None without /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def touched(mib):
    """`mib` MiB of private anonymous memory with every page written, as the
    Rust side's LargeParent: transparent huge pages off where Python can say
    so, so a fork has one page-table entry per 4 KiB to copy. Private, like
    a heap: fork need not copy the page tables of a shared mapping (the
    child faults them in when it touches them), and mmap's default is
    shared."""
    if mib == 0:
        return None
    size = mib << 20
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
    if hasattr(m, "madvise") and hasattr(mmap, "MADV_NOHUGEPAGE"):
        m.madvise(mmap.MADV_NOHUGEPAGE)
    for offset in range(0, size, PAGE):
        m[offset] = 1
    return m


def start_once(ctx, payload, expected):
    """Seconds from Process() to its answer and its exit."""
    reader, writer = ctx.Pipe(duplex=False)
    started = time.perf_counter()
    p = ctx.Process(target=answer, args=(writer, payload))
    p.start()
    writer.close()
    got = reader.recv()
    p.join()
    elapsed = time.perf_counter() - started
    reader.close()
    if got != expected or p.exitcode != 0:
        raise RuntimeError(f"{ctx.get_start_method()} child answered {got} (exit {p.exitcode}), expected {expected}")
    return elapsed


def pool_once(pool, payload, expected):
    started = time.perf_counter()
    got = pool.apply(checksum, (payload,))
    elapsed = time.perf_counter() - started
    if got != expected:
        raise RuntimeError(f"the pool answered {got}, expected {expected}")
    return elapsed


def time_method(method, payload, repeat, warm):
    """With `warm`, one untimed start first (it starts the fork server and
    fills caches); then `repeat` timed starts. The pool is started from this parent before the timing,
    as a program would: its own start is paid once."""
    expected = checksum(payload)
    if method == "pool":
        # After the start methods: a pool has threads, and forking a process
        # with threads is what Python 3.12 warns about.
        with multiprocessing.get_context().Pool(1, initializer=pool_initializer) as pool:
            pool_once(pool, payload, expected)  # the workers' imports
            return [pool_once(pool, payload, expected) for _ in range(repeat)]
    ctx = multiprocessing.get_context(method)
    if warm:
        start_once(ctx, payload, expected)
    return [start_once(ctx, payload, expected) for _ in range(repeat)]


def measure_starts(methods, parent_mibs, repeat):
    rows = []
    payloads = {0: b"", PAYLOAD_BYTES: os.urandom(PAYLOAD_BYTES)}
    warm = set()
    for mib in parent_mibs:
        ballast = touched(mib)
        rss = resident_mib()
        log(f"  parent: {mib} MiB touched, resident {rss:.0f} MiB" if rss else f"  parent: {mib} MiB touched")
        for method in methods + ["pool"]:
            # What the payload adds does not depend on the parent: it is
            # measured from the smallest one only.
            for size, payload in payloads.items() if mib == parent_mibs[0] else [(0, b"")]:
                times = time_method(method, payload, repeat, method not in warm)
                warm.add(method)
                rows.append(
                    {
                        "method": method,
                        "parent_mib": mib,
                        "parent_rss_mib": rss,
                        "payload_bytes": size,
                        "median_s": statistics.median(times),
                        "times_s": times,
                    }
                )
                log(f"  {method:<10} {mib:>5} MiB parent, payload {size:>8} B: {statistics.median(times) * 1e3:8.2f} ms")
        del ballast
    return rows


def measure_pickling(sizes, budget_s):
    """Pool.apply(echo, (payload,)) for each size: the payload pickled to the
    worker and back. Checked byte for byte once, outside the timing."""
    rows = []
    with multiprocessing.get_context().Pool(1, initializer=pool_initializer) as pool:
        for size in sizes:
            payload = os.urandom(size)
            first = time.perf_counter()
            if pool.apply(echo, (payload,)) != payload:
                raise RuntimeError(f"the {size}-byte payload came back changed")
            once = time.perf_counter() - first
            # Enough round trips to fill the budget, at least 3, at most 200.
            n = max(3, min(200, int(budget_s / max(once, 1e-6))))
            times = []
            for _ in range(n):
                started = time.perf_counter()
                pool.apply(echo, (payload,))
                times.append(time.perf_counter() - started)
            rows.append({"bytes": size, "median_s": statistics.median(times), "times_s": times})
            log(f"  pickle {size:>9} B: {statistics.median(times) * 1e6:10.1f} us per round trip ({n} runs)")
    return rows


def main():
    args = datafile.parser(__doc__, "python_starts.json", "fewer sizes and runs").parse_args()
    quick = datafile.quick_requested(args)
    from backends import die_with_parent

    die_with_parent()

    available = multiprocessing.get_all_start_methods()
    methods = [m for m in ("fork", "spawn", "forkserver") if m in available]
    repeat = 2 if quick else 3
    log(
        f"CPython {platform.python_version()}: start methods {available}, default "
        f"{multiprocessing.get_start_method()}; median of {repeat} starts per cell{' (quick)' if quick else ''}"
    )
    started = time.perf_counter()
    starts = measure_starts(methods, QUICK_PARENT_MIB if quick else PARENT_MIB, repeat)
    pickling = measure_pickling(QUICK_SIZES if quick else SIZES, 0.05 if quick else 0.2)
    report = {
        "schema": SCHEMA,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": platform.system(),
        "default_start_method": multiprocessing.get_start_method(),
        "start_methods": available,
        "quick": quick,
        "repeat": repeat,
        "payload_bytes": PAYLOAD_BYTES,
        "starts": starts,
        "pickling": pickling,
        "elapsed_s": time.perf_counter() - started,
    }
    out = datafile.write(args.out, report)
    log(f"wrote {out} in {report['elapsed_s']:.1f} s")
    return 0


# Under spawn and forkserver the child imports this file again (as
# __mp_main__) to find `answer` and `echo`: without this guard it would run
# main() again and try to start processes of its own.
if __name__ == "__main__":
    sys.exit(main())
