#!/usr/bin/env python3
"""The suite's CPU workloads (and latency, tcp) in CPython: sequential,
threads, multiprocessing.Pool, ProcessPoolExecutor and, for the workloads
that wait, an asyncio event loop, over the same worker counts as the Rust
sweep; then the balance sweep: multiprocessing.Pool at the core count with
1, 4, 16, 64 and 256 chunks per worker (Pool.map's chunksize), as
`cargo bench --bench balance` does in Rust. Standard library only.

    python3 scripts/python/bench.py            # about 1-2 minutes on 2 cores
    python3 scripts/python/bench.py --quick    # about 10 s (or TVP_QUICK=1)
    python3 scripts/python/bench.py --check --workload primes --sizes 0,1,7

Writes reports/data/python.json (schema in scripts/python/README.md); with
--check, prints only checksums as JSON on stdout. Progress goes to stderr.
"""

import argparse
import json
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import sysconfig
import time

import datafile
from backends import BACKENDS, Pool, die_with_parent, running, runs, split
from workloads import TCP_ADDR_ENV, WORKLOADS, serve

SCHEMA = 1

# CPython runs these loops far slower than Rust, so the Rust
# default sizes would take minutes per cell. On the 2-core reference machine
# (quiet, timing workloads.run_chunk with python3 -c) primes 100,000 took
# 57 ms, monte_carlo 200,000 171 ms, mandelbrot 100 39 ms and latency 100
# 210 ms; the sizes below scale that to an estimated 0.15-0.25 s each (two
# thirds of the first choice, so the whole `cargo bench` fits in 10 minutes),
# so the sweep should take under a minute there, and stay under the 180 s limit of
# `tvp python` when other programs share the cores. On 2026-11-29 the same
# VM took 257, 280 and 348 ms for the sizes then (200,000, 200, 260,000) and
# the script 52 s: the CPU sizes are now about 0.65x of those.
# tcp: a loopback round trip from CPython to tvp's server took 50-100 us on the
# busy 2-core machine, so 600 requests take tens of ms: small, because every
# backend (asyncio too) runs it at every worker count.
SIZES = {"primes": 150_000, "mandelbrot": 170, "monte_carlo": 180_000, "latency": 100, "tcp": 600}
QUICK_SIZES = {"primes": 60_000, "mandelbrot": 90, "monte_carlo": 70_000, "latency": 50, "tcp": 150}
# The balance sweep: Pool.map over K chunks per worker, at the core count.
# The same chunkings as Rust's balance bench (tvp::sweep::balance::CHUNKS).
# All nine powers of two from 1 to 256 took 38.5 s of CPU on the busy
# 2-core machine (80 s of wall time at load average 12), about 19 s of wall
# time on 2 quiet cores; these five take about 5/9 of that.
BALANCE_WORKLOADS = ("primes", "mandelbrot", "monte_carlo")
BALANCE_CHUNKS = [1, 4, 16, 64, 256]
# The balance sweep's time as a share of the sweep's, at most: the sweep
# took 120 s and the full balance list 80 s on the 2-core machine at load
# average 12. With --time-limit (tvp passes its own), the balance sweep is
# skipped, with a message, when it would likely run past the limit.
BALANCE_SHARE = 0.7
QUICK_BALANCE_CHUNKS = [1, 8, 64]
# Timed runs per chunking; one untimed warm-up per workload before them.
BALANCE_REPEAT = 3
SIZE_REASON = (
    "CPython runs these loops far slower than Rust (tvp report gives the measured ratio per item): sizes are reduced "
    "so the whole script takes at most about 2 minutes on a 2-core machine. "
    "Compare speedups, not absolute times."
)


