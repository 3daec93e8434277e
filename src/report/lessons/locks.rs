//! Lesson 7: locks. Lock, RLock, contention, when an atomic is enough, and
//! two ways sharing goes wrong: false sharing and deadlock.

use super::{COSTS_BENCH, Example, Lesson, PYTHON_BENCH, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "locks",
    title: "Locks",
    question: "When do threads need a lock, what does contention cost, when is an atomic \
               enough, and how do sharing and locking go wrong (false sharing, deadlock)?",
    idea: "<p><code>counter += 1</code> is three steps: load, add, store. When two threads \
           interleave them, one store overwrites the other's and an update is lost. In CPython \
           that takes a thread switch between the steps, and since 3.10 CPython switches only \
           at a call or a loop's jump back: a bare <code>counter += 1</code> loop may never \
           lose an update there, while <code>v = counter; f(); counter = v + 1</code> loses \
           plenty (the last chart measures both on this machine's Python). A race that does \
           not show is still a race. A lock (<code>Lock</code>, Rust's <code>Mutex</code>) \
           lets one thread at a time through the critical section. An <code>RLock</code> \
           (<code>parking_lot::ReentrantMutex</code>) may be taken again by the thread that \
           holds it, as in recursion; a plain lock would wait for itself forever.</p>\n\
           <p>A lock is cheap when nobody else wants it. Under <em>contention</em> the \
           contenders wait, and the memory holding the lock moves from core to core, so more \
           threads can mean fewer critical sections per second. When the shared state is one \
           number, an <em>atomic</em> (<code>AtomicU64::fetch_add</code>) does the whole \
           read-modify-write as one instruction, with no lock to wait for; but the number's \
           cache line still moves to every core that writes it.</p>\n\
           <p>The cure is to share less: a counter per thread, added up at the end. But a \
           core does not fetch a number, it fetches a whole <em>cache line</em> (usually 64 \
           bytes; the costs page names this machine's), and only one core at a time may write a \
           line. Counters that \
           different threads own but that sit on one line still bounce between the cores: \
           <em>false sharing</em>. Padding each to its own line \
           (<code>crossbeam_utils::CachePadded</code>, <code>#[repr(align(64))]</code>) cures \
           it. Processes writing their own slots of one shared-memory page pay the same.</p>\n\
           <p>Locks have their own trap. Two threads that take the same two locks in opposite \
           orders can each hold one and wait for the other forever: a <em>deadlock</em>. The \
           cure is one global order for taking locks; a timeout \
           (<code>acquire(timeout=...)</code>, <code>try_lock_for</code>) turns a hang into an \
           error you can see. Processes deadlock too: a parent that writes more than a pipe \
           holds to a child that answers before reading the rest waits for the child, which \
           waits for the parent to read (<code>communicate()</code> reads and writes at \
           once).</p>\n\
           <p>Rust's <code>Mutex</code> owns its data: the counter can only be reached through \
           the guard, so a forgotten lock does not compile. Between processes the lock must \
           live in the kernel or in shared memory (<code>flock</code>, a futex in a shared \
           mapping; <code>multiprocessing.Lock</code> is a semaphore).</p>",
    python: "\
import threading

counter = 0
lock = threading.Lock()

def add():
    global counter
    for _ in range(100_000):
        with lock:                    # without it, updates can be lost
            counter += 1

rlock = threading.RLock()             # its owner may take it again (recursion)

def transfer(a, b):                   # thread 1: transfer(x, y); thread 2: transfer(y, x)
    with a.lock:
        if not b.lock.acquire(timeout=1):
            raise RuntimeError(\"deadlock?\")   # each holds one lock, waits for the other",
    examples: &[
        Example {
            command: "cargo run --example lock",
            source: Some("lock"),
            shows: "<p>Four threads add 1 to a shared counter: first with a separate load and \
                    store and no lock (updates are lost), then under a <code>Mutex</code>, then \
                    with <code>fetch_add</code>. It prints how many updates each way lost and \
                    how long it took.</p>",
            excerpt: "\
let v = counter.load(Relaxed); // LOAD
pause(); // another thread may run here...
counter.store(v + 1, Relaxed); // STORE: ...and its increments are overwritten
// ...
let mut guard = counter.lock().unwrap(); // `with lock:`
// ...
counter.fetch_add(1, Relaxed);",
        },
        Example {
            command: "cargo run --example rlock",
            source: Some("rlock"),
            shows: "<p>Walks a tree recursively, taking a re-entrant lock at every level, while \
                    another thread's <code>try_lock</code> is refused; then shows that a plain \
                    <code>Mutex</code> refuses a second lock from its own holder.</p>",
            excerpt: "\
let guard = VISITED.lock(); // the same thread takes it again: no deadlock",
        },
        Example {
            command: "cargo run --release --example false_sharing",
            source: Some("false_sharing"),
            shows: "<p>Each thread adds 1 to its own counter: first with the counters 8 bytes \
                    apart, then each in a <code>CachePadded</code>. Same totals; it prints how much \
                    longer the adjacent run took (with two free cores, expect a multiple).</p>",
            excerpt: "\
let padded: Vec<CachePadded<AtomicU64>> = (0..threads)
.map(|_| CachePadded::new(AtomicU64::new(0)))",
        },
        Example {
            command: "cargo run --example deadlock",
            source: Some("deadlock"),
            shows: "<p>Two threads take two locks in opposite orders; each waits for its \
                    second lock with <code>try_lock_for</code>, gives up after a second and \
                    reports the cycle; then both take them in account-number order and finish. \
                    Then a parent writes eight pipes' worth of bytes (the size read with \
                    <code>F_GETPIPE_SZ</code>) to a child that echoes before it reads on: \
                    stuck, detected by a timeout, and fixed by reading while writing.</p>",
            excerpt: "\
let Some(mut b) = to.balance.try_lock_for(LOCK_TIMEOUT) else {
// ...
let (first, second) = if from.number < to.number {",
        },
    ],
    predict: "<p>Add contenders to one shared lock: do the critical sections per second, all \
              contenders together, go up, stay flat or go down? And for an atomic counter? \
              Then give each thread its own counter: does the total grow with the cores when \
              the counters sit 8 bytes apart, or only when they are a cache line apart?</p>",
    figures: &[
        Wanted {
            ids: &["costs/locks"],
            from: COSTS_BENCH,
        },
        Wanted {
            ids: &["costs/false-sharing"],
            from: COSTS_BENCH,
        },
        Wanted {
            ids: &["python/lost-update"],
            from: PYTHON_BENCH,
        },
    ],
    answer: "<p>With one contender every lock should be fast: an uncontended lock is a \
             couple of atomic instructions and no wait. More contenders cannot raise a lock's total much, because \
             the critical section runs one at a time by design: at best the line stays flat, \
             and it falls when handing the lock between cores costs more than the section \
             itself. Every kind here does the same +1 on one counter, the atomic included, so \
             the lines compare like with like; the sentences under the chart say whether the \
             atomic, with no lock to wait for, kept more of its one-contender rate than the \
             mutexes on this machine, and if not, why not. <code>process-mutex</code> is a \
             lock in shared memory between processes (the role of \
             <code>multiprocessing.Lock</code>); <code>std-rwlock-read90</code> is a read-write \
             lock whose sections mostly read, so readers go in together: compare it with \
             <code>write90</code>.</p>\n\
             <p>In the second chart only the place of the counters changes. Padded counters \
             share nothing, so their line is the one that can grow with the cores; adjacent \
             ones share a cache line, and the sentences give the ratio measured here (on one \
             core, or a machine too busy to run the threads at once, the difference fades: \
             the line never has to move). One shared atomic and one mutex show what true \
             sharing costs for the same work. The third chart is CPython's lost update on \
             the Python this report found: which ways of adding 1 lost increments, and \
             whether that is what its version leads one to expect.</p>",
    answer_from_figures: None,
    answer_claims: None,
    exercises: &[
        "In <code>examples/lock.rs</code>, set <code>THREADS</code> to 1. How many updates \
         does the version without a lock lose now, and why?",
        "Run <code>cargo run --release --example false_sharing</code>, then \
         <code>taskset -c 0 cargo run --release --example false_sharing</code> (one core). \
         Why does the difference between adjacent and padded counters shrink or vanish on \
         one core?",
    ],
};
