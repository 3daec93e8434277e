//! The wire protocol between a parent and a `tvp worker` child: one JSON
//! [`Request`] line in, one JSON [`Reply`] line out, in order.

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
