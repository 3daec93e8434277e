//! Deadlock, shown safely: two threads taking two locks in opposite orders, and a parent
//! and a child each waiting on a full pipe. Every wait has a timeout, so the program sees
//! the deadlock, says what the cycle was, gets out, and then shows the fix.
//!
//! Python:
//! ```python
//! def transfer(a, b):                       # thread 1: transfer(x, y)
//!     with a.lock:                          # thread 2: transfer(y, x)
//!         with b.lock: ...                  # each holds one lock and waits for the other
//! b.lock.acquire(timeout=1)                 # False after 1 s: a way to notice
//!
//! p = subprocess.Popen(["cat"], stdin=PIPE, stdout=PIPE)
//! p.stdin.write(big); p.stdin.close()       # hangs once both pipes are full
//! out, _ = p.communicate(big)               # the fix: write and read at the same time
//! ```
//! 1. Lock order: thread 1 takes `x` then `y`, thread 2 `y` then `x`; a barrier makes sure
//!    each holds its first lock before it asks for the second. Each asks with
//!    `parking_lot`'s `try_lock_for` (Python: `acquire(timeout=...)`), so instead of
//!    waiting forever both give up, and report the cycle. The fix: every thread takes the
//!    locks in one global order (here by account number), and the cycle cannot form.
//! 2. Pipe buffer: a child copies its stdin to its stdout, chunk by chunk, like `cat`. The
//!    parent writes much more than a pipe holds (the capacity is read from the kernel with
//!    `fcntl(F_GETPIPE_SZ)`) without reading the answers. The child's stdout fills, the
//!    child blocks writing and stops reading; then the parent's writes block too. The
//!    parent writes from a thread and waits for it with a timeout; past it, it kills the
//!    child (its blocked write then fails) and says how far it got. The fix, as in
//!    `communicate()`: read the child's output on another thread while writing.
//!
//! What to look for: both deadlocks detected within their timeouts, with the cycle named;
//! then both fixed versions finish. Unix only (pipes, `fcntl`; see examples/README.md).
//! Run: `cargo run --example deadlock`

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// How long a thread waits for its second lock before it calls it a deadlock.
const LOCK_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the parent waits for its writes to the child.
const PIPE_TIMEOUT: Duration = Duration::from_secs(2);
/// Bytes the parent sends, in pipe capacities.
const PIPES_WORTH: usize = 8;
const CHUNK: usize = 4096;

/// An account: a number (its place in the lock order) and a balance.
struct Account {
    number: u32,
    balance: Mutex<i64>,
}

/// What a transfer did: moved the money, or gave up waiting for `waited_for`.
enum Outcome {
    Done,
    GaveUp { held: u32, waited_for: u32 },
}

/// Locks `from` then `to` (the order the caller chose). Both threads meet at `barrier`
/// once they hold their first lock, so each asks for its second while the other holds it;
/// one that gives up keeps its first lock until the other gave up too (a second meeting),
/// so both see the cycle.
fn transfer(from: &Account, to: &Account, amount: i64, barrier: &Barrier) -> Outcome {
    let mut a = from.balance.lock();
    barrier.wait();
    let Some(mut b) = to.balance.try_lock_for(LOCK_TIMEOUT) else {
        barrier.wait();
        return Outcome::GaveUp {
            held: from.number,
            waited_for: to.number,
        };
    };
    *a -= amount;
    *b += amount;
    Outcome::Done
}

/// The fix: take the two locks in account-number order, whichever way the money goes.
fn transfer_ordered(from: &Account, to: &Account, amount: i64) -> Outcome {
    let (first, second) = if from.number < to.number {
        (from, to)
    } else {
        (to, from)
    };
    let mut f = first.balance.lock();
    let mut s = second.balance.lock();
    let (src, dst) = if from.number < to.number {
        (&mut *f, &mut *s)
    } else {
        (&mut *s, &mut *f)
    };
    *src -= amount;
    *dst += amount;
    Outcome::Done
}

