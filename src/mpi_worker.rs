//! The rank side of the `mpi` backend: `tvp mpi-worker --ranks N --job JSON`,
//! started N times by `mpirun -n N`.
//!
//! Every rank rebuilds the workload from the job, cuts `0..size` into the
//! same chunks (several per rank, see [`crate::backends::dynamic_chunks`]) and
//! takes every N-th chunk starting at its own rank. Round-robin over many
//! chunks spreads the costly end of an uneven workload such as `primes` over
//! all ranks; every other *item* would too, but would break the contiguous
//! ranges a workload runs over. Rank 0 gathers the partial checksums,
//! combines them with the workload's own `combine` and prints one
//! [`RankReport`] line: the checksum and the time from a barrier (all ranks
//! started) to the combined result, measured with `MPI_Wtime`.
//!
//! Safety nets: a panic on any rank calls `MPI_Abort`, which ends every rank
//! (otherwise the others would wait forever at the gather); a rank that finds
//! the MPI world is not the N ranks it was told to expect stops at once, so a
//! launch without a working MPI never becomes N silent serial copies.

use std::io::Write;

use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::workloads::Job;

/// The subcommand `mpirun` starts on every rank.
pub const SUBCOMMAND: &str = "mpi-worker";

/// Test hook read only here: `panic:R` makes rank R panic and `hang:R` makes
/// it sleep forever, both after the starting barrier.
pub const FAULT_ENV: &str = "TVP_MPI_FAULT";

/// Exit code passed to `MPI_Abort` when a rank panics or fails.
pub const ABORT_CODE: i32 = 70;

/// What rank 0 prints, as one JSON line, when the job is done.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankReport {
    pub checksum: u64,
    /// From the barrier to the combined checksum at rank 0, in seconds.
    pub compute_secs: f64,
    /// The MPI world size the ranks saw.
    pub ranks: usize,
}

/// A fault to inject for tests, from [`FAULT_ENV`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Panic(i32),
    Hang(i32),
}

fn parse_fault(text: &str) -> Result<Fault> {
    let bad = || {
        Error::Mpi(format!(
            "{FAULT_ENV}={text:?}: expected `panic:RANK` or `hang:RANK`"
        ))
    };
    let (kind, rank) = text.split_once(':').ok_or_else(bad)?;
    let rank = rank.trim().parse().map_err(|_| bad())?;
    match kind.trim() {
        "panic" => Ok(Fault::Panic(rank)),
        "hang" => Ok(Fault::Hang(rank)),
        _ => Err(bad()),
    }
}

/// `tvp mpi-worker`: run this rank's share of `job_json` on `expected_ranks`
/// ranks. Returns only on success; any failure after MPI started aborts every
/// rank with [`ABORT_CODE`].
pub fn main(expected_ranks: usize, job_json: &str) -> Result<()> {
    // mpirun (or its daemon) is this rank's parent: die with it, so killing
    // mpirun never leaves a rank computing.
    crate::worker::die_with_parent();
    let universe = mpi::initialize()
        .ok_or_else(|| Error::Mpi("MPI was already initialised in this process".to_string()))?;
    let world = universe.world();
    let rank = world.rank();
    std::panic::set_hook(Box::new(move |info| {
        let message = crate::error::panic_message(info.payload());
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!(
            "tvp mpi-worker: rank {rank} panicked{place}: {message}; aborting every rank \
             (MPI_Abort)"
        );
        SimpleCommunicator::world().abort(ABORT_CODE);
    }));
    match run_rank(&world, expected_ranks, job_json) {
        Ok(()) => Ok(()),
        Err(e) => {
            eprintln!("tvp mpi-worker: rank {rank}: {e}");
            world.abort(ABORT_CODE)
        }
    }
    // `universe` drops here: MPI_Finalize.
}

fn run_rank(world: &SimpleCommunicator, expected_ranks: usize, job_json: &str) -> Result<()> {
    let size = usize::try_from(world.size()).expect("an MPI world size is positive");
    let rank = usize::try_from(world.rank()).expect("an MPI rank is non-negative");
    if size != expected_ranks {
        return Err(Error::Mpi(format!(
            "expected to be one of {expected_ranks} ranks, but the MPI world has {size}: \
             start it with `mpirun -n {expected_ranks}` from the MPI that tvp was built against \
             (a mismatched mpirun starts {expected_ranks} separate one-rank worlds)"
        )));
    }
    let job: Job = serde_json::from_str(job_json)
        .map_err(|e| Error::InvalidJob(format!("the job passed to {SUBCOMMAND}: {e}")))?;
    let workload = job.build()?;
    let chunks = crate::backends::dynamic_chunks(workload.as_ref(), size);
    let fault = std::env::var(FAULT_ENV)
        .ok()
        .map(|text| parse_fault(&text))
        .transpose()?;

    world.barrier();
    let start = mpi::time();
    match fault {
        Some(Fault::Panic(r)) if r == world.rank() => panic!("{FAULT_ENV} asked rank {r} to panic"),
        Some(Fault::Hang(r)) if r == world.rank() => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        _ => {}
    }
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
    let checksum = crate::backends::combine_all(workload.as_ref(), parts)?;
    let compute_secs = mpi::time() - start;
    let report = RankReport {
        checksum,
        compute_secs,
        ranks: size,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &report)
        .map_err(|e| Error::Mpi(format!("cannot write the result: {e}")))?;
    writeln!(out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("rank 0 cannot write its result to stdout", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_bad_ones_say_the_format() {
        assert_eq!(parse_fault("panic:1").unwrap(), Fault::Panic(1));
        assert_eq!(parse_fault("hang: 0").unwrap(), Fault::Hang(0));
        for bad in ["panic", "crash:1", "hang:x"] {
            let err = parse_fault(bad).unwrap_err().to_string();
            assert!(err.contains("panic:RANK"), "{err}");
        }
    }
}
