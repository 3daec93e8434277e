//! The lesson of the `mpi` backends, written from measured numbers: how much
//! of a run was launching the MPI runtime and ranks, how that compares with
//! the process backends' spawning, and what TCP instead of shared memory
//! cost. Pure: numbers in, text out; `tvp run` prints it under its table.

use std::time::Duration;

use crate::backends::{MPI, MPI_TCP};
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;

/// One backend at one worker count: its median time and, for the MPI
/// backends, the part of it spent launching.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub backend: String,
    pub workers: usize,
    pub median: Duration,
    pub launch: Option<Duration>,
}

/// The times [`explain_mpi`] reads: the sequential reference and every cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Times {
    pub sequential: Duration,
    pub cells: Vec<Cell>,
    /// Whether the ranks ran on more than one host (a hostfile), so TCP
    /// went between hosts rather than over the loopback interface.
    pub across_hosts: bool,
}

impl Times {
    fn cell(&self, backend: &str, workers: usize) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.backend == backend && c.workers == workers)
    }
}

/// The part of an mpi cell that was computing: its time minus its launch.
fn compute(m: &Cell) -> Option<Duration> {
    m.launch.map(|launch| m.median.saturating_sub(launch))
}

/// Explains the `mpi` cells of `result` at the largest rank count that does
/// not exceed `cores` (or the smallest measured): the sentences of
/// [`explain_mpi_parts`], then its claims'. `None` when there is no `mpi`
/// cell with a launch cost.
pub fn explain_mpi(result: &Times, cores: usize) -> Option<String> {
    let (text, claims) = explain_mpi_parts(result, cores)?;
    let mut all = vec![text];
    all.extend(claims.iter().map(Claim::sentence));
    Some(all.join(" "))
}

/// The rank count [`explain_mpi`] reads: the largest with an `mpi` launch
/// cost that does not exceed `cores`, else the smallest.
fn ranks(result: &Times, cores: usize) -> Option<usize> {
    let mpi_cells = || {
        result
            .cells
            .iter()
            .filter(|m| m.backend == MPI && m.launch.is_some())
    };
    mpi_cells()
        .map(|m| m.workers)
        .filter(|&w| w <= cores)
        .max()
        .or_else(|| mpi_cells().map(|m| m.workers).min())
}

/// Two transports' computing times closer than this share are the same.
const SAME_TRANSPORT: f64 = 0.1;

