//! Lesson 6: how a process starts. fork, spawn, forkserver, copy-on-write,
//! and what sending a payload costs against its size.

use super::{COSTS_BENCH, Example, Lesson, PYTHON_BENCH, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "starts",
    title: "How a process starts: fork, spawn, forkserver",
    question: "What happens between Process.start() and the first line of the target, why can \
               fork cost more than spawn in a large parent, and what does sending the data \
               cost?",
    idea: "<p>Before a child can run your function it has to exist, and Python's \
           <code>multiprocessing</code> has three ways to make it, its <em>start \
           methods</em>:</p>\n\
           <ul>\n\
           <li><strong>fork</strong>: the kernel copies the parent. Not its memory: its page \
           tables, so parent and child share every page <em>copy-on-write</em> (a page is \
           copied only when one of them writes to it). The child starts with everything: \
           modules imported, data loaded, the arguments already there. The cost grows with \
           the parent's memory (one page-table entry per page), and a lock that another \
           thread held at the fork is copied held, with no thread left to release it: \
           forking a process that has threads is unsafe.</li>\n\
           <li><strong>spawn</strong>: a fresh interpreter. It imports \
           <code>multiprocessing</code>, imports your main module again (as \
           <code>__mp_main__</code>) to find the target, and receives the target's arguments \
           pickled through a pipe. Nothing is inherited, so nothing unsafe is; everything is \
           sent. That re-import is why <code>if __name__ == \"__main__\":</code> exists: \
           without it, the child would run the script's top level again, including the line \
           that starts the processes, and Python stops it with a <code>RuntimeError</code> \
           (the documentation's <em>Safe importing of main module</em>).</li>\n\
           <li><strong>forkserver</strong>: a server process is spawned once, early, while \
           the program is small and has one thread, and every new process is forked from it. \
           The fork is cheap and safe; the arguments still travel pickled.</li>\n\
           </ul>\n\
           <p>Which one you get depends on the platform and the version. Windows has only \
           spawn; macOS defaults to spawn since Python 3.8 (fork there \"should be \
           considered unsafe as it can lead to crashes of the subprocess\"); Linux defaulted \
           to fork until Python 3.14 changed it: \"On POSIX platforms the default start \
           method was changed from fork to forkserver to retain the performance but avoid \
           common multithreaded process incompatibilities\" (the <a \
           href=\"https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods\">multiprocessing \
           documentation, Contexts and start methods</a>). Code that worked on Linux because \
           fork handed the child a global now has to pass it, picklable. The chart from \
           this machine's Python says which version it is and what it does.</p>\n\
           <p>Whatever the method, every argument and result of a pool task crosses a pipe \
           serialized. Below some size the fixed part (waking the worker, the system calls) \
           dominates; above it the copying and the encoding do, and the encoding matters: \
           JSON writes each byte as text, a binary format copies it. The documentation's \
           advice is \"better to inherit than pickle/unpickle\"; shared memory avoids both.</p>\n\
           <p>Rust's standard library has no fork-a-function: <code>std::process::Command</code> \
           starts a program, as spawn does (with glibc, posix_spawn: the child shares the \
           parent's memory until exec replaces it, so the parent's size does not matter). \
           <code>libc::fork</code> is there, <code>unsafe</code>: in a program with threads \
           the child may only call async-signal-safe functions until it execs or \
           exits.</p>",
    python: "\
import multiprocessing as mp

def work(data):                      # found by name: spawn re-imports this file
    print(len(data))

if __name__ == \"__main__\":           # the re-import must not start processes again
    data = bytes(16 << 20)
    print(mp.get_start_method())     # 'fork' on Linux up to 3.13, 'forkserver' from 3.14
    for method in mp.get_all_start_methods():
        p = mp.get_context(method).Process(target=work, args=(data,))
        p.start(); p.join()          # fork: data inherited; spawn, forkserver: pickled",
    examples: &[Example {
        command: "cargo run --release --example start",
        source: Some("start"),
        shows: "<p>The three start methods by hand. fork: the child reads the parent's 16 MiB \
                where they lie, writes one byte of its own (the kernel copies that page for \
                the child alone) and the parent's byte is unchanged. spawn: the program runs \
                itself again and the data is sent through its stdin. forkserver: a small \
                server, started before the parent grew, forks a child per request. Every \
                child's sum agrees; the times differ.</p>",
        excerpt: "\
let pid = unsafe { libc::fork() };
if pid == 0 {
// ...
let saw = first.read_volatile();
first.write_volatile(99); // copy-on-write: the kernel copies this page for the child
// ...
libc::_exit(0);
// ...
send_request(&mut c.0.stdin.take().expect(\"stdin is piped\"), &data)?;",
    }],
    predict: "<p>A parent has touched 1 GiB. Which starts a child sooner, fork or spawn? Which \
              gets a 16 MiB argument to its child sooner? And sending a payload to a worker \
              and back through a pipe: below what size does the size hardly matter?</p>",
    figures: &[
        Wanted {
            ids: &["costs/start-methods"],
            from: COSTS_BENCH,
        },
        Wanted {
            ids: &["costs/start-methods-python"],
            from: PYTHON_BENCH,
        },
        Wanted {
            ids: &["costs/start-payload"],
            from: COSTS_BENCH,
        },
        Wanted {
            ids: &["costs/serialization"],
            from: COSTS_BENCH,
        },
    ],
    answer: "<p>In the first two charts, fork's line should climb with the parent's memory: \
             the page tables it copies grow with every page touched. spawn's line should stay \
             flat (a new program, whatever the parent's size) but start high, higher still in \
             Python, where a fresh interpreter has to start and import before it runs a line. \
             The fork server should stay low and flat: it forks itself, small, never the large \
             parent. A pool worker that is already running should be lowest of all: no process \
             starts. The sentences under each chart say which of these held here.</p>\n\
             <p>The payload chart shows the other side. fork's child reads the parent's data \
             where it lies, so a larger argument should cost it almost nothing; every other way \
             copies the bytes through a pipe, and pays per byte. In the last chart, time per \
             byte falls while the fixed cost is spread over more bytes, then flattens where \
             the bytes themselves cost: that bend is the size below which batching small \
             messages pays. Expect JSON's flat part above the binary encoding's, since it \
             writes every byte as text, and shared memory's below both, since nothing is \
             encoded; the sentences under the chart give the ratios measured here.</p>\n\
             <p>So: start processes once (a pool), and send them little. Large read-only data \
             is best inherited (fork) or put in shared memory, not pickled per task. On Python \
             3.14 and later, Linux code that relied on fork's inheritance must pass its data, \
             or ask for <code>get_context(\"fork\")</code> knowing the risk with threads.</p>",
    answer_from_figures: None,
    answer_claims: None,
    exercises: &[
        "In <code>examples/start.rs</code>, have the parent touch 1 GiB before the fork (for \
         instance <code>let big = vec![1u8; 1 &lt;&lt; 30];</code> at the top of \
         <code>parent</code>) and rerun <code>cargo run --release --example start</code>. \
         Which of the three times grows, and why not the others?",
        "Save the Python above as a file, delete the <code>if __name__ == \"__main__\":</code> \
         line (and its indentation) and run it. Which start methods fail, with what error, \
         and why does fork not?",
    ],
};
