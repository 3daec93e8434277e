"""The suite's workloads in plain CPython, item for item as in src/workloads/.

Each workload is a pure function of an index range that returns a partial
checksum; partial checksums add up (wrapping at 64 bits) in any order, so
every way of running them must give the sequential checksum, and the Rust
one. The arithmetic follows the Rust files exactly: the same operations in
the same order on IEEE doubles, and 64-bit wrapping done by masking.
"""

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


# name -> (function over (start, end, size), kind)
WORKLOADS = {
    "primes": (primes, "cpu"),
    "mandelbrot": (mandelbrot, "cpu"),
    "monte_carlo": (monte_carlo, "cpu"),
    "latency": (latency, "io"),
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
