//! Lesson 7: beyond one machine. Processes as MPI ranks.

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
           It needs Open MPI; without the feature nothing needs MPI.</p>",
    python: "\
# run: mpirun -n 4 python primes.py
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
part = count_primes(rank * N // size, (rank + 1) * N // size)
total = comm.reduce(part, op=MPI.SUM, root=0)     # rank 0 gets the sum",
    examples: &[Example {
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
    }],
    predict: "<p>The <code>mpi</code> backend starts <code>mpirun</code> and its ranks for \
              every run, as <code>process</code> starts its children. At 1 and 2 workers, will \
              it be closer to <code>process</code> or to <code>pool</code>? And how much \
              slower will <code>mpi-tcp</code> be than <code>mpi</code> for primes, where each \
              rank sends one number back?</p>",
    figures: &[Wanted {
        ids: &["mpi/primes"],
        from: "No MPI results yet: install Open MPI as above, then run <code>cargo bench \
               --features mpi</code> (or just its MPI part, <code>cargo bench --features mpi \
               --bench mpi</code>) and open this page again.",
    }],
    answer: "<p>Starting <code>mpirun</code> and the ranks costs far more than spawning plain \
             children (the dashed lines sit a whole launch above the solid ones), and it is \
             paid every run, so at these sizes <code>mpi</code> is slower than both \
             <code>process</code> and <code>pool</code>; only its computing part scales like \
             theirs. MPI pays off when a job runs much longer than its launch, or needs more \
             than one machine. For primes each rank sends back a single number, so the \
             transport hardly matters: <code>mpi</code> and <code>mpi-tcp</code> should be \
             close. The transport counts when ranks exchange a lot of data, which is why an \
             MPI program is designed to send little and compute much.</p>",
    exercises: &[
        "Run the comparison at a larger size (<code>-s</code>) until the MPI launch cost is \
         small next to the work. How large must the job be?",
        "Write down which of the seven lessons still hold between machines, and which stop \
         at the edge of one.",
    ],
};
