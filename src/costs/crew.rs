//! Contenders started once and set to work on command, in batches: the
//! harness the contention measurements ([`super::locks`],
//! [`super::sharing`]) share.
//!
//! A [`ThreadCrew`] is N threads, each waiting for a batch size and running
//! its work that many times; a [`PeerCrew`] is N `tvp peer` processes, each
//! told a line on stdin and answering `done` when its batch is through
//! ([`serve_batches`] is their side). Either returns from a batch only when
//! every contender has finished it, so criterion times whole batches.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::{PeerProcess, io_err};
use crate::error::{Error, Result};

/// What a contender thread does with a batch: `work(index, ops)`.
pub type Work = Arc<dyn Fn(usize, u64) + Send + Sync>;

/// N threads, started once, each running `work(i, ops)` per batch.
pub struct ThreadCrew {
    go: Vec<crossbeam_channel::Sender<u64>>,
    done: crossbeam_channel::Receiver<()>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for ThreadCrew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadCrew")
            .field("threads", &self.threads.len())
            .finish()
    }
}

impl ThreadCrew {
    /// Starts `n` threads named `<name>-<i>`. Untimed setup.
    pub fn start(n: usize, name: &str, work: Work) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidJob("contention needs a contender".into()));
        }
        let (done_tx, done) = crossbeam_channel::unbounded();
        let mut crew = ThreadCrew {
            go: Vec::with_capacity(n),
            done,
            threads: Vec::with_capacity(n),
        };
        for i in 0..n {
            let (tx, rx) = crossbeam_channel::bounded::<u64>(1);
            let (work, done_tx) = (Arc::clone(&work), done_tx.clone());
            let handle = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    for ops in rx {
                        work(i, ops);
                        if done_tx.send(()).is_err() {
                            return;
                        }
                    }
                })
                .map_err(io_err("cannot start a contender thread"))?;
            crew.go.push(tx);
            crew.threads.push(handle);
        }
        Ok(crew)
    }

    pub fn len(&self) -> usize {
        self.threads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// One batch: every thread runs `ops`; returns when all are done.
    pub fn batch(&self, ops: u64) -> Result<()> {
        let gone = || Error::InvalidJob("a contender thread ended early".into());
        for tx in &self.go {
            tx.send(ops).map_err(|_| gone())?;
        }
        for _ in 0..self.go.len() {
            self.done.recv().map_err(|_| gone())?;
        }
        Ok(())
    }
}

impl Drop for ThreadCrew {
    fn drop(&mut self) {
        // Closing the channels ends each thread's loop.
        self.go.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// N `tvp peer <mechanism>` processes, each told one line per batch.
/// Dropping it kills and reaps them.
#[derive(Debug)]
pub struct PeerCrew {
    peers: Vec<(PeerProcess, ChildStdin, BufReader<ChildStdout>)>,
}

impl PeerCrew {
    /// Starts `n` peers `exe peer <mechanism> <args...>`. Untimed setup.
    pub fn start(exe: &Path, n: usize, mechanism: &str, args: &[String]) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidJob("contention needs a contender".into()));
        }
        let mut peers = Vec::with_capacity(n);
        for _ in 0..n {
            let mut peer = PeerProcess::spawn(exe, mechanism, args)?;
            let (stdin, stdout) = peer.take_stdio();
            peers.push((peer, stdin, BufReader::new(stdout)));
        }
        Ok(PeerCrew { peers })
    }

    /// One batch: peer `i` is sent `line(i)`; returns when every peer
    /// answered `done`.
    pub fn batch(&mut self, line: impl Fn(usize) -> String) -> Result<()> {
        for (i, (peer, stdin, _)) in self.peers.iter_mut().enumerate() {
            writeln!(stdin, "{}", line(i))
                .map_err(|e| peer.error("request not delivered", e.to_string()))?;
        }
        for (peer, _, stdout) in &mut self.peers {
            let mut answer = String::new();
            match stdout.read_line(&mut answer) {
                Ok(_) if answer.trim() == "done" => {}
                Ok(_) => return Err(peer.error("protocol error", format!("sent {answer:?}"))),
                Err(e) => return Err(peer.error("reply unreadable", e.to_string())),
            }
        }
        Ok(())
    }

    pub fn pids(&self) -> Vec<u32> {
        self.peers.iter().map(|(p, ..)| p.pid()).collect()
    }
}

/// The peer's side of a [`PeerCrew`]: for each line on stdin, `batch(line)`,
/// then answer `done`. Exits at end of input.
pub fn serve_batches(mut batch: impl FnMut(&str) -> Result<()>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(io_err("peer: cannot read stdin"))?;
        batch(line.trim())?;
        writeln!(out, "done")
            .and_then(|()| out.flush())
            .map_err(io_err("peer: cannot answer"))?;
    }
    Ok(())
}

/// A whole number from a peer's request line, or an error naming it.
pub fn parse_count(word: Option<&str>, line: &str) -> Result<u64> {
    word.and_then(|w| w.parse().ok())
        .ok_or_else(|| Error::InvalidJob(format!("peer: `{line}` is not a batch request")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    #[test]
    fn every_thread_runs_every_batch() {
        let total = Arc::new(AtomicU64::new(0));
        let t = Arc::clone(&total);
        let crew = ThreadCrew::start(
            3,
            "test",
            Arc::new(move |i, ops| {
                t.fetch_add(ops * (i as u64 + 1), Relaxed);
            }),
        )
        .unwrap();
        crew.batch(10).unwrap();
        crew.batch(5).unwrap();
        assert_eq!(total.load(Relaxed), 15 * (1 + 2 + 3));
        assert_eq!(crew.len(), 3);
        assert!(ThreadCrew::start(0, "none", Arc::new(|_, _| {})).is_err());
    }

    #[test]
    fn request_lines_are_parsed_or_named() {
        assert_eq!(parse_count(Some("12"), "12").unwrap(), 12);
        let err = parse_count(Some("x"), "x 1").unwrap_err();
        assert!(err.to_string().contains("`x 1`"), "{err}");
    }
}
