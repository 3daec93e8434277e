//! Lesson 10: beyond one machine. Processes as MPI ranks, on one host or on
//! several (a hostfile; the simulated cluster), and what communication costs
//! once workers must exchange data every step.

use super::{Example, Lesson, Wanted};

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
    answer: "<p>Starting <code>mpirun</code> and the ranks costs far more than spawning plain \
             children (the dashed lines sit a whole launch above the solid ones), and it is \
             paid every run, so at these sizes <code>mpi</code> is slower than both \
             <code>process</code> and <code>pool</code>; only its computing part scales like \
             theirs. MPI pays off when a job runs much longer than its launch, or needs more \
             than one machine. For primes each rank sends back a single number, so the \
             transport hardly matters: <code>mpi</code> and <code>mpi-tcp</code> should be \
             close. The transport counts when ranks exchange a lot of data, which is why an \
             MPI program is designed to send little and compute much.</p>\n\
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
    exercises: &[
        "Run the comparison at a larger size (<code>-s</code>) until the MPI launch cost is \
         small next to the work. How large must the job be?",
        "Bring the simulated cluster up with a slower link (<code>sudo \
         scripts/sim-cluster.sh limit 100mbit</code>) and run the exchange again. At which \
         buffer does communication now overtake compute, and how does that follow from the \
         link's bytes per second?",
    ],
};