def cores():
    """Cores this process may use, as Rust's available_parallelism sees them."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_workers(n):
    """1, 2, 4, ... up to twice the cores, plus the core count (as
    tvp::default_workers)."""
    n = max(n, 1)
    counts, w = set(), 1
    while w <= 2 * n:
        counts.add(w)
        w *= 2
    counts.update((n, 2 * n))
    return sorted(counts)


def int_list(text):
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a comma-separated list of whole numbers")
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"`{text}` has a negative number")
    return values


def name_list(text):
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(unknown)}: choose from {', '.join(WORKLOADS)}"
        )
    return names


def log(text):
    print(text, file=sys.stderr, flush=True)


def interpreter():
    """What runs this script: version, build, and whether the GIL is on
    (sys._is_gil_enabled exists from 3.13; Py_GIL_DISABLED marks a
    free-threaded build)."""
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "version": sys.version,
        "build": list(platform.python_build()),
        "executable": sys.executable,
        "free_threaded": sysconfig.get_config_var("Py_GIL_DISABLED") == 1,
        "gil_enabled": is_gil_enabled() if is_gil_enabled else None,
    }


def start_server():
    """tvp passes the address of its own tcp server (--tcp-addr); run alone,
    the script starts one in a child process. Returns the process or None."""
    if os.environ.get(TCP_ADDR_ENV):
        return None
    listener = socket.create_server(("127.0.0.1", 0))
    server = multiprocessing.Process(target=serve, args=(listener,), daemon=True)
    server.start()
    os.environ[TCP_ADDR_ENV] = "127.0.0.1:%d" % listener.getsockname()[1]
    listener.close()
    return server


def time_cell(backend, name, size, repeat):
    """One untimed warm-up run (which also gives the checksum), then `repeat`
    timed runs. Returns (times in seconds, checksum)."""
    checksum = backend.run(name, size)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        got = backend.run(name, size)
        times.append(time.perf_counter() - start)
        if got != checksum:
            raise RuntimeError(f"{backend.name} gave {got} then {checksum} for {name}")
    return times, checksum


def sweep(names, sizes, workers, repeat):
    results = []
    for name in names:
        size = sizes[name]
        expected = None
        for backend_name, cls in BACKENDS.items():
            if not runs(cls, name):
                continue
            counts = [1] if backend_name == "python-seq" else workers
            for w in counts:
                with running(cls, w) as backend:
                    times, checksum = time_cell(backend, name, size, repeat)
                if expected is None:
                    expected = checksum  # python-seq runs first
                row = {
                    "workload": name,
                    "backend": backend_name,
                    "workers": w,
                    "size": size,
                    "median_s": statistics.median(times),
                    "times_s": times,
                    "checksum": checksum,
                    "checksum_ok": checksum == expected,
                }
                results.append(row)
                log(
                    f"  {name:<12} {backend_name:<16} {w:>3} workers "
                    f"{row['median_s'] * 1e3:9.1f} ms  checksum {checksum}"
                    + ("" if row["checksum_ok"] else f" WRONG (sequential {expected})")
                )
    return results


def balance(names, sizes, workers, chunks, repeat, expected):
    """multiprocessing.Pool with `workers` processes at every chunks-per-worker
    count in `chunks`: one pool per workload, one untimed warm-up, then
    `repeat` timed runs per count. `expected` maps a workload to python-seq's
    checksum. Returns the rows of python.json's "balance"."""
    rows = []
    for name in names:
        if name not in BALANCE_WORKLOADS:
            continue
        size = sizes[name]
        with running(Pool, workers) as pool:
            pool.run(name, size)
            for k in chunks:
                times, checksum = [], None
                for _ in range(repeat):
                    start = time.perf_counter()
                    checksum = pool.run(name, size, per_worker=k)
                    times.append(time.perf_counter() - start)
                row = {
                    "workload": name,
                    "workers": workers,
                    "chunks_per_worker": k,
                    "chunks": len(split(size, workers * k)),
                    "size": size,
                    "median_s": statistics.median(times),
                    "times_s": times,
                    "checksum": checksum,
                    "checksum_ok": checksum == expected.get(name, checksum),
                }
                rows.append(row)
                log(
                    f"  {name:<12} python-pool {workers:>3} workers {k:>4} chunks/worker "
                    f"{row['median_s'] * 1e3:9.1f} ms  checksum {checksum}"
                    + ("" if row["checksum_ok"] else f" WRONG (sequential {expected[name]})")
                )
    return rows


# Chunks per worker at which --check also runs python-pool (beside its
# default, TASKS_PER_WORKER): static, and one that no size divides.
CHECK_CHUNKS = (1, 3)


def check(names, sizes, workers):
    """Checksums of every backend at the given sizes, for the Rust tests;
    python-pool also at CHECK_CHUNKS chunks per worker."""
    rows = []
    for name in names:
        for backend_name, cls in BACKENDS.items():
            if not runs(cls, name):
                continue
            counts = [1] if backend_name == "python-seq" else workers
            for w in counts:
                with running(cls, w) as backend:
                    for size in sizes:
                        rows.append(
                            {
                                "workload": name,
                                "backend": backend_name,
                                "workers": w,
                                "size": size,
                                "checksum": backend.run(name, size),
                            }
                        )
                        if backend_name != Pool.name:
                            continue
                        for k in CHECK_CHUNKS:
                            rows.append(
                                {
                                    "workload": name,
                                    "backend": backend_name,
                                    "workers": w,
                                    "size": size,
                                    "chunks_per_worker": k,
                                    "checksum": backend.run(name, size, per_worker=k),
                                }
                            )
    return {"schema": SCHEMA, "checks": rows}


