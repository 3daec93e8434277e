//! `os.pipe()` / `multiprocessing.Pipe()`: a duplex channel between parent and child made
//! of two one-way pipes.
//!
//! Python:
//! ```python
//! parent_end, child_end = multiprocessing.Pipe()   # duplex: both ends send and recv
//! p = Process(target=echo, args=(child_end,)); p.start(); child_end.close()
//! parent_end.send("ping 1"); print(parent_end.recv())
//! ```
//! A kernel pipe carries bytes one way. The parent makes two with `libc::pipe`: one
//! parent -> child, one child -> parent. The child gets its ends as stdin and stdout,
//! so it talks on stderr. Each side must close the ends it does not use: the child only
//! sees end-of-file when *every* write end of its input pipe is closed.
//!
//! What to look for: parent and child lines with different pids, in lock-step; after the
//! parent closes its write end the child sees EOF and exits with 0.
//! Unix only (pipe(2); see examples/README.md for Windows and macOS).
//! Run: `cargo run --example pipe`

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

const MESSAGES: usize = 3;

/// One pipe: (read end, write end). Both are close-on-exec, so a child inherits only the
/// ends we hand it on purpose (Python's os.pipe does the same since 3.4, PEP 446).
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

/// Child: answer every line on stdin with a line on stdout until EOF.
fn child() -> std::io::Result<()> {
    let pid = std::process::id();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        eprintln!("  child  {pid}: received {line:?}");
        writeln!(out, "pong {} from {pid}", line.trim_start_matches("ping "))?;
        out.flush()?;
    }
    eprintln!("  child  {pid}: end of file on my pipe, exiting");
    Ok(())
}

fn main() -> std::io::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("child") {
        return child();
    }
    let pid = std::process::id();
    let (to_child_r, to_child_w) = pipe()?;
    let (from_child_r, from_child_w) = pipe()?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("child")
        .stdin(Stdio::from(to_child_r)) // the child reads this pipe
        .stdout(Stdio::from(from_child_w)); // and writes that one
    let mut child = cmd.spawn()?;
    // `cmd` still owns the child's ends: drop it, or the parent keeps them open
    // (the `child_end.close()` in the Python above).
    drop(cmd);
    println!(
        "parent {pid}: child {} started with a pipe each way",
        child.id()
    );

    let mut to_child = File::from(to_child_w);
    let mut from_child = BufReader::new(File::from(from_child_r));
    let mut replies = 0;
    let result = (|| -> std::io::Result<()> {
        for i in 1..=MESSAGES {
            println!("parent {pid}: sending \"ping {i}\"");
            to_child.write_all(format!("ping {i}\n").as_bytes())?;
            let mut reply = String::new();
            if from_child.read_line(&mut reply)? == 0 {
                return Err(std::io::Error::other("child closed its pipe early"));
            }
            println!("parent {pid}: received {:?}", reply.trim_end());
            replies += 1;
        }
        Ok(())
    })();
    drop(to_child); // EOF for the child: its loop ends and it exits
    if result.is_err() {
        let _ = child.kill(); // never leave the child behind
    }
    let status = child.wait()?;
    result?;
    let code = status.code().unwrap_or(-1);
    println!(
        "pipe: {MESSAGES} messages sent, {replies} replies received, child exited with code {code}"
    );
    Ok(())
}
