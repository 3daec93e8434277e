//! Lesson 10: beyond one machine. Processes as MPI ranks, on one host or on
//! several (a hostfile; the simulated cluster), and what communication costs
//! once workers must exchange data every step.

use super::{Example, Lesson, Wanted, point_at};
use crate::backends::{MPI, MPI_TCP};
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;
use crate::report::{Figure, ReportInput};

/// The workload the answer compares the launchers on.
const WORKLOAD: &str = "primes";

/// The largest worker count at or below the cores at which `figure` has
/// every line of `labels`; else the smallest at which it has them all.
fn common_workers(figure: &Figure, labels: &[&str], cores: usize) -> Option<f64> {
    let lines: Vec<_> = labels
        .iter()
        .map(|l| figure.line(l))
        .collect::<Option<_>>()?;
    let mut xs: Vec<f64> = lines[0]
        .points
        .iter()
        .map(|p| p.x)
        .filter(|x| {
            lines
                .iter()
                .all(|l| l.points.iter().any(|p| (p.x - x).abs() < 1e-9))
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    let within = xs.iter().rev().find(|x| **x <= cores as f64).copied();
    within.or_else(|| xs.first().copied())
}

/// Whether `mpi`, its launch included, was slower than `process` and than
/// `pool`, and whether `mpi` and `mpi-tcp` computed in the same time, from
/// the figure `mpi/primes`.
fn answer_claims(input: &ReportInput) -> Vec<Claim> {
    let id = format!("mpi/{WORKLOAD}");
    let Some(figure) = input.figure(&id) else {
        return Vec::new();
    };
    let launched = format!("{MPI}, with launch");
    let mut claims = Vec::new();
    for other in ["process", "pool"] {
        let Some(n) = common_workers(figure, &[&launched, other], input.cores) else {
            continue;
        };
        let (Some(mpi), Some(theirs)) = (
            point_at(input, &id, &launched, n),
            point_at(input, &id, other, n),
        ) else {
            continue;
        };
        let at = words::workers(n as usize);
        claims.push(
            Claim::new(
                format!("{MPI}, its launch included, takes longer than {other}"),
                Expect::Descending,
                vec![
                    Value::new(format!("{MPI} with launch at {at}"), mpi, Unit::Ms),
                    Value::new(format!("{other} at {at}"), theirs, Unit::Ms),
                ],
            )
            .because(format!(
                "starting mpirun and its ranks costs more than {} and is paid every run",
                if other == "pool" {
                    "a pool, which started its children before the clock"
                } else {
                    "spawning plain children"
                }
            ))
            .reason(Some(format!(
                "a job long enough that the launch weighs little next to the computing (the \
                 solid {MPI} line)"
            ))),
        );
    }
    let computing = [format!("{MPI}, computing"), format!("{MPI_TCP}, computing")];
    if let Some(n) = common_workers(figure, &[&computing[0], &computing[1]], input.cores)
        && let (Some(shm), Some(tcp)) = (
            point_at(input, &id, &computing[0], n),
            point_at(input, &id, &computing[1], n),
        )
    {
        let at = words::workers(n as usize);
        claims.push(
            Claim::new(
                format!("{MPI} and {MPI_TCP} compute {WORKLOAD} in about the same time"),
                Expect::Level,
                vec![
                    Value::new(format!("{MPI} at {at}"), shm, Unit::Ms),
                    Value::new(format!("{MPI_TCP} at {at}"), tcp, Unit::Ms),
                ],
            )
            .tolerance(0.2)
            .because("each rank sends back a single number, so the transport hardly matters")
            .reason(Some(
                "setting up the TCP connections between ranks, which falls inside the \
                 computing time"
                    .into(),
            )),
        );
    }
    claims
}

pub const LESSON: Lesson = Lesson {
    slug: "mpi",
    title: "Beyond one machine",
    question: "How do processes work together when they do not share a machine?",
    idea: "<p>Threads end at the edge of one machine, and so does shared memory. MPI starts N \
           copies of one program, its <em>ranks</em>, with <code>mpirun</code>; each knows its \
           rank and the total, works on its share, and the ranks exchange messages (send, \
           receive, reduce). That is a process pool whose workers may sit on other machines. \
           Every exchange is a message, carried through shared memory between ranks on one \
           host and over the network between hosts, so the lessons on spawn cost (3) and \
           message cost (4) apply, at larger scale.</p>\n\
           <p>The suite's optional <code>mpi</code> feature adds two backends that run the same \
           workloads as MPI ranks: <code>mpi</code> (ranks talk through shared memory) and \
           <code>mpi-tcp</code> (through TCP on the loopback interface, as between machines). \
           It needs Open MPI; without the feature nothing needs MPI. Give it a hostfile \
           (<code>--hostfile</code>) and the ranks start on those hosts; \
           <code>scripts/sim-cluster.sh</code> makes a few on this machine, as network \
           namespaces with their own addresses, to try it without a cluster.</p>\n\
           <p>A job whose workers only send back a result hardly notices the network. Most \
           parallel programs are not like that: they compute a step, then exchange what they \
           found, then compute the next. Then the question is how many bytes each step moves, \
           and how fast the path between workers carries them.</p>",
    python: "\
# run: mpirun -n 4 python primes.py
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
part = count_primes(rank * N // size, (rank + 1) * N // size)
total = comm.reduce(part, op=MPI.SUM, root=0)     # rank 0 gets the sum

# compute, then communicate, every step
for step in range(steps):
    local = compute(my_part, shared)               # B bytes
    comm.Allreduce(local, shared, op=MPI.SUM)       # everyone gets the sum",
    examples: &[
        Example {
            command: "\
sudo apt-get install --no-install-recommends openmpi-bin libopenmpi-dev libclang-dev
cargo run --release --features mpi -- run -w primes -b process,pool,mpi,mpi-tcp -n 1,2
cargo bench --features mpi --bench mpi",
            source: None,
            shows: "<p>Builds the MPI backends (<code>libclang-dev</code> is for the build only) \
                and compares them with the process backends. <code>tvp run</code> shows each \
                MPI run's launch cost, starting <code>mpirun</code> and the ranks, in its own \
                column and explains it under the table; the bench measures the chart below \
                and the report's MPI page.</p>",
            excerpt: "",
        },
        Example {
            command: "\
sudo scripts/sim-cluster.sh up 3            # 3 hosts: network namespaces on a bridge
cargo run --release --features mpi -- run -w primes -b mpi -n 2,3 \\
    --hostfile /run/tvp-sim-cluster/hostfile
sudo cargo bench --features mpi --bench mpi -- exchange
sudo scripts/sim-cluster.sh down            # removes every namespace, link and file",
            source: None,
            shows: "<p>Ranks on simulated hosts: the table names the host of every rank. The \
                    bench's <code>exchange</code> part times a job that computes, then \
                    all-reduces a buffer of 8 B to 64 MiB every step, on threads, a pool of \
                    processes, MPI on one host and MPI across the hosts, with and without a \
                    bandwidth limit on their links. The hosts share this machine's cores, so \
                    this shows what the protocol and the link cost, not a cluster's \
                    speedup.</p>",
            excerpt: "",
        },
    ],
    predict: "<p>The <code>mpi</code> backend starts <code>mpirun</code> and its ranks for \
              every run, as <code>process</code> starts its children. At 1 and 2 workers, will \
              it be closer to <code>process</code> or to <code>pool</code>? And how much \
              slower will <code>mpi-tcp</code> be than <code>mpi</code> for primes, where each \
              rank sends one number back?</p>\n\
              <p>In the exchange, each step computes for about a millisecond and then moves B \
              bytes. Order the transports by the buffer size at which communication takes \
              longer than computing: threads, pipes, MPI over shared memory, MPI over TCP, \
              MPI across hosts, and across hosts behind a limited link.</p>",
    figures: &[
        Wanted {
            ids: &["mpi/primes"],
            from: "No MPI results yet: install Open MPI as above, then run <code>cargo bench \
                   --features mpi</code> (or just its MPI part, <code>cargo bench --features \
                   mpi --bench mpi</code>) and open this page again.",
        },
        Wanted {
            ids: &["mpi/exchange"],
            from: "No exchange results yet: run <code>cargo bench --features mpi --bench mpi \
                   -- exchange</code> (as root, after <code>scripts/sim-cluster.sh up 2</code>, \
                   to include the simulated hosts) and open this page again.",
        },
    ],
    answer: "<p>Starting <code>mpirun</code> and the ranks costs more than spawning plain \
             children, and every run pays it again: the dashed lines are the solid ones with \
             that launch added. The sentences above say whether, at these sizes, that made \
             <code>mpi</code> slower than both <code>process</code> and <code>pool</code> on \
             this machine; its computing part alone can scale like theirs. MPI pays off when \
             a job runs much longer than its launch, or needs more than one machine. For \
             primes each rank sends back a single number, so the transport should hardly \
             matter: <code>mpi</code> and <code>mpi-tcp</code> should compute in about the \
             same time. The transport counts when ranks exchange a lot of data, which is why \
             an MPI program is designed to send little and compute much.</p>\n\
             <p>The exchange shows it: with a small buffer every transport spends its steps \
             computing; as the buffer grows, communication takes over, first where the path \
             is slowest. Threads only read memory another core wrote; MPI over shared memory \
             copies through a mapped segment; pipes and TCP go through the kernel, and the \
             pool's parent is a hub every byte crosses twice; between hosts, the link's \
             bandwidth sets the pace. The sentences under the chart say where each line \
             crossed half, on this machine. Remember what the simulated hosts are: namespaces \
             sharing one machine's cores and memory, so they show a protocol's and a link's \
             cost, never a cluster's speedup.</p>",
    answer_from_figures: None,
    answer_claims: Some(answer_claims),
    exercises: &[
        "Run the comparison at a larger size (<code>-s</code>) until the MPI launch cost is \
         small next to the work. How large must the job be?",
        "Bring the simulated cluster up with a slower link (<code>sudo \
         scripts/sim-cluster.sh limit 100mbit</code>) and run the exchange again. At which \
         buffer does communication now overtake compute, and how does that follow from the \
         link's bytes per second?",
    ],
};

#[cfg(test)]
mod tests {
    use super::super::tests::line_figure;
    use super::*;

    fn input(mpi_with_launch: f64, process: f64, pool: f64, tcp: f64) -> ReportInput {
        let figure = line_figure(
            "mpi/primes",
            &[1.0, 2.0],
            &[
                ("process", &[200.0, process]),
                ("pool", &[190.0, pool]),
                ("mpi, computing", &[180.0, 100.0]),
                ("mpi, with launch", &[300.0, mpi_with_launch]),
                ("mpi-tcp, computing", &[185.0, tcp]),
            ],
        );
        let mut input = ReportInput::made_up(Vec::new(), Vec::new());
        input.figures = vec![figure];
        input
    }

    fn sentences(input: &ReportInput) -> Vec<String> {
        answer_claims(input).iter().map(Claim::sentence).collect()
    }

    #[test]
    fn mpi_against_process_and_pool_is_said_as_measured() {
        let text = sentences(&input(250.0, 120.0, 110.0, 102.0)).join(" ");
        assert!(
            text.contains("As expected, mpi, its launch included, takes longer than process"),
            "{text}"
        );
        assert!(text.contains("mpi with launch at 2 workers 250"), "{text}");
        assert!(text.contains("As expected, mpi and mpi-tcp"), "{text}");
        // A launch too small to matter, and a slow TCP transport.
        let text = sentences(&input(100.0, 140.0, 130.0, 160.0)).join(" ");
        assert!(
            text.contains(
                "Expected that mpi, its launch included, takes longer than pool, but measured otherwise"
            ),
            "{text}"
        );
        assert!(
            text.contains("Expected that mpi and mpi-tcp compute primes"),
            "{text}"
        );
        for claim in answer_claims(&input(100.0, 140.0, 130.0, 160.0)) {
            claim.check(&claim.sentence()).unwrap();
        }
    }

    #[test]
    fn no_figure_no_claim() {
        let input = ReportInput::made_up(Vec::new(), Vec::new());
        assert!(answer_claims(&input).is_empty());
    }
}