/// The comparing sentences of [`explain_mpi`] as claims: an mpi run with
/// its launch takes longer than `process` with its spawning, and the ranks
/// compute as fast over TCP as over shared memory (each sends one
/// checksum).
pub fn mpi_claims(result: &Times, cores: usize) -> Vec<Claim> {
    let mut out = Vec::new();
    let Some(ranks) = ranks(result, cores) else {
        return out;
    };
    let Some(mpi) = result.cell(MPI, ranks) else {
        return out;
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    if let Some(process) = result.cell("process", ranks) {
        out.push(
            Claim::new(
                "an mpi run, launch included, takes longer than process, spawning included",
                Expect::Descending,
                vec![
                    Value::new(
                        format!("mpi at {ranks} rank{}", if ranks == 1 { "" } else { "s" }),
                        ms(mpi.median),
                        Unit::Ms,
                    ),
                    Value::new(
                        format!("process at {}", words::workers(ranks)),
                        ms(process.median),
                        Unit::Ms,
                    ),
                ],
            )
            .because(
                "starting mpirun and its ranks (the runtime, MPI_Init) costs far more than a \
                 fork and exec per chunk, so MPI pays off only for jobs that run much longer \
                 than its launch, or that need more than one machine",
            ),
        );
    }
    let computing = |c: &Cell| compute(c).map(ms);
    if let (Some(shm), Some(tcp)) = (
        computing(mpi),
        result.cell(MPI_TCP, ranks).and_then(computing),
    ) {
        out.push(
            Claim::new(
                "the ranks compute as fast over TCP as over shared memory",
                Expect::Level,
                vec![
                    Value::new("mpi (shared memory) computing", shm, Unit::Ms),
                    Value::new("mpi-tcp computing", tcp, Unit::Ms),
                ],
            )
            .tolerance(SAME_TRANSPORT)
            .because(
                "each rank sends only one checksum, so the transport hardly shows; it does when \
                 ranks exchange data",
            )
            .reason(Some(
                "connection setup or a busy machine (one checksum per rank cannot make this \
                 gap): time it again"
                    .to_string(),
            )),
        );
    }
    out
}

/// The sentences of [`explain_mpi`] that state numbers, and its comparing
/// ones as [`mpi_claims`].
pub fn explain_mpi_parts(result: &Times, cores: usize) -> Option<(String, Vec<Claim>)> {
    let ranks = ranks(result, cores)?;
    let mpi = result.cell(MPI, ranks)?;
    let (launch, computing) = (mpi.launch?, compute(mpi)?);
    let mut text = vec![format!(
        "At {ranks} rank{s}, an mpi run took {total}: {launch} ({share:.0}%) launching mpirun \
         and the ranks, {computing} computing ({speedup:.2}x the sequential {seq}).",
        s = if ranks == 1 { "" } else { "s" },
        total = words::duration_ms(mpi.median),
        launch = words::duration_ms(launch),
        share = 100.0 * launch.as_secs_f64() / mpi.median.as_secs_f64().max(1e-12),
        computing = words::duration_ms(computing),
        speedup = result.sequential.as_secs_f64() / computing.as_secs_f64().max(1e-12),
        seq = words::duration_ms(result.sequential),
    )];

    let mut beside = Vec::new();
    if let Some(process) = result.cell("process", ranks) {
        let versus_threads = match result.cell("threads", ranks) {
            Some(threads) if process.median > threads.median => format!(
                " (about {} more than threads)",
                words::duration_ms(process.median - threads.median)
            ),
            Some(_) => " (no slower than threads: its spawning is lost in the noise)".to_string(),
            None => String::new(),
        };
        beside.push(format!(
            "process took {} with its spawning included{versus_threads}",
            words::duration_ms(process.median)
        ));
    }
    if let Some(pool) = result.cell("pool", ranks) {
        beside.push(format!(
            "pool took {}, its children started once, outside the timing",
            words::duration_ms(pool.median)
        ));
    }
    if !beside.is_empty() {
        text.push(format!("At the same worker count {}.", beside.join("; ")));
    } else if launch > computing {
        text.push(
            "The launch outweighed the computation: MPI pays off only for jobs that run much \
             longer than its launch, or that need more than one machine."
                .to_string(),
        );
    }

    let tcp = result.cell(MPI_TCP, ranks);
    if let Some((tcp_launch, tcp_computing)) = tcp.and_then(|t| Some((t.launch?, compute(t)?))) {
        text.push(format!(
            "Over TCP ({}) instead of shared memory the ranks computed in {} ({} against \
             {}) and launched in {} ({}).",
            if result.across_hosts {
                "between hosts"
            } else {
                "loopback"
            },
            words::duration_ms(tcp_computing),
            words::percent_more(computing, tcp_computing),
            words::duration_ms(computing),
            words::duration_ms(tcp_launch),
            words::percent_more(launch, tcp_launch),
        ));
    }
    Some((text.join(" "), mpi_claims(result, cores)))
}

/// The MPI launch against the `process` backend's cost per child: one
/// spawn of a `tvp worker` (the costs bench's `spawn` group).
pub fn launch_vs_spawn(ranks: usize, launch: Duration, worker_spawn: Duration) -> String {
    format!(
        "Launching mpirun and {ranks} rank{s} cost {launch}, as much as {times:.0} spawns of \
         a tvp worker child ({spawn} each on the costs page), which is what the process \
         backend pays per chunk.",
        s = if ranks == 1 { "" } else { "s" },
        launch = words::duration_ms(launch),
        times = launch.as_secs_f64() / worker_spawn.as_secs_f64().max(1e-12),
        spawn = words::duration_ms(worker_spawn),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(backend: &str, workers: usize, median_ms: u64, launch_ms: Option<u64>) -> Cell {
        Cell {
            backend: backend.into(),
            workers,
            median: Duration::from_millis(median_ms),
            launch: launch_ms.map(Duration::from_millis),
        }
    }

    fn sweep(cells: Vec<Cell>) -> Times {
        Times {
            sequential: Duration::from_millis(240),
            cells,
            across_hosts: false,
        }
    }

    #[test]
    fn no_mpi_cells_no_explanation() {
        let result = sweep(vec![cell("threads", 2, 130, None)]);
        assert_eq!(explain_mpi(&result, 2), None);
    }

    #[test]
    fn splits_launch_from_compute_and_compares_with_processes_and_tcp() {
        let result = sweep(vec![
            cell("threads", 2, 125, None),
            cell("process", 2, 130, None),
            cell("pool", 2, 127, None),
            cell("mpi", 1, 560, Some(320)),
            cell("mpi", 2, 445, Some(320)),
            cell("mpi", 4, 600, Some(350)),
            cell("mpi-tcp", 2, 480, Some(352)),
        ]);
        let text = explain_mpi(&result, 2).unwrap();
        for expected in [
            "At 2 ranks, an mpi run took 445 ms: 320 ms (72%) launching",
            "125 ms computing (1.92x the sequential 240 ms)",
            "process took 130 ms with its spawning included (about 5.00 ms more than threads)",
            "pool took 127 ms",
            "Over TCP (loopback) instead of shared memory the ranks computed in 128 ms (+2% \
             against 125 ms) and launched in 352 ms (+10%)",
            "hardly shows",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn a_process_backend_faster_than_threads_is_called_noise() {
        let result = sweep(vec![
            cell("threads", 2, 130, None),
            cell("process", 2, 128, None),
            cell("mpi", 2, 445, Some(320)),
        ]);
        let text = explain_mpi(&result, 2).unwrap();
        assert!(text.contains("lost in the noise"), "{text}");
    }

    #[test]
    fn picks_the_smallest_rank_count_when_all_exceed_the_cores() {
        let result = sweep(vec![
            cell("mpi", 4, 600, Some(400)),
            cell("mpi", 8, 700, Some(450)),
        ]);
        let text = explain_mpi(&result, 2).unwrap();
        assert!(text.starts_with("At 4 ranks"), "{text}");
        assert!(text.contains("launch outweighed"), "{text}");
    }

    #[test]
    fn a_large_transport_gap_is_flagged_as_suspect() {
        let result = sweep(vec![
            cell("mpi", 2, 400, Some(300)),
            cell("mpi-tcp", 2, 460, Some(300)),
        ]);
        let text = explain_mpi(&result, 2).unwrap();
        assert!(
            text.contains("+60%") && text.contains("time it again"),
            "{text}"
        );
    }

    #[test]
    fn the_comparisons_are_claims_that_flip_with_their_numbers() {
        let forward = sweep(vec![
            cell("threads", 2, 125, None),
            cell("process", 2, 130, None),
            cell("mpi", 2, 445, Some(320)),
            cell("mpi-tcp", 2, 480, Some(352)),
        ]);
        let claims = mpi_claims(&forward, 2);
        assert_eq!(claims.len(), 2);
        for c in &claims {
            c.check(&c.sentence()).unwrap();
        }
        assert_eq!(
            claims[0].sentence(),
            "As expected, an mpi run, launch included, takes longer than process, spawning \
             included: mpi at 2 ranks 445 ms and process at 2 workers 130 ms. Starting mpirun \
             and its ranks (the runtime, MPI_Init) costs far more than a fork and exec per \
             chunk, so MPI pays off only for jobs that run much longer than its launch, or \
             that need more than one machine."
        );
        assert!(
            claims[1]
                .sentence()
                .starts_with("As expected, the ranks compute as fast")
        );
        // Reversed: process slower than the whole mpi run.
        let reversed = sweep(vec![
            cell("process", 2, 500, None),
            cell("mpi", 2, 445, Some(320)),
        ]);
        let c = &mpi_claims(&reversed, 2)[0];
        c.check(&c.sentence()).unwrap();
        assert!(
            c.sentence().starts_with(
                "Expected that an mpi run, launch included, takes longer than process, spawning \
                 included, but measured otherwise: mpi at 2 ranks 445 ms and process at 2 \
                 workers 500 ms"
            ),
            "{}",
            c.sentence()
        );
        // The text for the terminal ends with the claims; the page's parts
        // keep them apart, so the page says each once.
        let (text, claims) = explain_mpi_parts(&forward, 2).unwrap();
        assert!(!text.contains("far more"), "{text}");
        assert!(
            explain_mpi(&forward, 2)
                .unwrap()
                .ends_with(&claims[1].sentence())
        );
    }

    #[test]
    fn launch_is_put_in_worker_spawns() {
        let text = launch_vs_spawn(2, Duration::from_millis(160), Duration::from_micros(1600));
        assert!(text.contains("2 ranks cost 160 ms"), "{text}");
        assert!(text.contains("100 spawns"), "{text}");
        assert!(text.contains("1.60 ms each"), "{text}");
    }
}
