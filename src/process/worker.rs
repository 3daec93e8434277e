//! The child side of the process protocol: `tvp worker`.
//!
//! The parent writes one [`Request`] per line to the child's stdin; the child
//! answers each with one [`Reply`] line on stdout, in order (see
//! [`super::protocol`]). The child exits
//! when its stdin reaches end of file, so closing the pipe is how a parent
//! says "no more tasks". On Linux it also asks the kernel to kill it if its
//! parent dies (PR_SET_PDEATHSIG), so no child outlives its parent.
//!
//! A request line is bounded like every line of the protocol
//! ([`MAX_LINE`]): input that runs past it with no newline gets one error
//! reply, and the worker exits with an error instead of growing without end.

use std::io::{self, Read, Write};
use std::time::Instant;

use super::lines::{LineReader, MAX_LINE, Next};
use super::protocol::{Reply, Request};
use crate::context::{self, Context};
use crate::error::panic_message;

/// Answers one request: runs the chunk, catching a panic into an error reply.
/// A finished chunk's reply carries the time spent computing it (building
/// the workload included, parsing the line not).
pub fn answer(line: &str) -> Reply {
    let request: Request = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return Reply::Error(format!("bad request line: {e}")),
    };
    let started = Instant::now();
    let workload = match request.job.build() {
        Ok(w) => w,
        Err(e) => return Reply::Error(e.to_string()),
    };
    let items = request.start..request.end;
    match crate::error::catch_panic(|| workload.run(items, &Context::free())) {
        Ok(sum) => Reply::done(sum, started.elapsed()),
        Err(payload) => Reply::Error(format!(
            "workload `{}` panicked on items {}..{}: {}",
            request.job.workload,
            request.start,
            request.end,
            panic_message(payload.as_ref())
        )),
    }
}

/// Serves requests from `input` until end of file. A line longer than
/// [`MAX_LINE`] gets an error reply and ends the serving with an error.
pub fn serve(input: impl Read, mut output: impl Write) -> io::Result<()> {
    let mut lines = LineReader::new(input);
    loop {
        let (reply, last) = match lines.next_line()? {
            Next::Line(line) => (answer(&line), None),
            Next::Eof => return Ok(()),
            // The parent stopped mid-line: there is no request to answer.
            Next::Truncated(_) => return Ok(()),
            Next::TooLong(shown) => {
                let message = format!(
                    "a request line longer than {}, with no newline: {shown:?}...",
                    super::lines::describe_bound(MAX_LINE)
                );
                (Reply::Error(message.clone()), Some(message))
            }
        };
        serde_json::to_writer(&mut output, &reply)?;
        output.write_all(b"\n")?;
        output.flush()?;
        if let Some(message) = last {
            return Err(io::Error::new(io::ErrorKind::InvalidData, message));
        }
    }
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
        let sums: Vec<u64> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                let reply = Reply::parse(l).unwrap();
                assert!(matches!(reply, Reply::Done { .. }), "{reply:?}");
                reply.outcome().unwrap().0
            })
            .collect();
        assert_eq!(sums, vec![15, 10]);
    }

    #[test]
    fn bad_lines_get_error_replies() {
        assert!(matches!(answer("not json"), Reply::Error(e) if e.contains("bad request")));
        let unknown = r#"{"job":{"workload":"nope","size":3},"start":0,"end":3}"#;
        assert!(matches!(answer(unknown), Reply::Error(e) if e.contains("nope")));
        assert!(Reply::parse("garbage").unwrap_err().contains("garbage"));
    }

    #[test]
    fn endless_input_without_a_newline_is_refused_not_buffered() {
        // `head -c 3G /dev/zero | tvp worker`, without the 3 GB.
        let mut out = Vec::new();
        let err = serve(io::repeat(0), &mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let reply = Reply::parse(std::str::from_utf8(&out).unwrap()).unwrap();
        assert!(
            matches!(&reply, Reply::Error(e) if e.contains("longer than 1 MiB")),
            "{reply:?}"
        );
    }
}
