//! The library's one error type. Messages say what was wrong and what to do.

use std::io;

/// Everything that can go wrong while building or running a job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown workload `{0}`: run `tvp list` to see the workloads")]
    UnknownWorkload(String),
    #[error("unknown backend `{0}`: run `tvp list` to see the backends")]
    UnknownBackend(String),
    #[error("invalid job: {0}")]
    InvalidJob(String),
    #[error("workload `{workload}` panicked in chunk {chunk}: {message}")]
    ChunkPanicked {
        workload: String,
        chunk: String,
        message: String,
    },
    #[error("worker process {pid} ({what}): {message}")]
    Child {
        pid: u32,
        what: &'static str,
        message: String,
    },
    #[error("workload `{workload}` stopped in chunk {chunk}: another chunk failed first")]
    Cancelled { workload: String, chunk: String },
    #[error("interrupted by {0}: the workers were stopped and temp files removed")]
    Interrupted(&'static str),
    #[error("the process pool is {0}: build a new pool")]
    PoolUnusable(&'static str),
    #[error("backend `{0}` was used before prepare(workers) was called")]
    NotPrepared(&'static str),
    #[error("Python comparison: {0}")]
    Python(String),
    #[error("{0}")]
    Cores(String),
    #[error("results data: {0}")]
    Data(String),
    #[error("drawing the chart `{chart}`: {message}")]
    Chart { chart: String, message: String },
    #[error(
        "backend `{backend}` is not built into this tvp: rebuild with \
         `cargo build --release --features {feature}` ({needs})"
    )]
    FeatureDisabled {
        backend: String,
        feature: &'static str,
        needs: &'static str,
    },
    #[error(
        "backend `{backend}` at {workers} workers returned checksum {got}, sequential \
         {expected}: it computed something else (a bug in the backend or workload)"
    )]
    WrongChecksum {
        backend: String,
        workers: usize,
        got: u64,
        expected: u64,
    },
    #[error("{what} needs {needs}, but {limit}: run fewer workers, or {raise}")]
    Limit {
        /// The run: "`threads` at 20000 workers on `latency`".
        what: String,
        /// "20000 more threads".
        needs: String,
        /// The limit, its name and what is in use.
        limit: String,
        /// How to raise it.
        raise: String,
    },
    #[error("mpi: {0}")]
    Mpi(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// Wraps an IO error with what we were doing when it happened.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns a panic payload into its message.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