fn lock_order() {
    let x = Arc::new(Account {
        number: 1,
        balance: Mutex::new(100),
    });
    let y = Arc::new(Account {
        number: 2,
        balance: Mutex::new(100),
    });
    println!("lock order: thread 1 moves 10 from account 1 to 2, thread 2 moves 20 from 2 to 1");
    let barrier = Arc::new(Barrier::new(2));
    let start = Instant::now();
    let run = |from: Arc<Account>, to: Arc<Account>, amount: i64, barrier: Arc<Barrier>| {
        std::thread::spawn(move || transfer(&from, &to, amount, &barrier))
    };
    let t1 = run(x.clone(), y.clone(), 10, barrier.clone());
    let t2 = run(y.clone(), x.clone(), 20, barrier);
    let outcomes = [t1.join().unwrap(), t2.join().unwrap()];
    let mut cycle = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        match o {
            Outcome::Done => println!("  thread {}: done", i + 1),
            Outcome::GaveUp { held, waited_for } => {
                println!(
                    "  thread {}: holds account {held}, gave up waiting for account {waited_for} \
                     after {:.1} s",
                    i + 1,
                    LOCK_TIMEOUT.as_secs_f64()
                );
                cycle.push(format!(
                    "thread {} holds {held} and waits for {waited_for}",
                    i + 1
                ));
            }
        }
    }
    if cycle.len() == 2 {
        println!(
            "lock order: deadlock detected in {:.1} s, the cycle: {}",
            start.elapsed().as_secs_f64(),
            cycle.join(", ")
        );
    } else {
        println!(
            "lock order: no deadlock this time (one thread gave up: {})",
            cycle.len()
        );
    }

    // The fix: one global order. Run the same two transfers, many times, at once.
    let start = Instant::now();
    let handles: Vec<_> = [(x.clone(), y.clone(), 10), (y.clone(), x.clone(), 20)]
        .into_iter()
        .map(|(from, to, amount)| {
            std::thread::spawn(move || {
                (0..10_000)
                    .filter(|_| matches!(transfer_ordered(&from, &to, amount), Outcome::Done))
                    .count()
            })
        })
        .collect();
    let done: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let total = *x.balance.lock() + *y.balance.lock();
    println!(
        "ordered: both threads finished, {done} transfers in {:.2} s, money in total {total} \
         (always 200)",
        start.elapsed().as_secs_f64()
    );
}

/// The capacity of the pipe behind `fd`, from the kernel.
#[cfg(target_os = "linux")]
fn pipe_capacity(fd: &impl AsRawFd) -> std::io::Result<usize> {
    // SAFETY: fcntl F_GETPIPE_SZ only reads the descriptor's pipe size.
    let n = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Other Unixes have no F_GETPIPE_SZ: assume Linux's default.
#[cfg(not(target_os = "linux"))]
fn pipe_capacity(_fd: &impl AsRawFd) -> std::io::Result<usize> {
    Ok(65536)
}

/// The child: copy stdin to stdout, one chunk at a time, writing each before reading more.
fn echo() -> std::io::Result<()> {
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout().lock());
    let mut buf = [0u8; CHUNK];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        output.write_all(&buf[..n])?;
        output.flush()?;
    }
}

/// Starts the echoing child with both pipes.
fn spawn_echo() -> std::io::Result<std::process::Child> {
    Command::new(std::env::current_exe()?)
        .arg("echo")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
}

/// Writes `bytes` bytes to `stdin` in chunks, counting them in `written`; closes it at the end.
fn feed(mut stdin: impl Write, bytes: usize, written: &AtomicU64) -> std::io::Result<()> {
    let chunk = [b'x'; CHUNK];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        stdin.write_all(&chunk[..n])?;
        written.fetch_add(n as u64, Relaxed);
        left -= n;
    }
    Ok(())
}

fn pipe_buffer() -> std::io::Result<()> {
    let mut child = spawn_echo()?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let capacity = pipe_capacity(&stdin)?;
    let bytes = PIPES_WORTH * capacity;
    println!(
        "pipe: a pipe holds {capacity} bytes here (F_GETPIPE_SZ); the parent writes {bytes} to a \
         child that echoes each chunk before reading the next, and reads nothing back yet"
    );
    let written = Arc::new(AtomicU64::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let w = written.clone();
    let writer = std::thread::spawn(move || {
        let r = feed(stdin, bytes, &w);
        let _ = tx.send(());
        r
    });
    match rx.recv_timeout(PIPE_TIMEOUT) {
        Ok(()) => println!("pipe: no deadlock: all {bytes} bytes went in (a larger pipe?)"),
        Err(_) => {
            let got = written.load(Relaxed);
            println!(
                "pipe: deadlock detected after {:.1} s: the parent is stuck after writing {got} \
                 of {bytes} bytes; the child's stdout pipe is full ({capacity} bytes), so the \
                 child blocks writing and stops reading; its stdin pipe is full too, so the \
                 parent blocks writing: each waits for the other",
                PIPE_TIMEOUT.as_secs_f64()
            );
            child.kill()?; // the parent's blocked write now fails (EPIPE)
        }
    }
    let status = child.wait()?;
    let ended = writer.join().expect("writer thread");
    println!(
        "pipe: child ended with {status}; the parent's write returned {}",
        match ended {
            Ok(()) => "Ok".to_string(),
            Err(e) => format!("an error: {e}"),
        }
    );
    drop(stdout);

    // The fix (Python's communicate()): a thread reads the child's output while we write.
    let mut child = spawn_echo()?;
    let stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut echoed = Vec::new();
        stdout.read_to_end(&mut echoed).map(|_| echoed)
    });
    let start = Instant::now();
    feed(stdin, bytes, &AtomicU64::new(0))?; // dropping stdin at the end: EOF for the child
    let echoed = reader.join().expect("reader thread")?;
    let status = child.wait()?;
    let intact = echoed.len() == bytes && echoed.iter().all(|&b| b == b'x');
    println!(
        "communicate: wrote and read at the same time: {} of {bytes} bytes came back{} in \
         {:.2} s; child ended with {status}",
        echoed.len(),
        if intact { " intact" } else { " DAMAGED" },
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("echo") {
        return echo();
    }
    lock_order();
    pipe_buffer()
}
