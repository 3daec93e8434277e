//! The rank side of the `mpi` backend: `tvp mpi-worker --ranks N --job JSON`,
//! started N times by `mpirun -n N`.
//!
//! Every rank rebuilds the workload from the job, cuts `0..size` into the
//! same chunks (several per rank, see [`crate::backends::chunks::dynamic_chunks`]) and
//! takes every N-th chunk starting at its own rank. Round-robin over many
//! chunks spreads the costly end of an uneven workload such as `primes` over
//! all ranks; every other *item* would too, but would break the contiguous
//! ranges a workload runs over. Rank 0 gathers the partial checksums,
//! combines them with the workload's own `combine` and prints one
//! [`RankReport`] line: the checksum and the time from a barrier (all ranks
//! started) to the combined result, measured with `MPI_Wtime`.
//!
//! Safety nets: a panic on any rank aborts that process at once, as
//! `panic = "abort"` would, and an error exits it without `MPI_Finalize`;
//! either way `mpirun` then ends every other rank (otherwise they would wait
//! forever at the gather). The textbook call is `MPI_Abort`, but Open MPI
//! 4.1.4's `mpirun` hung or crashed after it in 2 of 4 tries on the 2-core
//! reference machine. A process abort hangs it less often, but still does:
//! `mpirun` hung in its own shutdown after 6 of 40 jobs with a panicking
//! rank, every rank already dead, ignoring its `--timeout`. So the parent
//! kills an `mpirun` that has not exited a few seconds after its stderr
//! showed the failure
//! ([`EXIT_AFTER_FAILURE`](crate::backends::mpi::EXIT_AFTER_FAILURE)).
//! A rank that finds the MPI world is not the N ranks it was told to expect
//! stops at once, so a launch without a working MPI never becomes N silent
//! serial copies.

use std::io::Write;

use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::workloads::Job;

/// The subcommand `mpirun` starts on every rank.
pub const SUBCOMMAND: &str = "mpi-worker";

/// Exit code of a rank that fails with an error.
pub const ABORT_CODE: i32 = 70;

/// What rank 0 prints, as one JSON line, when the job is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankReport {
    pub checksum: u64,
    /// From the barrier to the combined checksum at rank 0, in seconds.
    pub compute_secs: f64,
    /// The MPI world size the ranks saw.
    pub ranks: usize,
    /// The host every rank ran on (`MPI_Get_processor_name`), in rank order.
    pub hosts: Vec<String>,
}

/// The longest host name a rank sends (Open MPI's `MPI_MAX_PROCESSOR_NAME`).
const MAX_HOST_NAME: usize = 256;

/// Gathers every rank's host name at rank 0, in rank order (other ranks
/// get an empty list); then rank 0 tells the parent that every rank has
/// started ([`STARTED`](super::launch::STARTED) on stdout). Every rank of
/// the world must call it.
pub fn gather_hosts(world: &SimpleCommunicator) -> Result<Vec<String>> {
    let name = mpi::environment::processor_name()
        .map_err(|e| Error::Mpi(format!("this rank's host name is not UTF-8: {e}")))?;
    let mut mine = [0u8; MAX_HOST_NAME];
    let len = name.len().min(MAX_HOST_NAME);
    mine[..len].copy_from_slice(&name.as_bytes()[..len]);
    let root = world.process_at_rank(0);
    if world.rank() != 0 {
        root.gather_into(&mine[..]);
        return Ok(Vec::new());
    }
    let size = usize::try_from(world.size()).expect("an MPI world size is positive");
    let mut all = vec![0u8; MAX_HOST_NAME * size];
    root.gather_into_root(&mine[..], &mut all[..]);
    let hosts = all
        .chunks_exact(MAX_HOST_NAME)
        .map(|raw| {
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).into_owned()
        })
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", super::launch::STARTED)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("rank 0 cannot write to stdout", e))?;
    Ok(hosts)
}

