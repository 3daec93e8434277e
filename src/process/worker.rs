//! The child side of the process protocol: `tvp worker`.
//!
//! The parent writes one [`Request`] per line to the child's stdin; the child
//! answers each with one [`Reply`] line on stdout, in order (see
//! [`super::protocol`]). The child exits
//! when its stdin reaches end of file, so closing the pipe is how a parent
//! says "no more tasks". On Linux it also asks the kernel to kill it if its
//! parent dies (PR_SET_PDEATHSIG), so no child outlives its parent.

use std::io::{self, BufRead, Write};

use super::protocol::{Reply, Request};
use crate::context::{self, Context};
use crate::error::panic_message;

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

/// `tvp worker`: serve stdin until end of file.
pub fn main() -> io::Result<()> {
    context::mark_as_worker();
    crate::interrupt::die_with_parent();
    let stdin = io::stdin().lock();
    let stdout = io::stdout().lock();
    serve(stdin, stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::Job;

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
