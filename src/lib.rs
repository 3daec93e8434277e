//! # threads-vs-processes
//!
//! A benchmark suite that teaches, with measurements from your own machine,
//! when to use threads, a thread pool or child processes.
//!
//! The model in one line: **workload x backend x workers -> checksum + time.**
//! A workload never knows how it is run; a backend never knows what it runs.
//!
//! # The map
//! Each part is a folder; the top level holds only the entry points
//! (`lib.rs`, `main.rs`) and the basics every part uses.
//!
//! | part | what lives there |
//! |---|---|
//! | [`workloads`] | pure functions over an index range, one file each (primes, mandelbrot, monte_carlo, stream; IO-bound: latency, files, files_fsync, tcp) |
//! | [`process`] | the process machinery: the `tvp worker` protocol, the child side, the parent's view of a child, a `multiprocessing.Pool` |
//! | [`backends`] | ways to run a workload, one file each (sequential, threads, rayon, gil, process, pool, async, async-mt; `mpi` behind a feature); every one returns `sequential`'s checksum, and checks the machine's limits before it starts anything |
//! | [`sweep`] | running a plan: timing every backend at every worker count (`tvp run`), which worker counts, cores and affinity (`tvp cores`), memory per cell (RSS, PSS, USS, stacks), chunks per worker (the balance sweep), many waits to 10,000 |
//! | [`costs`] | the primitives underneath, measured: spawn, IPC, locks, context switches, shared memory; the exchange (compute, then all-reduce, every step); start methods (spawn, fork, forkserver), serialization |
//! | [`python`] | the same workloads in CPython, run and compared (`tvp python`); CPython's start methods and pickling |
//! | [`report`] | criterion's results and the data files -> charts, sentences written from the numbers, HTML pages and lessons under `reports/`; also the terminal tables |
//!
//! Basics: [`error`] (one error type), [`context`] (what a backend lends a
//! running workload: the GIL model's hooks, cancellation, which role this
//! process plays), [`interrupt`] (Ctrl-C stops a run and kills its
//! children; children die with their parent), [`scratch`] (temp dirs named
//! for their owner, removed on every way out, swept after SIGKILL),
//! [`machine`] (what this machine is: cores, CPU, memory).
//!
//! # Imports run one way
//! `workloads <- process <- backends <- sweep <- {costs, python} <- report`,
//! with the basics below them all: a part imports only from parts to its
//! left. A workload never imports a backend; the process machinery never
//! imports the report.

pub mod backends;
pub mod context;
pub mod costs;
pub mod error;
pub mod interrupt;
pub mod machine;
pub mod process;
pub mod python;
pub mod report;
pub mod scratch;
pub mod sweep;
pub mod workloads;

pub use backends::{Backend, Config};
pub use context::Context;
pub use error::{Error, Result};
pub use machine::cores;
pub use workloads::{Job, Kind, Workload};
