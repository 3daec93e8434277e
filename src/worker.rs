//! The child side of the process protocol: `tvp worker`.
//!
//! The parent writes one [`Request`] per line to the child's stdin; the child
//! answers each with one [`Reply`] line on stdout, in order. The child exits
//! when its stdin reaches end of file, so closing the pipe is how a parent
//! says "no more tasks". On Linux it also asks the kernel to kill it if its
//! parent dies (PR_SET_PDEATHSIG), so no child outlives its parent.

use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::panic_message;
use crate::workloads::Job;

/// One task: run `job` over items `start..end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub job: Job,
    pub start: u64,
    pub end: u64,
}

impl Request {
    /// The request as one line, newline included.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("a request always serialises");
        line.push('\n');
        line
    }
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reply {
    Checksum(u64),
    Error(String),
}

impl Reply {
    /// Parses one reply line. A line that is not a reply is an error that
    /// quotes (the start of) the line.
    pub fn parse(line: &str) -> Result<Reply, String> {
        serde_json::from_str(line.trim_end()).map_err(|e| {
            let shown: String = line.trim_end().chars().take(80).collect();
            format!("sent a line that is not a reply ({e}): {shown:?}")
        })
    }
}

/// Answers one request: runs the chunk, catching a panic into an error reply.
pub fn answer(line: &str) -> Reply {
    let request: Request = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return Reply::Error(format!("bad request line: {e}")),
    };
    let workload = match request.job.build() {
        Ok(w) => w,
        Err(e) => return Reply::Error(e.to_string()),
    };
    let items = request.start..request.end;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        workload.run(items, &Context::free())
    })) {
        Ok(sum) => Reply::Checksum(sum),
        Err(payload) => Reply::Error(format!(
            "workload `{}` panicked on items {}..{}: {}",
            request.job.workload,
            request.start,
            request.end,
            panic_message(payload.as_ref())
        )),
    }
}

/// Serves requests from `input` until end of file.
pub fn serve(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    for line in input.lines() {
        let reply = answer(&line?);
        serde_json::to_writer(&mut output, &reply)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

/// Makes this process die with its parent: asks the kernel for SIGKILL when
/// the parent exits, then checks the parent did not exit already.
///
/// Linux sends the signal when the *thread* that spawned the child exits,
/// not the whole process: a pool must be used from the thread that built it,
/// or outlive neither. `tvp` spawns from its main thread.
pub fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getppid and prctl(PR_SET_PDEATHSIG) touch no memory of ours.
        unsafe {
            let parent = libc::getppid();
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
        }
    }
}

static IN_WORKER: AtomicBool = AtomicBool::new(false);

/// Whether this process is a `tvp worker` child (the test-only `fault`
/// workload asks, to misbehave only there).
pub fn is_worker() -> bool {
    IN_WORKER.load(Ordering::Relaxed)
}

/// Marks this process as a worker child, for [`is_worker`]. An MPI rank
/// (`tvp mpi-worker`) is one too.
pub(crate) fn mark_as_worker() {
    IN_WORKER.store(true, Ordering::Relaxed);
}

/// `tvp worker`: serve stdin until end of file.
pub fn main() -> io::Result<()> {
    mark_as_worker();
    die_with_parent();
    let stdin = io::stdin().lock();
    let stdout = io::stdout().lock();
    serve(stdin, stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_requests_until_eof() {
        let job = Job::new("primes").unwrap().with_size(100);
        let input = [
            Request {
                job: job.clone(),
                start: 0,
                end: 50,
            }
            .to_line(),
            Request {
                job,
                start: 50,
                end: 100,
            }
            .to_line(),
        ]
        .concat();
        let mut out = Vec::new();
        serve(input.as_bytes(), &mut out).unwrap();
        let replies: Vec<Reply> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| Reply::parse(l).unwrap())
            .collect();
        assert_eq!(replies, vec![Reply::Checksum(15), Reply::Checksum(10)]);
    }

    #[test]
    fn bad_lines_get_error_replies() {
        assert!(matches!(answer("not json"), Reply::Error(e) if e.contains("bad request")));
        let unknown = r#"{"job":{"workload":"nope","size":3},"start":0,"end":3}"#;
        assert!(matches!(answer(unknown), Reply::Error(e) if e.contains("nope")));
        assert!(Reply::parse("garbage").unwrap_err().contains("garbage"));
    }
}
