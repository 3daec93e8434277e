//! Lesson 5: locks. Lock, RLock, contention, and when an atomic is enough.

use super::{COSTS_BENCH, Example, Lesson, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "locks",
    title: "Locks",
    question: "When do threads need a lock, what does contention cost, and when is an atomic \
               enough?",
    idea: "<p><code>counter += 1</code> is three steps: load, add, store. When two threads \
           interleave them, one store overwrites the other's and an update is lost, in Python \
           too (a thread switch can fall between the steps). A lock (<code>Lock</code>, Rust's \
           <code>Mutex</code>) lets one thread at a time through the critical section. An \
           <code>RLock</code> (<code>parking_lot::ReentrantMutex</code>) may be taken again by \
           the thread that holds it, as in recursion; a plain lock would wait for itself \
           forever.</p>\n\
           <p>A lock is cheap when nobody else wants it. Under <em>contention</em> the \
           contenders wait, and the memory holding the lock moves from core to core, so more \
           threads can mean fewer critical sections per second. When the shared state is one \
           number, an <em>atomic</em> (<code>AtomicU64::fetch_add</code>) does the whole \
           read-modify-write as one instruction, with no lock to wait for.</p>\n\
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

rlock = threading.RLock()             # its owner may take it again (recursion)",
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
    ],
    predict: "<p>Add contenders to one shared lock: do the critical sections per second, all \
              contenders together, go up, stay flat or go down? And for an atomic \
              counter?</p>",
    figures: &[Wanted {
        ids: &["costs/locks"],
        from: COSTS_BENCH,
    }],
    answer: "<p>One contender is fast with every lock: an uncontended lock is a couple of \
             atomic instructions. More contenders cannot raise a lock's total much, because \
             the critical section runs one at a time by design: at best the line stays flat, \
             and it falls when handing the lock between cores costs more than the section \
             itself. The atomic counter has no lock to wait for, so it holds up best and may \
             even gain. <code>process-mutex</code> is a lock in shared memory between processes \
             (the role of <code>multiprocessing.Lock</code>); <code>std-rwlock-read90</code> \
             lets readers in together, so compare it with <code>write90</code>. The sentences \
             say which way each line went here. The cure for contention is to share less: give \
             each thread its own counter and add them up at the end, as the workloads here \
             combine partial checksums.</p>",
    exercises: &[
        "In <code>examples/lock.rs</code>, set <code>THREADS</code> to 1. How many updates \
         does the version without a lock lose now, and why?",
        "Delete the <code>pause()</code> call from the version without a lock and rerun: \
         are more or fewer updates lost? What does that say about testing for races?",
    ],
};
