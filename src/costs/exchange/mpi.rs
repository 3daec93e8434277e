//! The exchange as MPI ranks: `tvp mpi-exchange`, started by `mpirun`
//! through the `mpi` backends' [`Launcher`] (so on this machine or on the
//! hosts of a hostfile). Each rank keeps its part of the array and calls
//! `MPI_Allreduce` every step; one `mpirun` measures every buffer size,
//! and rank 0 prints the cells as one JSON line.
//!
//! Over shared memory (`vader`) Open MPI copies each buffer through a
//! segment both ranks map; over TCP it goes through the kernel's network
//! stack, on the loopback interface or through a bridge to another
//! (simulated) host, where a `tbf` limit caps the bytes per second. Expect
//! the copy to cost little next to the TCP path, and a limited link to
//! make communication overtake compute at far smaller buffers.

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use serde::{Deserialize, Serialize};

use super::{Batch, Cell, Group, Part, Policy, Spec, digest, measure};
use crate::backends::mpi::Launcher;
use crate::backends::mpi::launch::find_mpirun;
use crate::backends::mpi::rank::{gather_hosts, serve};
use crate::error::{Error, Result};

/// The subcommand `mpirun` starts on every rank.
pub const SUBCOMMAND: &str = "mpi-exchange";

/// What every rank is asked to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankJob {
    pub specs: Vec<Spec>,
    pub policy: Policy,
}

/// What rank 0 prints when every size is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankResult {
    pub ranks: usize,
    /// The host of every rank, in rank order.
    pub hosts: Vec<String>,
    pub cells: Vec<Cell>,
}

/// Measures every spec of `job` on `ranks` ranks started by `launcher`.
pub fn run(launcher: &Launcher, ranks: usize, job: &RankJob) -> Result<RankResult> {
    for spec in &job.specs {
        spec.validate()?;
    }
    let mpirun = find_mpirun(&launcher.mpirun)?;
    let args = vec![
        "--ranks".to_string(),
        ranks.to_string(),
        "--job".to_string(),
        serde_json::to_string(job).expect("a rank job serialises"),
    ];
    let launched = launcher.run(&mpirun, ranks, SUBCOMMAND, &args)?;
    let results: Vec<RankResult> = launched
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l.trim()).ok())
        .collect();
    match results.as_slice() {
        [result] if result.ranks == ranks && result.cells.len() == job.specs.len() => {
            Ok(result.clone())
        }
        _ => Err(Error::Mpi(format!(
            "expected one result line for {} sizes on {ranks} ranks from rank 0, got:\n{}",
            job.specs.len(),
            launched.stdout.trim()
        ))),
    }
}

/// `tvp mpi-exchange --ranks N --job JSON`: one rank.
pub fn rank_main(expected_ranks: usize, job_json: &str) -> Result<()> {
    serve(SUBCOMMAND, expected_ranks, |world| {
        let job: RankJob = serde_json::from_str(job_json)
            .map_err(|e| Error::InvalidJob(format!("the job passed to {SUBCOMMAND}: {e}")))?;
        let hosts = gather_hosts(world)?;
        let mut cells = Vec::new();
        for spec in &job.specs {
            spec.validate()?;
            let mut group = RankGroup::new(world, *spec);
            cells.push(measure(&mut group, spec.bytes, &job.policy)?);
        }
        if world.rank() == 0 {
            let result = RankResult {
                ranks: expected_ranks,
                hosts,
                cells,
            };
            let line = serde_json::to_string(&result).expect("a rank result serialises");
            println!("{line}");
        }
        Ok(())
    })
}

/// This rank's view of the group.
struct RankGroup<'w> {
    world: &'w SimpleCommunicator,
    spec: Spec,
    part: Part,
    global: Vec<u64>,
    local: Vec<u64>,
}

impl<'w> RankGroup<'w> {
    fn new(world: &'w SimpleCommunicator, spec: Spec) -> Self {
        let ranks = usize::try_from(world.size()).expect("an MPI world size is positive");
        let rank = usize::try_from(world.rank()).expect("an MPI rank is non-negative");
        RankGroup {
            world,
            spec,
            part: Part::new(spec.part(rank, ranks)),
            global: vec![0; spec.words()],
            local: vec![0; spec.words()],
        }
    }
}

fn secs(s: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(s.max(0.0))
}

impl Group for RankGroup<'_> {
    fn steps(&mut self, first: u64, count: u64) -> Result<Batch> {
        self.world.barrier();
        let start = mpi::time();
        let mut compute = 0.0;
        for step in first..first + count {
            if step == 0 {
                self.part.reset();
                self.global.fill(0);
            }
            let began = mpi::time();
            let global = &self.global;
            self.part
                .compute(self.spec.rounds, step, |w| global[w], &mut self.local);
            compute += mpi::time() - began;
            self.world.all_reduce_into(
                &self.local[..],
                &mut self.global[..],
                SystemOperation::sum(),
            );
        }
        Ok(Batch {
            elapsed: secs(mpi::time() - start),
            compute: secs(compute),
        })
    }

    fn digest(&mut self) -> Result<u64> {
        Ok(digest(self.global.iter().copied()))
    }

    fn agree(&mut self, count: u64) -> Result<u64> {
        let mut agreed = count;
        self.world.process_at_rank(0).broadcast_into(&mut agreed);
        Ok(agreed)
    }
}
