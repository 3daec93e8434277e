//! The process machinery: how a parent runs work in `tvp worker` children.
//!
//! - [`protocol`]: the wire format, one JSON request line in, one reply
//!   line out.
//! - [`worker`]: the child side (`tvp worker`): serve requests until end of
//!   input, die with the parent.
//! - [`child`]: the parent's view of one child: spawn, send, receive with a
//!   deadline, kill and reap on drop.
//! - [`pool`]: N long-lived children fed tasks, like Python's
//!   `multiprocessing.Pool` (close, join, terminate).
//! - [`lines`] and [`deadline`]: the one rule of this layer, every read has
//!   a size bound and every wait a deadline. A line longer than the protocol
//!   allows is a protocol error naming the child; the deadline is the run's,
//!   scaled from the job's expected time or set with `--deadline` /
//!   `TVP_DEADLINE`, and said in the error of a child that passed it.
//!
//! This layer knows workloads (a request carries a job) and nothing above
//! them: backends build on it, never the reverse. A new way to talk to a
//! child belongs here; a new way to split a job belongs in
//! [`crate::backends`].

pub mod child;
pub mod deadline;
pub mod lines;
pub mod pool;
pub mod protocol;
pub mod worker;