def main():
    p = datafile.parser(__doc__, "python.json", "small sizes, one timed run")
    p.add_argument("--workload", type=name_list, default=list(WORKLOADS), help="comma-separated [default: all]")
    p.add_argument("--workers", type=int_list, help="comma-separated [default: 1, 2, 4, ... up to twice the cores, plus the core count]")
    p.add_argument("--repeat", type=int, help="timed runs per cell [default: 3, quick 1]")
    p.add_argument("--check", action="store_true", help="print checksums at --sizes as JSON and exit")
    p.add_argument("--sizes", type=int_list, default=[0, 1, 7], help="sizes for --check [default: 0,1,7]")
    p.add_argument("--tcp-addr", help="the tcp server, HOST:PORT [default: start one in a child process]")
    p.add_argument("--no-balance", action="store_true", help="skip the chunks-per-worker sweep of multiprocessing.Pool")
    p.add_argument("--time-limit", type=float, help="seconds the caller allows; the balance sweep is skipped when it would likely run past them")
    args = p.parse_args()
    die_with_parent()
    if args.tcp_addr:
        os.environ[TCP_ADDR_ENV] = args.tcp_addr
    server = start_server() if "tcp" in args.workload else None
    try:
        return measure(p, args)
    finally:
        if server is not None:
            server.terminate()
            server.join()


def measure(p, args):
    n = cores()
    workers = sorted(set(args.workers)) if args.workers else default_workers(n)
    if not workers or min(workers) < 1:
        p.error("workers must be at least 1")
    if args.check:
        json.dump(check(args.workload, args.sizes, workers), sys.stdout)
        print()
        return 0

    quick = datafile.quick_requested(args)
    sizes = QUICK_SIZES if quick else SIZES
    repeat = args.repeat or (1 if quick else 3)
    if repeat < 1:
        p.error("--repeat must be at least 1")
    log(
        f"CPython {platform.python_version()}, {n} cores usable, workers {workers}, "
        f"median of {repeat} timed run(s){' (quick)' if quick else ''}; sizes reduced: {SIZE_REASON}"
    )
    started = time.perf_counter()
    results = sweep(args.workload, sizes, workers, repeat)
    balance_report = None
    swept_s = time.perf_counter() - started
    if not args.no_balance and args.time_limit and swept_s * (1 + BALANCE_SHARE) > args.time_limit:
        log(
            f"balance: skipped: the sweep took {swept_s:.0f} s, so the balance sweep would likely "
            f"run past the time limit of {args.time_limit:.0f} s (the machine is busy); rerun on "
            "a quieter machine"
        )
    elif not args.no_balance:
        balance_workers = max(n, 2)
        chunks = QUICK_BALANCE_CHUNKS if quick else BALANCE_CHUNKS
        balance_repeat = 1 if quick else BALANCE_REPEAT
        log(
            f"balance: multiprocessing.Pool at {balance_workers} workers, chunks per worker "
            f"{chunks}, median of {balance_repeat} timed run(s)"
        )
        expected = {r["workload"]: r["checksum"] for r in results if r["backend"] == "python-seq"}
        balance_report = {
            "workers": balance_workers,
            "chunks": chunks,
            "repeat": balance_repeat,
            "results": balance(args.workload, sizes, balance_workers, chunks, balance_repeat, expected),
        }
    report = {
        "schema": SCHEMA,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "interpreter": interpreter(),
        "machine": {
            "cores": n,
            "cpu_count": os.cpu_count(),
            "system": platform.system(),
            "arch": platform.machine(),
            "start_method": multiprocessing.get_start_method(),
        },
        "quick": quick,
        "repeat": repeat,
        "workers": workers,
        "sizes": {name: sizes[name] for name in args.workload},
        "kinds": {name: WORKLOADS[name][1] for name in args.workload},
        "size_reason": SIZE_REASON,
        "elapsed_s": time.perf_counter() - started,
        "results": results,
        "balance": balance_report,
    }
    out = datafile.write(args.out, report)
    log(f"wrote {out} in {report['elapsed_s']:.1f} s")
    balanced = balance_report["results"] if balance_report else []
    return 0 if all(r["checksum_ok"] for r in results + balanced) else 1


if __name__ == "__main__":
    sys.exit(main())
