//! `multiprocessing.Process`: start a child process, wait for it, read its exit status.
//!
//! Python:
//! ```python
//! p = multiprocessing.Process(target=work); p.start(); p.join(); print(p.exitcode)
//! ```
//! Rust has no `fork`-a-function; a child is a program. This example re-runs its own
//! executable (`std::env::current_exe()`) with the argument `child`, which is how the
//! `spawn` start method of `multiprocessing` works too.
//!
//! What to look for: the child prints a different pid from the parent; the parent sees
//! the code the child chose (`exited with code 3`). A child killed by a signal has no
//! exit code at all, only a signal number (Python reports that as `exitcode == -9`).
//! Unix only, and what Python does on Windows and macOS: examples/README.md.
//! Run: `cargo run --example process`

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills and reaps its child when dropped, so no path out of `main` (even `?` or a panic)
/// leaves a process behind. Killing a child that already exited is harmless.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("child") => child(args.get(2).and_then(|c| c.parse().ok()).unwrap_or(0)),
        Some("sleeper") => sleeper(),
        _ => parent(),
    }
}

/// Child mode: a little CPU work, then exit with the code the parent asked for.
fn child(code: i32) -> std::io::Result<()> {
    let pid = std::process::id();
    println!(
        "  child {pid}: started (my parent is {})",
        std::os::unix::process::parent_id()
    );
    let sum: u64 = (0..2_000_000u64).map(|i| i % 7).sum();
    println!("  child {pid}: work done (sum = {sum}), exiting with code {code}");
    std::io::stdout().flush()?;
    std::process::exit(code); // like sys.exit(3) in the Python child
}

/// Child mode: announce readiness, then sleep until killed. Safety net: if the parent
/// dies without killing us (we get a new parent), or after 30 s, exit anyway.
fn sleeper() -> std::io::Result<()> {
    let parent = std::os::unix::process::parent_id();
    println!("ready");
    std::io::stdout().flush()?;
    let start = Instant::now();
    while std::os::unix::process::parent_id() == parent && start.elapsed().as_secs() < 30 {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn parent() -> std::io::Result<()> {
    let me = std::env::current_exe()?;
    println!(
        "parent {}: spawning a child that exits with code 3",
        std::process::id()
    );

    // 1. A child that exits on its own. Its stdout is inherited: its lines appear directly.
    let start = Instant::now();
    let mut c = Reaper(Command::new(&me).args(["child", "3"]).spawn()?);
    let pid = c.0.id();
    let status = c.0.wait()?; // p.join()
    let code = status.code().map_or("none".into(), |c| c.to_string());
    let ms = start.elapsed().as_millis();
    println!("child {pid} exited with code {code} after {ms} ms (Python: p.exitcode == {code})");

    // 2. A child killed by a signal. We read its "ready" line first so we know it runs.
    let mut s = Reaper(
        Command::new(&me)
            .arg("sleeper")
            .stdout(Stdio::piped())
            .spawn()?,
    );
    let pid = s.0.id();
    let mut line = String::new();
    BufReader::new(s.0.stdout.take().expect("stdout is piped")).read_line(&mut line)?;
    println!(
        "parent: child {pid} says {:?}; killing it (p.kill() sends SIGKILL)",
        line.trim()
    );
    s.0.kill()?;
    let status = s.0.wait()?;
    let signal = status.signal().map_or("none".into(), |s| s.to_string());
    println!(
        "child {pid} was killed: code() = {:?}, signal: {signal} (Python: p.exitcode == -{signal})",
        status.code()
    );
    println!(
        "process: first child exited with code {code}, second child ended by signal: {signal}"
    );
    Ok(())
}
