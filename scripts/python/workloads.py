"""The suite's workloads in plain CPython, item for item as in src/workloads/.

Each workload is a pure function of an index range that returns a partial
checksum; partial checksums add up (wrapping at 64 bits) in any order, so
every way of running them must give the sequential checksum, and the Rust
one. The arithmetic follows the Rust files exactly: the same operations in
the same order on IEEE doubles, and 64-bit wrapping done by masking.
"""

import asyncio
import os
import socket
import time

MASK64 = (1 << 64) - 1

# --- primes (src/workloads/primes.rs) --------------------------------------


def is_prime(n):
    """Trial division by 2 and odd numbers up to the square root."""
    if n < 4:
        return n >= 2
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def primes(start, end, size):
    """Number of primes in start..end."""
    count = 0
    for n in range(start, end):
        if is_prime(n):
            count += 1
    return count


# --- monte_carlo (src/workloads/monte_carlo.rs) ----------------------------


def splitmix64(counter):
    """SplitMix64 of a counter, wrapping at 64 bits like Rust's u64."""
    z = (counter + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


_UNIT = 1.0 / float(1 << 53)


def monte_carlo(start, end, size):
    """Samples in start..end that fall inside the quarter circle."""
    hits = 0
    for i in range(start, end):
        x = float(splitmix64(2 * i) >> 11) * _UNIT
        y = float(splitmix64(2 * i + 1) >> 11) * _UNIT
        if x * x + y * y <= 1.0:
            hits += 1
    return hits


# --- mandelbrot (src/workloads/mandelbrot.rs) ------------------------------

MAX_ITER = 256


def escape_time(c_re, c_im):
    """Iterations of z = z^2 + c before |z| > 2, at most MAX_ITER."""
    re = im = 0.0
    n = 0
    while n < MAX_ITER:
        re2 = re * re
        im2 = im * im
        if re2 + im2 > 4.0:
            break
        im = 2.0 * re * im + c_im
        re = re2 - im2 + c_re
        n += 1
    return n


def mandelbrot(start, end, size):
    """Sum of the escape times of rows start..end of a size x size grid."""
    n = float(size)
    total = 0
    for row in range(start, end):
        c_im = -1.5 + 3.0 * float(row) / n
        for col in range(size):
            c_re = -2.0 + 3.0 * float(col) / n
            total += escape_time(c_re, c_im)
    return total


# --- latency ---------------------------------------------------------------

LATENCY_MS = 2


def latency(start, end, size):
    """Each item waits LATENCY_MS, like a network call, then does a little
    computation: splitmix64(i) & 0xFFFF. The wait releases the GIL."""
    total = 0
    for i in range(start, end):
        time.sleep(LATENCY_MS / 1000.0)
        total += splitmix64(i) & 0xFFFF
    return total & MASK64


# --- tcp (src/workloads/tcp.rs) --------------------------------------------

# The server's "host:port", set by bench.py before any worker starts, so
# threads and processes alike find it (child processes inherit it).
TCP_ADDR_ENV = "TVP_TCP_ADDR"


def tcp_addr():
    host, port = os.environ[TCP_ADDR_ENV].rsplit(":", 1)
    return host, int(port)


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise ConnectionError("the tcp server closed the connection")
        data += more
    return data


def tcp(start, end, size):
    """One connection per chunk, one round trip per item: 8 bytes, the index;
    the server answers splitmix64(index). Blocking calls release the GIL."""
    if start >= end:
        return 0
    total = 0
    with socket.create_connection(tcp_addr()) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(start, end):
            sock.sendall(i.to_bytes(8, "little"))
            total = (total + int.from_bytes(recv_exactly(sock, 8), "little")) & MASK64
    return total


# --- async twins (Workload::run_async) ---------------------------------------


async def latency_async(start, end, size):
    """latency on the event loop: each wait is an asyncio timer, so one
    thread keeps every chunk's wait going at once."""
    total = 0
    for i in range(start, end):
        await asyncio.sleep(LATENCY_MS / 1000.0)
        total += splitmix64(i) & 0xFFFF
    return total & MASK64


async def tcp_async(start, end, size):
    """tcp on the event loop: asyncio streams to the same server."""
    if start >= end:
        return 0
    host, port = tcp_addr()
    reader, writer = await asyncio.open_connection(host, port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    total = 0
    try:
        for i in range(start, end):
            writer.write(i.to_bytes(8, "little"))
            await writer.drain()
            reply = await reader.readexactly(8)
            total = (total + int.from_bytes(reply, "little")) & MASK64
    finally:
        writer.close()
        await writer.wait_closed()
    return total


# Workloads that wait, and their async twins: the asyncio backend runs these.
ASYNC = {"latency": latency_async, "tcp": tcp_async}


def serve(listener):
    """The tcp server, for a run without tvp's: a thread per connection,
    answering splitmix64 of each request, as src/workloads/tcp.rs does."""
    import threading

    def answer(conn):
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                while True:
                    request = recv_exactly(conn, 8)
                    reply = splitmix64(int.from_bytes(request, "little"))
                    conn.sendall(reply.to_bytes(8, "little"))
            except (ConnectionError, OSError):
                return

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


# name -> (function over (start, end, size), kind)
WORKLOADS = {
    "primes": (primes, "cpu"),
    "mandelbrot": (mandelbrot, "cpu"),
    "monte_carlo": (monte_carlo, "cpu"),
    "latency": (latency, "io"),
    "tcp": (tcp, "io"),
}


def run_chunk(task):
    """Runs one chunk: task = (workload name, start, end, size). A top-level
    function, so process pools can pickle it."""
    name, start, end, size = task
    return WORKLOADS[name][0](start, end, size)


def combine(parts):
    """Adds partial checksums, wrapping at 64 bits."""
    total = 0
    for part in parts:
        total = (total + part) & MASK64
    return total
