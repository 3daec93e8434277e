//! `multiprocessing.Queue` + `multiprocessing.Lock`: several writer processes put messages
//! on one queue, a reader process takes them off until a sentinel, and `terminate()`.
//!
//! Python (the program this example mirrors):
//! ```python
//! def writer(i, q, lock):                   def reader(q):
//!     for j in range(5):                        while True:
//!         with lock:                                msg = q.get()
//!             q.put(f"writer {i}: {j}")             if msg == "DONE": break
//!                                                   print(msg)
//! q, lock = Queue(), Lock()
//! r = Process(target=reader, args=(q,)); r.start()
//! ws = [Process(target=writer, args=(i, q, lock)) for i in range(3)]
//! for w in ws: w.start()
//! for w in ws: w.join()
//! q.put("DONE"); r.join()                   # the sentinel ends the reader
//! ```
//! Here the queue is what a `multiprocessing.Queue` is underneath: ONE pipe, whose write end
//! every writer process holds and whose read end the reader holds. A message is a frame (a
//! 16-byte header: magic, writer, sequence number, length; then the payload, every byte the
//! writer's letter) written with one `write`. The lock is `flock(2)` on a lock file, like
//! `multiprocessing.Lock` a lock the kernel keeps between processes.
//!
//! Does the lock matter? POSIX makes a pipe write of at most `PIPE_BUF` bytes (4096 on
//! Linux) atomic: it never mixes with another writer's bytes. A larger write can be split
//! when the pipe is full, and another writer's bytes land in between. So the example runs:
//! 1. the program above: 3 writers x 5 small messages under the lock, then the sentinel;
//! 2. the same queue without the lock, small frames (below `PIPE_BUF`) and large ones (twice
//!    what the pipe holds, read from the kernel with `F_GETPIPE_SZ`), then large ones with the
//!    lock. The reader checks every frame's payload and counts the torn ones;
//! 3. a slow reader that the parent terminates mid-stream (`r.terminate()`: SIGTERM): what
//!    was in the pipe, and what the writers could no longer put, is lost.
//!
//! In Python you need no Lock around `q.put`: `multiprocessing.Queue` pickles each message,
//! and its feeder thread writes it to the pipe under the queue's own lock, so messages of
//! any size arrive whole. The Lock in the program above only orders the writers. But
//! `terminate()` a process while it is inside `q.put` (holding that internal lock, or half
//! way through a message) and the queue can be corrupted or every other writer can wait
//! forever: the docs warn against terminating a process that uses a queue.
//!
//! Try: in `writer`, delete the line ending in `// with lock:` and rerun: the locked large
//! run now tears frames too (tests/examples.rs builds exactly that edit).
//! What to look for: every message arrives exactly once with the lock and the sentinel;
//! torn frames only above `PIPE_BUF` without the lock; after `terminate()`, messages lost.
//! Unix only (pipes, `flock`, `fcntl`; see examples/README.md).
//! Run: `cargo run --example queue_lock`

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MAGIC: &[u8; 4] = b"TVPQ";
const HEADER: usize = 16;
/// The sentinel's writer number ("DONE").
const SENTINEL: u32 = u32::MAX;
/// POSIX's limit for atomic pipe writes; Linux's value.
const PIPE_BUF: usize = libc::PIPE_BUF;

/// One pipe: (read end, write end), both close-on-exec (a child gets only what we hand it).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe(2) to fill.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    for fd in fds {
        // SAFETY: fcntl on the descriptors pipe(2) just returned.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: the descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// What the pipe behind `fd` holds, from the kernel (Linux's default elsewhere).
fn pipe_capacity(fd: &impl AsRawFd) -> usize {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: F_GETPIPE_SZ only reads the pipe's size.
        let n = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
        if n > 0 {
            return n as usize;
        }
    }
    let _ = fd;
    65536
}

/// An exclusive `flock` on the lock file, released when dropped: `with lock:`.
struct Held(File);

impl Held {
    fn exclusive(path: &Path) -> std::io::Result<Held> {
        Held::take(path, libc::LOCK_EX)
    }