/// `tvp mpi-worker`: run this rank's share of `job_json` on `expected_ranks`
/// ranks. Returns only on success; after MPI started, an error exits with
/// [`ABORT_CODE`] and a panic aborts the process.
pub fn main(expected_ranks: usize, job_json: &str) -> Result<()> {
    serve(SUBCOMMAND, expected_ranks, |world| {
        run_rank(world, expected_ranks, job_json)
    })
}

/// Runs `body` as one rank of a world of `expected_ranks`, for the rank
/// program `tvp <program>`: dies with its parent, starts MPI, checks the
/// world's size, and turns a panic or an error into a line on stderr
/// (`tvp <program>: rank N ...`) and an exit that makes `mpirun` end every
/// other rank. Returns only on success, after `MPI_Finalize`.
pub fn serve(
    program: &str,
    expected_ranks: usize,
    body: impl FnOnce(&SimpleCommunicator) -> Result<()>,
) -> Result<()> {
    // mpirun (or its daemon) is this rank's parent: die with it, so killing
    // mpirun never leaves a rank computing.
    crate::interrupt::die_with_parent();
    // The test-only `fault` workload misbehaves only in worker processes.
    crate::context::mark_as_worker();
    let universe = mpi::initialize()
        .ok_or_else(|| Error::Mpi("MPI was already initialised in this process".to_string()))?;
    let world = universe.world();
    let rank = world.rank();
    let program = program.to_string();
    let name = program.clone();
    std::panic::set_hook(Box::new(move |info| {
        let message = crate::error::panic_message(info.payload());
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!("tvp {name}: rank {rank} panicked{place}: {message}; aborting");
        // As `panic = "abort"` would: no unwinding into MPI state.
        std::process::abort();
    }));
    let size = usize::try_from(world.size()).expect("an MPI world size is positive");
    let outcome = if size == expected_ranks {
        body(&world)
    } else {
        Err(Error::Mpi(format!(
            "expected to be one of {expected_ranks} ranks, but the MPI world has {size}: \
             start it with `mpirun -n {expected_ranks}` from the MPI that tvp was built against \
             (a mismatched mpirun starts {expected_ranks} separate one-rank worlds)"
        )))
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(e) => {
            eprintln!("tvp {program}: rank {rank}: {e}");
            // Exiting without MPI_Finalize makes mpirun end every rank.
            std::process::exit(ABORT_CODE)
        }
    }
    // `universe` drops here: MPI_Finalize.
}

fn run_rank(world: &SimpleCommunicator, expected_ranks: usize, job_json: &str) -> Result<()> {
    let size = expected_ranks;
    let rank = usize::try_from(world.rank()).expect("an MPI rank is non-negative");
    let job: Job = serde_json::from_str(job_json)
        .map_err(|e| Error::InvalidJob(format!("the job passed to {SUBCOMMAND}: {e}")))?;
    let workload = job.build()?;
    let chunks = crate::backends::chunks::dynamic_chunks(workload.as_ref(), size);
    let hosts = gather_hosts(world)?;

    world.barrier();
    let start = mpi::time();
    let cx = Context::free();
    let mine = chunks
        .iter()
        .skip(rank)
        .step_by(size)
        .map(|chunk| workload.run(chunk.clone(), &cx))
        .reduce(|a, b| workload.combine(a, b));
    // [has a part, the part]: a rank with no chunk sends no part, since a
    // workload's combine need not have an identity element.
    let sent = [u64::from(mine.is_some()), mine.unwrap_or(0)];
    let root = world.process_at_rank(0);
    if rank != 0 {
        root.gather_into(&sent[..]);
        return Ok(());
    }
    let mut all = vec![0u64; 2 * size];
    root.gather_into_root(&sent[..], &mut all[..]);
    let parts = all
        .chunks_exact(2)
        .filter(|pair| pair[0] == 1)
        .map(|pair| Ok(pair[1]));
    let checksum = crate::backends::chunks::combine_all(workload.as_ref(), parts)?;
    let compute_secs = mpi::time() - start;
    let report = RankReport {
        checksum,
        compute_secs,
        ranks: size,
        hosts,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &report)
        .map_err(|e| Error::Mpi(format!("cannot write the result: {e}")))?;
    writeln!(out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("rank 0 cannot write its result to stdout", e))
}
