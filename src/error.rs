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
    #[error("{role} {pid} ({what}): {message}")]
    Child {
        /// What the process is to `tvp`: "worker process", "memory-cell
        /// process".
        role: &'static str,
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
    /// The OS error is said once, in this message (it is not also the
    /// error's `source()`, which `{:#}` would print a second time), with
    /// a hint that matches its errno.
    #[error("{context}: {cause}{hint}")]
    Io {
        context: String,
        cause: io::Error,
        /// "; " and what to do about this errno, or empty.
        hint: String,
    },
    #[error("cannot start {what}: {cause}; {hint}")]
    ThreadStart {
        /// "thread 19 of 64 for the `threads` backend".
        what: String,
        cause: io::Error,
        hint: String,
    },
}

impl Error {
    /// Wraps an IO error with what we were doing when it happened, and the
    /// hint its errno calls for (see [`Doing::Files`]).
    pub fn io(context: impl Into<String>, cause: io::Error) -> Self {
        Error::io_while(Doing::Files, context, cause)
    }

    /// [`Error::io`] for an error that came while `doing` something other
    /// than file IO: the same errno asks for another hint.
    pub fn io_while(doing: Doing, context: impl Into<String>, cause: io::Error) -> Self {
        let hint = os_hint(doing, &cause).map_or_else(String::new, |h| format!("; {h}"));
        Error::Io {
            context: context.into(),
            cause,
            hint,
        }
    }

    /// A thread that could not start: `started` threads of `workers` were
    /// running for `owner` ("the `threads` backend") when it failed (`None`
    /// when the pool builder does not say).
    pub fn thread_start(
        owner: &str,
        workers: usize,
        started: Option<usize>,
        cause: io::Error,
    ) -> Self {
        let what = match started {
            Some(n) => format!("thread {} of {workers} for {owner}", n + 1),
            None => format!("{workers} threads for {owner}"),
        };
        let hint = match os_hint(Doing::Starting, &cause) {
            Some(h) => format!("{h}; or run fewer than {workers} workers (-n)"),
            None => format!("run fewer than {workers} workers (-n)"),
        };
        Error::ThreadStart { what, cause, hint }
    }
}

/// What `tvp` was doing when an OS error came: the same errno means
/// different things to a file write, a process spawn and a connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    /// Reading or writing files and directories.
    Files,
    /// Starting a process or a thread.
    Starting,
    /// Starting the `tvp` binary as a child (`tvp worker`, `tvp
    /// memory-cell`).
    StartingTvp,
    /// Connecting to a server of ours.
    Connecting,
}

/// What to do about `e`, when its errno says something the OS's own words
/// ("Resource temporarily unavailable") do not.
pub fn os_hint(doing: Doing, e: &io::Error) -> Option<String> {
    let errno = e.raw_os_error()?;
    let starting = matches!(doing, Doing::Starting | Doing::StartingTvp);
    Some(match errno {
        libc::EMFILE => "this process has too many files open: raise `ulimit -n` or run \
                         fewer workers"
            .into(),
        libc::ENFILE => "the system has too many files open: close other programs or run \
                         fewer workers"
            .into(),
        libc::ENOSPC if !starting => "the disk is full: free some space, or write elsewhere \
                                      (TMPDIR, --out)"
            .into(),
        libc::EDQUOT => "your disk quota is used up: free some space or write elsewhere".into(),
        libc::EROFS => "the file system is read-only: write elsewhere (TMPDIR, --out)".into(),
        libc::EFBIG => "the file size limit (`ulimit -f`) was reached".into(),
        libc::ENOMEM => "out of memory, or past the address-space limit (`ulimit -v`): free \
                         memory or run fewer workers"
            .into(),
        libc::EAGAIN if starting => format!(
            "the limit on processes and threads was reached (`ulimit -u`{}) or memory for \
             them ran out: raise the limit",
            process_limit().map_or_else(String::new, |n| format!(" is {n}"))
        ),
        libc::EACCES | libc::EPERM if !starting => {
            "permission denied: check who owns the path and its mode".into()
        }
        libc::ENOENT | libc::EACCES if doing == Doing::StartingTvp => {
            "is the tvp binary built? (`cargo build --release`)".into()
        }
        libc::ECONNREFUSED if doing == Doing::Connecting => {
            "nothing listens there: the job's server must run while the job runs".into()
        }
        _ => return None,
    })
}

/// This user's limit on processes and threads (RLIMIT_NPROC), when there
/// is one.
pub fn process_limit() -> Option<u64> {
    // SAFETY: getrlimit writes one rlimit into the zeroed struct we own.
    let limit = unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NPROC, &mut limit) != 0 {
            return None;
        }
        limit
    };
    (limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

thread_local! {
    /// How many [`catch_panic`] calls this thread is inside.
    static CATCHING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `f`, turning a panic into `Err(payload)`. While it runs,
/// [`panic_is_caught`] is true on this thread: `tvp`'s panic hook then
/// prints nothing, because the error made from the payload will say it.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
        }
    }
    CATCHING.with(|c| c.set(c.get() + 1));
    let _depth = Depth;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
}

/// Whether a panic on this thread now would be caught by [`catch_panic`]
/// and reported as an error.
pub fn panic_is_caught() -> bool {
    CATCHING.with(std::cell::Cell::get) > 0
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_is_said_once_with_the_hint_its_errno_calls_for() {
        let e = Error::io("writing x", io::Error::from_raw_os_error(libc::EROFS));
        let text = format!("{:#}", anyhow::Error::new(e));
        assert_eq!(text.matches("os error 30").count(), 1, "{text}");
        assert!(text.contains("read-only"), "{text}");
        let full = Error::io("writing x", io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(full.to_string().contains("disk is full"), "{full}");
        let spawn = Error::io_while(
            Doing::StartingTvp,
            "starting tvp worker",
            io::Error::from_raw_os_error(libc::EMFILE),
        );
        assert!(spawn.to_string().contains("ulimit -n"), "{spawn}");
        assert!(!spawn.to_string().contains("built"), "{spawn}");
        let missing = Error::io_while(
            Doing::StartingTvp,
            "starting tvp worker",
            io::Error::from_raw_os_error(libc::ENOENT),
        );
        assert!(missing.to_string().contains("built"), "{missing}");
    }

    #[test]
    fn a_thread_that_cannot_start_names_the_limit_and_the_worker_count() {
        let e = Error::thread_start(
            "the `threads` backend",
            64,
            Some(18),
            io::Error::from_raw_os_error(libc::EAGAIN),
        )
        .to_string();
        assert!(e.contains("thread 19 of 64"), "{e}");
        assert!(
            e.contains("ulimit -u") && e.contains("fewer than 64"),
            "{e}"
        );
    }

    #[test]
    fn catch_panic_says_while_it_runs() {
        assert!(!panic_is_caught());
        let inside = catch_panic(panic_is_caught).unwrap();
        assert!(inside);
        assert!(catch_panic(|| panic!("boom")).is_err());
        assert!(!panic_is_caught());
    }
}
