//! How a process starts: `fork`, `spawn`, `forkserver`, the three start methods of
//! Python's `multiprocessing`, done by hand.
//!
//! Python:
//! ```python
//! ctx = multiprocessing.get_context("fork")     # or "spawn", or "forkserver"
//! p = ctx.Process(target=work, args=(data,)); p.start(); p.join()
//! ```
//! - fork: the child is a copy of the parent, made by copying its page tables. It sees
//!   the parent's data where it lies (copy-on-write: a page is copied only when someone
//!   writes to it), so the child below reads the parent's byte, writes its own, and the
//!   parent's byte stays as it was.
//! - spawn: a fresh program. Nothing is inherited, so the data must be serialized and sent:
//!   here its length, then its bytes, through the child's stdin.
//! - forkserver: a small server, spawned before the parent grew, forks a child per request.
//!   The fork is cheap (the server is small), but the data still travels through a pipe.
//!
//! What to look for: fork's child sees the data without it being sent; every child's sum
//! agrees; fork's time grows with the parent's memory (`cargo bench --bench costs --
//! start-methods` measures that), spawn's and the server's do not.
//! Run: `cargo run --release --example start`

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// The parent's data: 16 MiB of 7s.
const DATA: usize = 16 << 20;

/// Kills and reaps its child when dropped, on every path out of `main`.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> std::io::Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("child") => child(),
        Some("server") => server(),
        _ => parent(),
    }
}

/// A byte sum: the "work" every child does on the data it got.
fn sum(data: &[u8]) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

/// Reads one request (an 8-byte length, then the bytes); None at end of input.
fn read_request(input: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 8];
    if input.read_exact(&mut len).is_err() {
        return Ok(None);
    }
    let mut data = vec![0u8; u64::from_le_bytes(len) as usize];
    input.read_exact(&mut data)?;
    Ok(Some(data))
}

fn send_request(out: &mut impl Write, data: &[u8]) -> std::io::Result<()> {
    out.write_all(&(data.len() as u64).to_le_bytes())?;
    out.write_all(data)
}

/// spawn's child: a fresh program; the data arrives serialized on stdin.
fn child() -> std::io::Result<()> {
    let data = read_request(&mut std::io::stdin().lock())?.unwrap_or_default();
    println!("{}", sum(&data));
    Ok(())
}

/// The fork server: for each request, fork a child that sums the data and answers.
/// It is single-threaded, so the child may do anything; it still keeps to `write`
/// and `_exit`, as a fork child of a threaded program must.
fn server() -> std::io::Result<()> {
    let mut input = std::io::stdin().lock();
    while let Some(data) = read_request(&mut input)? {
        // SAFETY: this process has one thread; the child only writes to fd 1 and exits.
        match unsafe { libc::fork() } {
            0 => {
                let answer = sum(&data).to_le_bytes();
                // SAFETY: writes 8 bytes we own to stdout, then leaves at once.
                unsafe {
                    libc::write(1, answer.as_ptr().cast(), answer.len());
                    libc::_exit(0);
                }
            }
            -1 => return Err(std::io::Error::last_os_error()),
            pid => {
                let mut status = 0;
                // SAFETY: waits for our own child.
                unsafe { libc::waitpid(pid, &mut status, 0) };
            }
        }
    }
    Ok(())
}

fn parent() -> std::io::Result<()> {
    let me = std::env::current_exe()?;
    // The fork server starts first, while this process is still small.
    let mut server = Reaper(
        Command::new(&me)
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?,
    );
    let mut data = vec![7u8; DATA];
    let expected = sum(&data);

    // 1. fork: the child reads the parent's data in place, then writes a page of its own.
    let start = Instant::now();
    let mut fds = [0; 2];
    // SAFETY: pipe writes two new descriptors into `fds`.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let first: *mut u8 = &mut data[0];
    // SAFETY: this example has one thread; the child only reads and writes its copy of
    // the data, writes to the pipe and leaves with _exit (no destructors, no flush).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above; volatile so the write and the read back really happen.
        unsafe {
            let saw = first.read_volatile();
            first.write_volatile(99); // copy-on-write: the kernel copies this page for the child
            let after = first.read_volatile();
            let mut answer = [saw, after, 0, 0, 0, 0, 0, 0, 0, 0];
            answer[2..].copy_from_slice(&sum(&data[1..]).to_le_bytes());
            libc::write(fds[1], answer.as_ptr().cast(), answer.len());
            libc::_exit(0);
        }
    }
    // SAFETY: closes our copy of the write end; reads the child's answer; reaps it.
    let (answer, n) = unsafe {
        libc::close(fds[1]);
        let mut answer = [0u8; 10];
        let n = libc::read(fds[0], answer.as_mut_ptr().cast(), answer.len());
        libc::close(fds[0]);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        (answer, n)
    };
    assert_eq!(n, 10, "the fork child did not answer");
    let fork_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut rest = [0u8; 8];
    rest.copy_from_slice(&answer[2..]);
    let fork_sum = u64::from(answer[0]) + u64::from_le_bytes(rest);
    println!(
        "fork: the child saw {}, wrote 99 and read {} back; the parent still has {} (copy-on-write)",
        answer[0], answer[1], data[0]
    );
    println!(
        "fork: {fork_ms:.2} ms, the child summed the parent's {DATA} bytes without receiving them"
    );

    // 2. spawn: a fresh program; the data is serialized and sent.
    let start = Instant::now();
    let mut c = Reaper(
        Command::new(&me)
            .arg("child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?,
    );
    send_request(&mut c.0.stdin.take().expect("stdin is piped"), &data)?;
    let mut text = String::new();
    c.0.stdout
        .take()
        .expect("stdout is piped")
        .read_to_string(&mut text)?;
    c.0.wait()?;
    let spawn_sum: u64 = text.trim().parse().unwrap_or(0);
    let spawn_ms = start.elapsed().as_secs_f64() * 1e3;
    println!("spawn: {spawn_ms:.2} ms, the child summed {DATA} bytes sent through a pipe");

    // 3. forkserver: the small server forks a child per request; the data travels to it.
    let mut to_server = server.0.stdin.take().expect("stdin is piped");
    let mut from_server = server.0.stdout.take().expect("stdout is piped");
    let mut server_sums = Vec::new();
    let start = Instant::now();
    for _ in 0..3 {
        send_request(&mut to_server, &data)?;
        let mut answer = [0u8; 8];
        from_server.read_exact(&mut answer)?;
        server_sums.push(u64::from_le_bytes(answer));
    }
    let server_ms = start.elapsed().as_secs_f64() * 1e3 / 3.0;
    drop(to_server); // end of input: the server exits
    server.0.wait()?;
    println!("forkserver: {server_ms:.2} ms per request, a child forked from the small server");

    let all = [fork_sum, spawn_sum]
        .into_iter()
        .chain(server_sums)
        .all(|s| s == expected);
    println!(
        "start: fork {fork_ms:.2} ms, spawn {spawn_ms:.2} ms, forkserver {server_ms:.2} ms; {}",
        if all {
            "every sum agrees"
        } else {
            "A SUM DIFFERS"
        }
    );
    Ok(())
}
