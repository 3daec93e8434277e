//! `multiprocessing.Queue` + `multiprocessing.Lock` + `Process.terminate()`.
//!
//! Python:
//! ```python
//! def writer(q, lock):                      def reader(q):
//!     for i in range(5):                        while True:          # never returns
//!         with lock: q.put(f"message {i}")          print(q.get())
//! r = Process(target=reader, args=(q,)); r.start(); ...; r.terminate(); r.join()
//! ```
//! Here the queue is a file in a fresh temp dir: writers append lines, the reader follows
//! the end of the file. The lock is `flock(2)` on a lock file: an exclusive lock for each
//! append, a shared one while reading. The writer process runs two threads; each message
//! is written in two `write` calls with a pause between, so without the lock lines from
//! the two threads could interleave mid-line. The lock keeps every line whole (delete
//! the `LOCK_EX` line and run again to see torn lines such as `thread 1writer ...`).
//!
//! What to look for: writer and reader lines interleave as they happen (different pids);
//! the reader never ends by itself; the parent terminates it (SIGTERM) and reports what
//! it read.
//! Run: `cargo run --example queue_lock`

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const THREADS: usize = 2;
const PER_THREAD: usize = 5;

/// Holds a `flock` until dropped. `flock` belongs to the open file, so two threads with
/// their own `File` exclude each other just like two processes do.
struct Flock<'a>(&'a File);

impl<'a> Flock<'a> {
    fn new(f: &'a File, op: libc::c_int) -> std::io::Result<Flock<'a>> {
        // SAFETY: flock on a valid open descriptor; no memory is involved.
        if unsafe { libc::flock(f.as_raw_fd(), op) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Flock(f))
    }
}

impl Drop for Flock<'_> {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Writer process: THREADS threads append PER_THREAD messages each, under the lock.
fn writer(dir: &Path) -> std::io::Result<()> {
    let pid = std::process::id();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || -> std::io::Result<()> {
                    let lock = File::open(dir.join("queue.lock"))?;
                    let mut q = OpenOptions::new().append(true).open(dir.join("queue"))?;
                    for i in 0..PER_THREAD {
                        let held = Flock::new(&lock, libc::LOCK_EX)?; // `with lock:`
                        q.write_all(format!("writer {pid} thread {t}").as_bytes())?;
                        std::thread::sleep(Duration::from_millis(2)); // a torn write, were it not locked
                        q.write_all(format!(": message {i}\n").as_bytes())?;
                        drop(held);
                        println!("  writer {pid} thread {t}: put message {i}");
                        std::thread::sleep(Duration::from_millis(30));
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("writer thread panicked"))
    })
}

/// Reader process: follow the queue file forever, printing each whole line.
fn reader(dir: &Path) -> std::io::Result<()> {
    let (pid, parent) = (std::process::id(), std::os::unix::process::parent_id());
    let lock = File::open(dir.join("queue.lock"))?;
    let mut q = File::open(dir.join("queue"))?;
    let (mut pos, mut buf) = (0, String::new());
    loop {
        {
            let _shared = Flock::new(&lock, libc::LOCK_SH)?; // writers wait while we read
            q.seek(SeekFrom::Start(pos))?;
            pos += q.read_to_string(&mut buf)? as u64;
        }
        while let Some(end) = buf.find('\n') {
            println!("reader {pid}: got \"{}\"", &buf[..end]);
            buf.drain(..=end);
        }
        // Safety net: if our parent died without killing us, stop instead of running forever.
        if std::os::unix::process::parent_id() != parent {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Kills and reaps the children and removes the temp dir however `main` ends.
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

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("writer"), Some(dir)) => return writer(Path::new(dir)),
        (Some("reader"), Some(dir)) => return reader(Path::new(dir)),
        _ => {}
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let name = format!("tvp-queue-lock-{}-{}", std::process::id(), nanos.as_nanos());
    let mut guard = Cleanup(vec![], std::env::temp_dir().join(name));
    let dir = guard.1.clone();
    std::fs::create_dir(&dir)?;
    File::create(dir.join("queue"))?;
    File::create(dir.join("queue.lock"))?;
    println!(
        "parent {}: queue and lock files in {}",
        std::process::id(),
        dir.display()
    );

    let me = std::env::current_exe()?;
    // The reader's stdout comes to us, so we can count its messages as they arrive.
    guard.0.push(
        Command::new(&me)
            .arg("reader")
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()?,
    );
    let lines = BufReader::new(guard.0[0].stdout.take().expect("piped")).lines();
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || lines.map_while(Result::ok).try_for_each(|l| tx.send(l)));
    guard
        .0
        .push(Command::new(&me).arg("writer").arg(&dir).spawn()?);

    // Echo the reader's lines until it has read every message (or 20 s passed).
    let expected = THREADS * PER_THREAD;
    let (mut read, deadline) = (0, Instant::now() + Duration::from_secs(20));
    while read < expected {
        let Ok(line) = rx.recv_deadline(deadline) else {
            break;
        };
        println!("{line}");
        read += 1;
    }
    let status = guard.0[1].wait()?; // writer.join()
    println!("parent: writer exited with {status}; the reader is still looping");
    // reader.terminate(): SIGTERM, as Python sends (Child::kill would send SIGKILL, which is
    // Python's Process.kill()). A process may ignore SIGTERM, so give it 2 s, then SIGKILL.
    let reader = &mut guard.0[0];
    // SAFETY: kill(2) on the pid of a child we have not reaped yet.
    unsafe { libc::kill(reader.id() as libc::pid_t, libc::SIGTERM) };
    let until = Instant::now() + Duration::from_secs(2);
    while reader.try_wait()?.is_none() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    reader.kill()?; // a no-op if SIGTERM already ended it
    let status = reader.wait()?; // reader.join()
    println!("parent: reader ended with {status}");
    println!("reader terminated after reading {read} messages (of {expected} written)");
    Ok(()) // guard removes the temp dir
}
