//! `files_fsync`: `files` with an fsync after each write, so every file
//! waits for the disk.
//!
//! fsync returns only when the data is on stable storage, so the time goes
//! to waiting for the device, not to the CPU: it scales past the core count
//! like `latency`, until the disk (or the filesystem's journal) is the
//! limit. Concurrent fsyncs can share one journal commit, which is why many
//! writers can beat one. On tmpfs, fsync is free and this is just `files`:
//! set the `root` option or TMPDIR to a disk-backed dir.
//!
//! A separate workload rather than an option of `files`, so that it has its
//! own default size (fsync costs milliseconds, page-cache writes
//! microseconds), its own bench group and its own line in `tvp list`.
//!
//! Checksum: the same as `files` at the same size. Default 64 files (so 64
//! workers get one each): one sequential run took 380 ms on the 2-core
//! reference machine, about 6 ms per fsync (`tvp run -w files_fsync -b
//! sequential`).

use super::files::{Files, setup};
use super::{Entry, Job, Kind, Workload};
use crate::error::Result;

pub(super) const ENTRY: Entry = Entry {
    name: "files_fsync",
    kind: Kind::Io,
    teaches: "file IO with fsync: waiting for the disk, so it scales past the cores until the disk is busy",
    default_size: 64,
    build,
    setup: Some(setup),
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    Ok(Box::new(Files::from_job(job, ENTRY.name, true)?))
}
