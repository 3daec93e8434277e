//! The wire protocol between a parent and a `tvp worker` child: one JSON
//! [`Request`] line in, one JSON [`Reply`] line out, in order.
//!
//! A finished task is answered with [`Reply::Done`]: the checksum and how
//! long the child spent computing it, measured by the child itself, so a
//! parent can tell a worker's busy time from the time its requests and
//! replies spent in pipes. The older [`Reply::Checksum`], without a time, is
//! still read.

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
    /// A checksum with no time: `{"checksum":15}` (what children sent before
    /// they timed their work; still accepted).
    Checksum(u64),
    /// A checksum and the wall time the child spent computing it:
    /// `{"done":{"checksum":15,"busy_ns":81234}}`.
    Done {
        checksum: u64,
        busy_ns: u64,
    },
    Error(String),
}

impl Reply {
    /// A finished task that took `busy` to compute.
    pub fn done(checksum: u64, busy: Duration) -> Reply {
        Reply::Done {
            checksum,
            busy_ns: u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// Parses one reply line. A line that is not a reply is an error that
    /// quotes (the start of) the line.
    pub fn parse(line: &str) -> Result<Reply, String> {
        serde_json::from_str(line.trim_end()).map_err(|e| {
            let shown: String = line.trim_end().chars().take(80).collect();
            format!("sent a line that is not a reply ({e}): {shown:?}")
        })
    }

    /// The checksum and, when the child timed it, the busy time; `None` for
    /// an error reply.
    pub fn outcome(&self) -> Option<(u64, Option<Duration>)> {
        match *self {
            Reply::Checksum(sum) => Some((sum, None)),
            Reply::Done { checksum, busy_ns } => {
                Some((checksum, Some(Duration::from_nanos(busy_ns))))
            }
            Reply::Error(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_reply_round_trips_and_the_untimed_form_is_still_read() {
        let done = Reply::done(15, Duration::from_micros(81));
        let line = serde_json::to_string(&done).unwrap();
        assert_eq!(line, r#"{"done":{"checksum":15,"busy_ns":81000}}"#);
        assert_eq!(Reply::parse(&line).unwrap(), done);
        assert_eq!(done.outcome(), Some((15, Some(Duration::from_micros(81)))));
        let old = Reply::parse("{\"checksum\":15}\n").unwrap();
        assert_eq!(old, Reply::Checksum(15));
        assert_eq!(old.outcome(), Some((15, None)));
        assert_eq!(Reply::Error("x".into()).outcome(), None);
    }
}
