//! Lesson 5: talking between processes. Queue, pipe, socket, shared memory,
//! and what each message costs.

use super::{COSTS_BENCH, Example, Lesson, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "ipc",
    title: "Talking between processes",
    question: "How do processes exchange data (queue, pipe, socket, shared memory), and what \
               does each message cost?",
    idea: "<p>Threads share memory: handing data to another thread is handing over a pointer \
           (<code>queue.Queue</code>, Rust's channels). Processes do not share memory, so \
           every message between them (inter-process communication, IPC) is copied, usually \
           through the kernel:</p>\n\
           <ul>\n\
           <li><strong>Pipe</strong>: a one-way byte stream (<code>os.pipe</code>); \
           <code>multiprocessing.Pipe</code> gives a two-way pair.</li>\n\
           <li><strong>Queue</strong>: <code>multiprocessing.Queue</code> is a pipe, a feeder \
           thread, pickling and a lock.</li>\n\
           <li><strong>Socket</strong>: Unix-domain on one machine, TCP between machines; the \
           same calls either way.</li>\n\
           <li><strong>Shared memory</strong> (<code>multiprocessing.shared_memory</code>, \
           <code>mmap</code>): both processes map the same pages, so no system call per \
           message, but you must synchronise access yourself (lesson 7).</li>\n\
           </ul>\n\
           <p>A message costs a fixed part (system calls, waking the peer) plus a part per \
           byte (copying). Small messages are all fixed part: send fewer, bigger ones \
           (<code>Pool.map</code>'s <code>chunksize</code>).</p>",
    python: "\
from multiprocessing import Pipe, Process, Queue

parent_end, child_end = Pipe()                 # two-way
p = Process(target=echo, args=(child_end,)); p.start(); child_end.close()
parent_end.send(\"ping 1\"); print(parent_end.recv())

q = Queue()
q.put({\"job\": 1}); print(q.get())              # pickled, through a pipe",
    examples: &[
        Example {
            command: "cargo run --example pipe",
            source: Some("pipe"),
            shows: "<p>Two kernel pipes, one each way, to a child that answers every line. \
                    Each side closes the ends it does not use: the child only sees end of file \
                    when every write end of its input pipe is closed.</p>",
            excerpt: "\
let (to_child_r, to_child_w) = pipe()?;
let (from_child_r, from_child_w) = pipe()?;
// ...
cmd.arg(\"child\")
    .stdin(Stdio::from(to_child_r)) // the child reads this pipe
    .stdout(Stdio::from(from_child_w)); // and writes that one
// ...
drop(to_child); // EOF for the child: its loop ends and it exits",
        },
        Example {
            command: "cargo run --example queue_lock",
            source: Some("queue_lock"),
            shows: "<p>The <code>Queue</code> + <code>Lock</code> program: three writer \
                    processes put framed messages on one pipe (what a \
                    <code>multiprocessing.Queue</code> is underneath), a reader process takes \
                    them off until a sentinel. Then what the lock is for: without it, frames of \
                    up to <code>PIPE_BUF</code> bytes still arrive whole (one pipe write that \
                    small is atomic), larger ones arrive torn, and it prints how many. Last, \
                    <code>terminate()</code> on a slow reader, and what that loses. (Python's \
                    <code>Queue.put</code> needs no Lock: the queue writes each pickled message \
                    under its own lock.)</p>",
            excerpt: "\
let _held = lock.map(Held::exclusive).transpose()?; // with lock:
// One write(2): atomic up to PIPE_BUF bytes, not beyond.
let n = queue.write(&f)?;",
        },
    ],
    predict: "<p>A 1-byte message and a 1-byte answer: which round trip is fastest, a channel \
              to another thread, a pipe to another process, or shared memory to another \
              process? Which is slowest? And for 1 MiB messages, a pipe and a Unix socket both \
              copy every byte into the kernel and out again: will they move the same bytes \
              per second?</p>",
    figures: &[
        Wanted {
            ids: &["costs/ipc-latency"],
            from: COSTS_BENCH,
        },
        Wanted {
            ids: &["costs/ipc-throughput"],
            from: COSTS_BENCH,
        },
    ],
    answer: "<p>In the latency bars, T is a thread peer and P a process peer. For a 1-byte \
             message the fixed part is everything: system calls and waking the peer. A channel \
             copies nothing, but a peer that went to sleep must still be woken through the \
             kernel, so its round trip need not beat a pipe's: compare the bars. Shared memory \
             skips the system calls while both sides are awake (it spins briefly before \
             sleeping). Pipes, Unix sockets and TCP pay system calls every time, whether the \
             peer is a thread or a process. For large messages the bytes-per-second lines take \
             over. Copying is not the whole story: a pipe and a Unix socket copy the same bytes \
             twice, yet a pipe's small buffer makes the reader wake once per buffer-full, so \
             compare their lines at the largest size; the sentences under the chart give both \
             numbers. Channels are not on it: they hand over a pointer and move no bytes.</p>\n\
             <p>Where the peer wakes matters too. With another CPU idle, the scheduler wakes \
             the peer there, and the sender must interrupt that CPU; with every CPU busy, the \
             peer runs on the sender's CPU, a plain switch. The costs page's context-switch \
             chart measures both on this machine (a hand-off to the other core, a switch on \
             one core); run the latency bench again with two <code>yes &gt; /dev/null</code> \
             keeping both CPUs busy and compare. \
             <code>cargo run --release --example wakeup</code> times a ping-pong on one CPU \
             and on two on yours.</p>",
    answer_from_figures: None,
    answer_claims: None,
    exercises: &[
        "In <code>examples/pipe.rs</code>, send 1000 messages instead of 3 \
         (<code>MESSAGES</code>) and time the run; then send them all first and read the \
         answers after. Why is the second way faster?",
        "Compare <code>cargo run --release -- run -w monte_carlo -b threads,pool</code> with \
         <code>-w primes</code>: the pool sends one request and one answer per chunk. When \
         does that matter?",
    ],
};
