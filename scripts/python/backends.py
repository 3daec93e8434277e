"""Ways to run a workload in CPython, one class each, as in src/backends/.

Every backend splits 0..size into contiguous chunks, runs them on its
workers and adds the partial checksums. Setup (starting threads or
processes) happens in __init__, outside the timing, like Backend::prepare.

- python-seq:      one loop in this thread; the reference.
- python-threads:  ThreadPoolExecutor, one static chunk per worker, like
                   Rust's `threads` (and `gil`). Under the GIL only one
                   thread runs bytecode at a time: no CPU speedup.
- python-pool:     multiprocessing.Pool, TASKS_PER_WORKER chunks per
                   worker, like Rust's `pool`; `run(..., per_worker=K)`
                   cuts K chunks per worker instead (the balance sweep).
- python-executor: concurrent.futures.ProcessPoolExecutor, chunked the
                   same way as python-pool.
- python-asyncio:  one asyncio event loop on this thread, asyncio.gather of
                   one task per worker (one static chunk each), like Rust's
                   `async`: for the workloads that wait (latency, tcp), whose
                   async twins await timers and sockets. Workers are tasks.
"""

import asyncio

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from workloads import ASYNC, combine, run_chunk

# As TASKS_PER_WORKER in src/backends/mod.rs: enough chunks per worker that
# one finishing early finds more work.
TASKS_PER_WORKER = 8


def die_with_parent():
    """With TVP_DIE_WITH_PARENT=1 (set by `tvp python`), on Linux: have the
    kernel kill this process when its parent dies, so that if tvp is killed,
    the script and its worker processes do not run on alone. Called in the
    script and as the initializer of every worker process.

    TVP_PARENT_PID names the process that must be our parent: tvp for the
    script, then the script for its workers (set here once checked). A parent
    that died before prctl took effect is caught even though the orphan was
    already handed to another parent, whose pid getppid() would show."""
    if os.environ.get("TVP_DIE_WITH_PARENT") != "1" or not sys.platform.startswith("linux"):
        return
    expected = os.environ.get("TVP_PARENT_PID", "")
    parent = int(expected) if expected.isdigit() else os.getppid()
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    os.environ["TVP_PARENT_PID"] = str(os.getpid())


def split(size, parts):
    """At most `parts` contiguous, non-empty ranges covering 0..size whose
    lengths differ by at most one (the same rule as workloads::split)."""
    parts = min(max(parts, 1), size)
    if parts == 0:
        return []
    base, extra = divmod(size, parts)
    chunks, start = [], 0
    for i in range(parts):
        end = start + base + (1 if i < extra else 0)
        chunks.append((start, end))
        start = end
    return chunks


def tasks(name, size, parts):
    return [(name, start, end, size) for start, end in split(size, parts)]


class Sequential:
    name = "python-seq"

    def __init__(self, workers):
        self.workers = 1

    def run(self, name, size):
        return combine([run_chunk((name, 0, size, size))])

    def close(self, abort=False):
        pass


class Threads:
    name = "python-threads"

    def __init__(self, workers):
        self.workers = workers
        self.executor = ThreadPoolExecutor(max_workers=workers)

    def run(self, name, size):
        return combine(self.executor.map(run_chunk, tasks(name, size, self.workers)))

    def close(self, abort=False):
        self.executor.shutdown(wait=True, cancel_futures=abort)


class Pool:
    name = "python-pool"

    def __init__(self, workers):
        self.workers = workers
        self.pool = multiprocessing.Pool(workers, initializer=die_with_parent)

    def run(self, name, size, per_worker=TASKS_PER_WORKER):
        # One task per chunk: the same as pool.map(item, range(size),
        # chunksize=size // (workers * per_worker)), without pickling every
        # item. Pool.map's own default chunksize is len / (4 * workers),
        # rounded up: about 4 chunks per worker.
        chunks = tasks(name, size, self.workers * per_worker)
        return combine(self.pool.map(run_chunk, chunks, chunksize=1))

    def close(self, abort=False):
        # close() lets queued tasks finish; terminate() kills tasks in
        # flight. join() then waits for the workers to exit.
        if abort:
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()


class Executor:
    name = "python-executor"

    def __init__(self, workers):
        self.workers = workers
        self.executor = ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent)

    def run(self, name, size):
        chunks = tasks(name, size, self.workers * TASKS_PER_WORKER)
        return combine(self.executor.map(run_chunk, chunks))

    def close(self, abort=False):
        self.executor.shutdown(wait=True, cancel_futures=abort)


class Asyncio:
    name = "python-asyncio"

    def __init__(self, workers):
        self.workers = workers
        self.loop = asyncio.new_event_loop()

    @staticmethod
    def runs(name):
        """Whether the workload has an async twin."""
        return name in ASYNC

    def run(self, name, size):
        chunks = split(size, self.workers)

        async def gather():
            return await asyncio.gather(*(ASYNC[name](s, e, size) for s, e in chunks))

        return combine(self.loop.run_until_complete(gather()))

    def close(self, abort=False):
        self.loop.close()


BACKENDS = {b.name: b for b in (Sequential, Threads, Pool, Executor, Asyncio)}


def runs(backend_cls, name):
    """Whether `backend_cls` runs workload `name` (asyncio: only those that wait)."""
    return getattr(backend_cls, "runs", lambda _: True)(name)


class running:
    """`with running(Backend, workers) as b:` closes the backend on exit,
    also on error, so no thread or process outlives the run."""

    def __init__(self, cls, workers):
        self.backend = cls(workers)

    def __enter__(self):
        return self.backend

    def __exit__(self, exc_type, exc, tb):
        self.backend.close(abort=exc_type is not None)
        return False