    /// `LOCK_EX` (one holder) or `LOCK_SH` (many, while nobody holds it exclusively).
    fn take(path: &Path, op: libc::c_int) -> std::io::Result<Held> {
        let f = File::open(path)?;
        // SAFETY: flock on a valid open descriptor; no memory is involved.
        if unsafe { libc::flock(f.as_raw_fd(), op) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Held(f))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // SAFETY: as above (closing the file would release it too).
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// A frame: header (magic, writer, seq, payload length, little-endian) + payload.
fn frame(writer: u32, seq: u32, len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(HEADER + len);
    f.extend_from_slice(MAGIC);
    for v in [writer, seq, len as u32] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.resize(HEADER + len, letter(writer));
    f
}

/// Writer i's payload byte: 'a', 'b', ...
fn letter(writer: u32) -> u8 {
    b'a' + (writer % 26) as u8
}

/// Writer process: puts `messages` frames of `size` payload bytes on the queue (its stdout),
/// each with ONE write, under the lock when given one. Says how many it put on stderr, and
/// exits with 1 if a write failed.
fn writer(i: u32, messages: u32, size: usize, gate: &Path, lock: Option<&Path>) -> ! {
    // SAFETY: fd 1 is the queue's write end, handed to us as stdout; we own it from here on.
    let mut queue = File::from(unsafe { OwnedFd::from_raw_fd(1) });
    let mut put = 0;
    let result = (|| -> std::io::Result<()> {
        // Start together: the parent holds the gate until every writer is started.
        drop(Held::take(gate, libc::LOCK_SH)?);
        for seq in 0..messages {
            let f = frame(i, seq, size);
            let _held = lock.map(Held::exclusive).transpose()?; // with lock:
            // One write(2): atomic up to PIPE_BUF bytes, not beyond.
            let n = queue.write(&f)?;
            if n < f.len() {
                return Err(std::io::Error::other(format!("short write {n}")));
            }
            put += 1;
        }
        Ok(())
    })();
    eprintln!(
        "writer {i}: put {put} of {messages}{}",
        match &result {
            Ok(()) => String::new(),
            Err(e) => format!(", then: {e}"),
        }
    );
    // Said above; the exit status says it too (without Rust's "Error: ..." line).
    std::process::exit(i32::from(result.is_err()))
}

/// What the reader found in the stream.
#[derive(Default)]
struct Tally {
    intact: u64,
    torn: u64,
    duplicates: u64,
    sentinel: bool,
}

/// Reader process: takes frames off the queue (its stdin) until the sentinel or EOF,
/// printing each whole one; torn frames are counted and skipped. `delay` per message
/// makes it slow. Prints a summary line at the end.
fn reader(writers: u32, messages: u32, delay: Duration) -> std::io::Result<()> {
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut seen = vec![vec![0u32; messages as usize]; writers as usize];
    let (mut buf, mut t) = (Vec::new(), Tally::default());
    let mut chunk = vec![0u8; 1 << 16];
    'read: loop {
        // Parse every frame the buffer holds.
        loop {
            let Some(at) = buf.windows(4).position(|w| w == MAGIC) else {
                buf.drain(..buf.len().saturating_sub(3)); // keep a possible split magic
                break;
            };
            buf.drain(..at);
            if buf.len() < HEADER {
                break;
            }
            let word = |k: usize| u32::from_le_bytes(buf[4 * k..4 * k + 4].try_into().unwrap());
            let (w, seq, len) = (word(1), word(2), word(3) as usize);
            if w == SENTINEL {
                t.sentinel = true;
                break 'read;
            }
            let fits = w < writers && seq < messages;
            if !fits || buf.len() < HEADER + len {
                if fits && len <= 1 << 24 {
                    break; // wait for the rest of it
                }
                t.torn += 1; // a header that cannot be one of ours
                buf.drain(..4);
                continue;
            }
            if buf[HEADER..HEADER + len].iter().all(|&b| b == letter(w)) {
                let n = &mut seen[w as usize][seq as usize];
                *n += 1;
                if *n == 1 {
                    t.intact += 1;
                } else {
                    t.duplicates += 1;
                }
                writeln!(out, "reader: writer {w}: message {seq} ({len} bytes)")?;
                out.flush()?;
                buf.drain(..HEADER + len);
                std::thread::sleep(delay);
            } else {
                // Another writer's bytes inside this frame: torn. Resync after its magic.
                t.torn += 1;
                buf.drain(..4);
            }
        }
        let n = input.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let missing: u64 = seen.iter().flatten().filter(|&&n| n == 0).count() as u64;
    writeln!(
        out,
        "reader summary: {} intact, {} torn, {} missing, {} duplicated, sentinel {}",
        t.intact,
        t.torn,
        missing,
        t.duplicates,
        if t.sentinel { "seen" } else { "not seen" }
    )
}

/// Kills and reaps children and removes the temp dir however `main` ends.
struct Cleanup(Vec<Child>, PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// One run of the queue: how to run it, and what came out.
struct Run {
    writers: u32,
    messages: u32,
    size: usize,
    locked: bool,
    /// A slow reader terminated this long after the start, instead of the sentinel.
    terminate_after: Option<Duration>,
    /// Print the reader's lines as they arrive.
    echo: bool,
}

struct Outcome {
    /// The reader's message lines, and its summary line if it got to print one.
    received: u64,
    summary: Option<String>,
    /// What the writers said on stderr ("writer 1: put 5 of 5").
    writer_lines: Vec<String>,
    reader_status: std::process::ExitStatus,
}

fn run(me: &Path, dir: &Path, r: &Run) -> std::io::Result<Outcome> {
    let mut guard = Cleanup(Vec::new(), PathBuf::new());
    let (read_end, write_end) = pipe()?;
    let slow = if r.terminate_after.is_some() {
        "20"
    } else {
        "0"
    };
    let mut cmd = Command::new(me);
    cmd.args([
        "reader",
        &r.writers.to_string(),
        &r.messages.to_string(),
        slow,
    ])
    .stdin(Stdio::from(read_end))
    .stdout(Stdio::piped());
    guard.0.push(cmd.spawn()?);
    drop(cmd); // the parent keeps no read end: when the reader dies, writes fail (EPIPE)
    let lines = BufReader::new(guard.0[0].stdout.take().expect("piped")).lines();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || lines.map_while(|l| l.ok()).try_for_each(|l| tx.send(l)));

    let (lock, gate) = (dir.join("queue.lock"), dir.join("start.gate"));
    File::create(&lock)?;
    File::create(&gate)?;
    let closed = Held::exclusive(&gate)?; // the writers wait at the gate until all started
    for i in 0..r.writers {
        let mut cmd = Command::new(me);
        cmd.args(["writer", &i.to_string(), &r.messages.to_string()])
            .arg(r.size.to_string())
            .arg(&gate)
            .stdout(Stdio::from(write_end.try_clone()?))
            .stderr(Stdio::piped());
        if r.locked {
            cmd.arg(&lock);
        }
        guard.0.push(cmd.spawn()?);
    }
    drop(closed); // go
    let (mut received, mut summary) = (0, None);
    let mut take = |line: String| {
        if r.echo {
            println!("  {line}");
        }
        if line.starts_with("reader summary:") {
            summary = Some(line);
        } else {
            received += 1;
        }
    };
    let mut writer_lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    match r.terminate_after {
        None => {
            // for w in ws: w.join(); then q.put("DONE"); r.join()
            for w in &mut guard.0[1..] {
                w.wait()?;
                let mut err = String::new();
                w.stderr.take().expect("piped").read_to_string(&mut err)?;
                writer_lines.extend(err.lines().map(str::to_string));
            }
            File::from(write_end).write_all(&frame(SENTINEL, 0, 0))?;
            while let Some(line) = recv_until(&rx, deadline) {
                take(line);
            }
        }
        Some(after) => {
            // Read what arrives for a while, then r.terminate(): SIGTERM.
            drop(write_end);
            let until = Instant::now() + after;
            while let Some(line) = recv_until(&rx, until) {
                take(line);
            }
            // SAFETY: kill(2) on the pid of a child we have not reaped yet.
            unsafe { libc::kill(guard.0[0].id() as libc::pid_t, libc::SIGTERM) };
            while let Some(line) = recv_until(&rx, deadline) {
                take(line);
            }
            for w in &mut guard.0[1..] {
                w.wait()?;
                let mut err = String::new();
                w.stderr.take().expect("piped").read_to_string(&mut err)?;
                writer_lines.extend(err.lines().map(str::to_string));
            }
        }
    }
    // A reader still running past the deadline is stopped, never waited for forever.
    if guard.0[0].try_wait()?.is_none() {
        guard.0[0].kill()?;
    }
    let reader_status = guard.0[0].wait()?;
    Ok(Outcome {
        received,
        summary,
        writer_lines,
        reader_status,
    })
}

/// The next line before `deadline`; `None` once the reader's stdout closed or time is up.
fn recv_until(rx: &std::sync::mpsc::Receiver<String>, deadline: Instant) -> Option<String> {
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .ok()
}

/// The numbers in the reader's summary: (intact, torn, missing, duplicated).
fn summary_counts(summary: &str) -> (u64, u64, u64, u64) {
    let n: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    (n[0], n[1], n[2], n[3])
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("0");
    let num = |i: usize| arg(i).parse::<u64>().unwrap_or(0);
    match arg(1) {
        "writer" => {
            let (gate, lock) = (Path::new(arg(5)), args.get(6).map(Path::new));
            writer(num(2) as u32, num(3) as u32, num(4) as usize, gate, lock);
        }
        "reader" => {
            return reader(num(2) as u32, num(3) as u32, Duration::from_millis(num(4)));
        }
        _ => {}
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("tvp-queue-lock-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir)?;
    let cleanup = Cleanup(Vec::new(), dir.clone());
    let me = std::env::current_exe()?;

    // 1. The program above.
    println!(
        "parent {}: 3 writers put 5 messages each under the lock",
        std::process::id()
    );
    let seed = Run {
        writers: 3,
        messages: 5,
        size: 16,
        locked: true,
        terminate_after: None,
        echo: true,
    };
    let got = run(&me, &dir, &seed)?;
    let (intact, torn, missing, dup) = summary_counts(got.summary.as_deref().unwrap_or(""));
    println!(
        "seed: reader got {intact} of 15 messages ({missing} missing, {dup} duplicated, {torn} \
         torn) and stopped at the sentinel: {}",
        got.reader_status
    );

    // 2. Does the lock matter? Below and above PIPE_BUF.
    let (probe_r, probe_w) = pipe()?;
    let capacity = pipe_capacity(&probe_w);
    drop((probe_r, probe_w));
    println!("PIPE_BUF is {PIPE_BUF} bytes; a pipe holds {capacity} bytes here (F_GETPIPE_SZ)");
    let small = PIPE_BUF / 8 - HEADER;
    let large = 2 * capacity;
    for (size, locked, messages) in [(small, false, 200), (large, false, 25), (large, true, 25)] {
        let r = Run {
            writers: 4,
            messages,
            size,
            locked,
            terminate_after: None,
            echo: false,
        };
        let got = run(&me, &dir, &r)?;
        let summary = got.summary.unwrap_or_default();
        let (intact, torn, missing, dup) = summary_counts(&summary);
        println!(
            "{} frames ({} bytes), {}: {} sent, {intact} intact, {torn} torn, {missing} missing, \
             {dup} duplicated",
            if size + HEADER <= PIPE_BUF {
                "small"
            } else {
                "large"
            },
            size + HEADER,
            if locked { "with lock" } else { "no lock" },
            r.writers * r.messages,
        );
    }

    // 3. terminate() a slow reader mid-stream.
    let r = Run {
        writers: 3,
        messages: 100,
        size: 2048 - HEADER,
        locked: true,
        terminate_after: Some(Duration::from_millis(300)),
        echo: false,
    };
    let got = run(&me, &dir, &r)?;
    let put: u64 = got
        .writer_lines
        .iter()
        .filter_map(|l| {
            l.split("put ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    for l in &got.writer_lines {
        println!("  {l}");
    }
    println!(
        "terminate: the reader ({}) took {} of the {put} messages the writers put; {} were \
         lost (in the pipe, or read into the reader's buffer but not yet handled), and {} \
         were never put (the writers' next write failed: no reader)",
        got.reader_status,
        got.received,
        put - got.received.min(put),
        (r.writers * r.messages) as u64 - put
    );
    drop(cleanup);
    Ok(())
}
