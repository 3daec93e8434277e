//! `multiprocessing.Pool`: worker processes started once and fed many tasks; `close()`
//! versus `terminate()`.
//!
//! Python:
//! ```python
//! pool = Pool(2); rs = [pool.apply_async(square, (x,)) for x in range(6)]
//! pool.close(); pool.join()   # no new tasks; workers finish the queued ones, then exit 0
//! pool.terminate()            # kill the workers now; tasks in flight are lost
//! ```
//! Here the pool is 2 copies of this executable in `worker` mode. A task is one line on a
//! worker's stdin, `sleep_ms value`; the answer is one line on its stdout. Closing a
//! worker's stdin (EOF) is `close()`: it finishes what it has and exits with 0.
//!
//! What to look for: after `close` all 6 results arrive and both workers exit with code 0;
//! `terminate` returns within milliseconds although 2-second tasks were running, and none
//! of them finished. Unix only (see examples/README.md for Windows and macOS).
//! Run: `cargo run --example pool`

use crossbeam_channel::{Receiver, unbounded};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

struct Pool {
    workers: Vec<(Child, Option<ChildStdin>)>,
    readers: Vec<JoinHandle<()>>, // one thread per worker forwards its stdout lines
    results: Receiver<String>,
    next: usize, // round-robin (Pool really shares one task queue; this keeps it short)
}

impl Pool {
    fn new(n: usize) -> std::io::Result<Pool> {
        let (tx, results) = unbounded();
        let start = Instant::now();
        let mut pool = Pool {
            workers: vec![],
            readers: vec![],
            results,
            next: 0,
        };
        for _ in 0..n {
            let mut child = Command::new(std::env::current_exe()?)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?;
            let out = BufReader::new(child.stdout.take().expect("piped"));
            let tx = tx.clone();
            pool.readers.push(std::thread::spawn(move || {
                for line in out.lines().map_while(Result::ok) {
                    println!("  [{:4} ms] {line}", start.elapsed().as_millis());
                    let _ = tx.send(line);
                }
            }));
            let stdin = child.stdin.take();
            pool.workers.push((child, stdin));
        }
        let pids: Vec<u32> = pool.workers.iter().map(|w| w.0.id()).collect();
        println!("  pool of {n} worker processes started: pids {pids:?}");
        Ok(pool)
    }

    fn submit(&mut self, sleep_ms: u64, value: u64) -> std::io::Result<()> {
        let i = self.next % self.workers.len();
        self.next += 1;
        let stdin = self.workers[i].1.as_mut().expect("pool is open");
        stdin.write_all(format!("{sleep_ms} {value}\n").as_bytes())?;
        stdin.flush()
    }

    /// `close()` + `join()`: drop every stdin (EOF), then wait for the workers to exit.
    fn close(&mut self) -> std::io::Result<Vec<ExitStatus>> {
        self.workers.iter_mut().for_each(|w| drop(w.1.take()));
        self.join()
    }

    /// `terminate()`: kill every worker (no chance to finish), then reap them. `kill` sends
    /// SIGKILL; Python's `terminate()` sends SIGTERM, which a worker could catch.
    fn terminate(&mut self) -> std::io::Result<Vec<ExitStatus>> {
        for w in &mut self.workers {
            let _ = w.0.kill(); // Ok(()) too if it already exited
        }
        self.join()
    }

    /// Reap every worker (no zombies), then let the reader threads drain their last lines.
    fn join(&mut self) -> std::io::Result<Vec<ExitStatus>> {
        let statuses = self.workers.iter_mut().map(|w| w.0.wait()).collect();
        self.readers.drain(..).for_each(|r| drop(r.join()));
        statuses
    }
}

impl Drop for Pool {
    /// Whatever happened (an error, a panic), kill and reap the workers.
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

/// Worker mode: one task per stdin line, one result per stdout line, exit 0 on EOF.
fn worker() -> std::io::Result<()> {
    let pid = std::process::id();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let mut it = line
            .split_whitespace()
            .map(|s| s.parse::<u64>().unwrap_or(0));
        let (ms, v) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        std::thread::sleep(Duration::from_millis(ms)); // the "work"
        writeln!(out, "worker {pid}: {v} squared is {}", v * v)?;
        out.flush()?; // a pipe is block-buffered: flush, or the parent waits forever
    }
    Ok(()) // stdin closed: the pool was closed
}

fn main() -> std::io::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("worker") {
        return worker();
    }
    // close(): 6 short tasks on 2 workers, then close and let them finish.
    let mut pool = Pool::new(2)?;
    println!("close: submitting 6 tasks of 150 ms to 2 workers, then closing");
    (1..=6).try_for_each(|v| pool.submit(150, v))?;
    let statuses = pool.close()?; // returns only when both workers exited
    let done = pool.results.try_iter().count();
    let codes: Vec<i32> = statuses.iter().map(|s| s.code().unwrap_or(-1)).collect();
    println!("close: {done} of 6 tasks finished, worker exit codes {codes:?}");
    drop(pool);

    // terminate(): 4 long tasks, killed after 100 ms.
    let mut pool = Pool::new(2)?;
    println!("terminate: submitting 4 tasks of 2000 ms, terminating after 100 ms");
    (1..=4).try_for_each(|v| pool.submit(2000, v))?;
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let statuses = pool.terminate()?;
    let took = t.elapsed();
    let done = pool.results.try_iter().count();
    let sigs: Vec<_> = statuses.iter().map(|s| format!("{s}")).collect();
    println!("  workers: {sigs:?}: the 2 running tasks and the 2 queued behind them are lost");
    println!(
        "terminate: {done} of 4 tasks finished, returned in {} ms",
        took.as_millis()
    );
    Ok(())
}
