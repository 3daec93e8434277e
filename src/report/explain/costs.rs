//! Sentences written from the measured costs, for the report and the
//! terminal. Pure functions: numbers in, sentences out. A missing number
//! drops the sentences that need it.

use crate::costs::{Side, ipc, locks, spawn, switch};
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::estimates::Estimates;
use crate::report::explain::words;

/// Run-to-run spreads of one group's benchmarks, by function and value
/// ([`crate::report::criterion::Benchmark::spread`]), for the claims.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spreads(pub Vec<(String, Option<String>, f64)>);

impl Spreads {
    pub fn of(e: &Estimates, group: &str) -> Self {
        Spreads(
            e.group(group)
                .filter_map(|x| Some((x.function.clone()?, x.value.clone(), x.spread?)))
                .collect(),
        )
    }

    pub fn get(&self, function: &str, value: Option<&str>) -> Option<f64> {
        self.0
            .iter()
            .find(|(f, v, _)| f == function && v.as_deref() == value)
            .map(|&(.., s)| s)
    }
}

/// Spawn costs in ns per operation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpawnCosts {
    pub thread: Option<f64>,
    pub rayon_task: Option<f64>,
    pub command_true: Option<f64>,
    pub command_worker: Option<f64>,
    pub fork: Option<f64>,
    pub fork_large: Option<f64>,
    pub process_pool_task: Option<f64>,
    pub thread_pool_task: Option<f64>,
    pub spread: Spreads,
}

impl SpawnCosts {
    pub fn from_estimates(e: &Estimates) -> Self {
        let get = |id| e.get(spawn::GROUP, id, None);
        SpawnCosts {
            thread: get(spawn::THREAD),
            rayon_task: get(spawn::RAYON_TASK),
            command_true: get(spawn::COMMAND_TRUE),
            command_worker: get(spawn::COMMAND_WORKER),
            fork: get(spawn::FORK),
            fork_large: get(spawn::FORK_LARGE),
            process_pool_task: get(spawn::PROCESS_POOL_TASK),
            thread_pool_task: get(spawn::THREAD_POOL_TASK),
            spread: Spreads::of(e, spawn::GROUP),
        }
    }
}

/// IPC costs: ns per round trip, by bench id (`pipe-process`) and size.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpcCosts {
    /// (id, ns per 1-byte round trip)
    pub latency: Vec<(String, f64)>,
    /// (id, message bytes, ns per round trip)
    pub throughput: Vec<(String, u64, f64)>,
    /// Spreads by (id, None) for latency and (id, bytes) for throughput.
    pub spread: Spreads,
}

impl IpcCosts {
    pub fn from_estimates(e: &Estimates) -> Self {
        let latency = e
            .group(ipc::LATENCY_GROUP)
            .filter_map(|x| Some((x.function.clone()?, x.median_ns)))
            .collect();
        let throughput = e
            .group(ipc::THROUGHPUT_GROUP)
            .filter_map(|x| {
                let bytes = x.value.as_deref()?.parse().ok()?;
                Some((x.function.clone()?, bytes, x.median_ns))
            })
            .collect();
        let mut spread = Spreads::of(e, ipc::LATENCY_GROUP);
        spread.0.extend(Spreads::of(e, ipc::THROUGHPUT_GROUP).0);
        IpcCosts {
            latency,
            throughput,
            spread,
        }
    }

    pub fn latency(&self, id: &str) -> Option<f64> {
        self.latency
            .iter()
            .find(|(i, _)| i == id)
            .map(|&(_, ns)| ns)
    }

    /// The highest bytes per second of `id`, and the message size it was at.
    pub fn peak(&self, id: &str) -> Option<(u64, f64)> {
        self.throughput
            .iter()
            .filter(|(i, _, ns)| i == id && *ns > 0.0)
            .map(|&(_, bytes, ns)| (bytes, bytes as f64 / (ns * 1e-9)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Bytes per second of `id` at each message size, smallest first.
    pub fn rates(&self, id: &str) -> Vec<(u64, f64)> {
        let mut rates: Vec<(u64, f64)> = self
            .throughput
            .iter()
            .filter(|(i, _, ns)| i == id && *ns > 0.0)
            .map(|&(_, bytes, ns)| (bytes, bytes as f64 / (ns * 1e-9)))
            .collect();
        rates.sort_by_key(|r| r.0);
        rates
    }

    /// The largest message size of `id` and its bytes per second.
    pub fn at_largest(&self, id: &str) -> Option<(u64, f64)> {
        self.rates(id).last().copied()
    }

    /// Ids with throughput numbers, in first-seen order.
    pub fn throughput_ids(&self) -> Vec<&str> {
        first_seen(self.throughput.iter().map(|(id, ..)| id.as_str()))
    }
}

/// Lock throughput: critical sections per second, all contenders together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockCosts {
    /// (lock kind, contenders, ops per second)
    pub rows: Vec<(String, usize, f64)>,
    /// Spreads by (kind, contenders).
    pub spread: Spreads,
}

impl LockCosts {
    pub fn from_estimates(e: &Estimates) -> Self {
        let rows = e
            .group(locks::GROUP)
            .filter_map(|x| {
                let n: usize = x.value.as_deref()?.parse().ok()?;
                let ops = n as f64 * locks::BATCH_OPS as f64;
                let function = x.function.clone()?;
                (x.median_ns > 0.0).then(|| (function, n, ops / (x.median_ns * 1e-9)))
            })
            .collect();
        LockCosts {
            rows,
            spread: Spreads::of(e, locks::GROUP),
        }
    }

    /// The rate of `kind` with `contenders`, as a claim's value.
    fn value(&self, label: String, kind: &str, contenders: usize) -> Option<Value> {
        let rate = self.ops_per_sec(kind, contenders)?;
        Some(
            Value::new(label, rate, Unit::OpsPerSec)
                .with_spread(self.spread.get(kind, Some(&contenders.to_string()))),
        )
    }

    /// The share of its one-contender rate `kind` kept with `most`
    /// contenders, with the two rates' spreads added.
    fn kept(&self, kind: &str, most: usize) -> Option<(f64, Option<f64>)> {
        let ratio = self.ops_per_sec(kind, most)? / self.ops_per_sec(kind, 1)?;
        let s = |n: usize| self.spread.get(kind, Some(&n.to_string()));
        let spread = match (s(1), s(most)) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        Some((ratio, spread))
    }

    pub fn ops_per_sec(&self, kind: &str, contenders: usize) -> Option<f64> {
        self.rows
            .iter()
            .find(|(k, n, _)| k == kind && *n == contenders)
            .map(|&(.., r)| r)
    }

    /// Kinds in first-seen order.
    pub fn kinds(&self) -> Vec<&str> {
        first_seen(self.rows.iter().map(|(k, ..)| k.as_str()))
    }
}

/// The distinct names, in the order first seen.
fn first_seen<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

/// Context switch: ns per switch on one core, and per hand-off to a peer on
/// another core.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SwitchCosts {
    pub thread: Option<f64>,
    pub process: Option<f64>,
    pub thread_other_core: Option<f64>,
    pub process_other_core: Option<f64>,
    pub spread: Spreads,
}

impl SwitchCosts {
    pub fn from_estimates(e: &Estimates) -> Self {
        let get = |placement: switch::Placement, side: Side| {
            e.get(switch::GROUP, &placement.bench_id(side), None)
        };
        use switch::Placement::{OtherCore, SameCore};
        SwitchCosts {
            thread: get(SameCore, Side::Thread),
            process: get(SameCore, Side::Process),
            thread_other_core: get(OtherCore, Side::Thread),
            process_other_core: get(OtherCore, Side::Process),
            spread: Spreads::of(e, switch::GROUP),
        }
    }
}

/// Compares the time `a` with the time `b`: "5.0x quicker than", "1.5x
/// slower than", "about as quick as" (within 10%).
pub fn vs(a: f64, b: f64) -> String {
    if a <= 0.0 || b <= 0.0 {
        return "not comparable with".into();
    }
    let r = if a <= b { b / a } else { a / b };
    if r < 1.1 {
        "about as quick as".into()
    } else if a < b {
        format!("{r:.1}x quicker than")
    } else {
        format!("{r:.1}x slower than")
    }
}

pub fn explain_spawn(c: &SpawnCosts) -> Vec<String> {
    let mut out = Vec::new();
    match (c.command_true, c.command_worker) {
        (Some(t), None) => out.push(format!(
            "Spawning a trivial program ({}) takes {}.",
            spawn::TRUE_PROGRAM,
            words::ns(t)
        )),
        (None, Some(w)) if c.thread.is_none() => out.push(format!(
            "A process spawn (`tvp worker`: spawn, exit, wait) costs {}.",
            words::ns(w)
        )),
        _ => {}
    }
    match (c.process_pool_task, c.thread_pool_task) {
        (Some(p), None) => out.push(format!("A process-pool round trip costs {}.", words::ns(p))),
        (None, Some(t)) => out.push(format!("A thread-pool round trip costs {}.", words::ns(t))),
        _ => {}
    }
    if let (Some(p), Some(task)) = (c.command_worker, c.process_pool_task) {
        out.push(format!(
            "So give a new process at least ~{} of work (100x its spawn, so that the spawn \
             stays near 1% of the time), and a pool task at least ~{}, or the overhead \
             dominates.",
            words::ns(100.0 * p),
            words::ns(100.0 * task)
        ));
    }
    out
}

/// The claims under the spawn chart: a process costs more to start than a
/// thread, mostly for being a process (not for its program); a task on a
/// running pool less than a new thread; fork grows with the parent; a
/// process pool's round trip costs more than a thread pool's.
pub fn spawn_claims(c: &SpawnCosts) -> Vec<Claim> {
    let value = |label: &str, id: &str, ns: Option<f64>| {
        Some(Value::new(label, ns?, Unit::Ns).with_spread(c.spread.get(id, None)))
    };
    let pair = |a: Option<Value>, b: Option<Value>| Some(vec![a?, b?]);
    let mut out = Vec::new();
    if let Some(values) = pair(
        value(
            "a process spawn (tvp worker: spawn, exit, wait)",
            spawn::COMMAND_WORKER,
            c.command_worker,
        ),
        value("a thread spawn", spawn::THREAD, c.thread),
    ) {
        out.push(
            Claim::new(
                "a new process costs more to start than a new thread",
                Expect::Descending,
                values,
            )
            .because(
                "a process gets its own address space, file table and program (exec); a thread \
                 shares its parent's",
            ),
        );
    }
    if let (Some(t), Some(w)) = (c.command_true, c.command_worker) {
        let larger = (w > t).then(|| {
            format!(
                "the larger tvp binary adds {} to load and start",
                words::ns(w - t)
            )
        });
        out.push(
            Claim::new(
                "even a trivial program costs about as much to start as the tvp worker",
                Expect::Level,
                vec![
                    Value::new(format!("{} took", spawn::TRUE_PROGRAM), t, Unit::Ns)
                        .with_spread(c.spread.get(spawn::COMMAND_TRUE, None)),
                    Value::new("the tvp worker", w, Unit::Ns)
                        .with_spread(c.spread.get(spawn::COMMAND_WORKER, None)),
                ],
            )
            // The same order of cost: within half of each other.
            .tolerance(0.5)
            .because("most of the cost is creating and tearing down a process, not the program")
            .reason(larger),
        );
    }
    if let Some(values) = pair(
        value(
            "a task handed to a running rayon pool",
            spawn::RAYON_TASK,
            c.rayon_task,
        ),
        value("a new thread", spawn::THREAD, c.thread),
    ) {
        out.push(
            Claim::new(
                "a task on a running pool costs less than a new thread",
                Expect::Ascending,
                values,
            )
            .because(
                "the pool's threads already run: a task is a push onto a queue and at most a \
                 wake-up",
            ),
        );
    }
    if let Some(values) = pair(
        value("fork without exec from a small parent", spawn::FORK, c.fork),
        value(
            "from a parent with 1 GiB touched",
            spawn::FORK_LARGE,
            c.fork_large,
        ),
    ) {
        out.push(
            Claim::new(
                "fork takes longer from a parent with more memory",
                Expect::Ascending,
                values,
            )
            .because("fork copies the page tables, so it grows with the parent's memory"),
        );
    }
    if let Some(values) = pair(
        value(
            "a round trip through the process pool",
            spawn::PROCESS_POOL_TASK,
            c.process_pool_task,
        ),
        value(
            "through a thread pool",
            spawn::THREAD_POOL_TASK,
            c.thread_pool_task,
        ),
    ) {
        out.push(
            Claim::new(
                "a task costs more through a process pool than through a thread pool",
                Expect::Descending,
                values,
            )
            .because(
                "the process pool pays the spawn once, then each task crosses two pipes as \
                 JSON; a thread pool hands over a pointer",
            ),
        );
    }
    out
}

pub fn explain_ipc(c: &IpcCosts) -> Vec<String> {
    let mut out = Vec::new();
    let fastest = c.latency.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let slowest = c.latency.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(f), Some(s)) = (fastest, slowest)
        && f.0 != s.0
    {
        out.push(format!(
            "The quickest 1-byte round trip is {} at {}; the slowest is {} at {} ({:.1}x).",
            f.0,
            words::ns(f.1),
            s.0,
            words::ns(s.1),
            s.1 / f.1
        ));
    }
    for m in ipc::Mechanism::ALL {
        let t = c.latency(&format!("{}-thread", m.name()));
        let p = c.latency(&format!("{}-process", m.name()));
        if let (Some(t), Some(p)) = (t, p) {
            out.push(format!(
                "{}: {} between threads, {} between processes.",
                m.name(),
                words::ns(t),
                words::ns(p)
            ));
        }
    }
    let peaks: Vec<String> = c
        .throughput_ids()
        .into_iter()
        .filter(|id| !is_channel(id))
        .filter_map(|id| {
            let (size, rate) = c.peak(id)?;
            Some(format!(
                "{id} {} (at {})",
                words::bytes_per_sec(rate),
                words::bytes(size)
            ))
        })
        .collect();
    if !peaks.is_empty() {
        out.push(format!("Peak throughput: {}.", peaks.join(", ")));
    }
    if c.throughput_ids().iter().any(|id| is_channel(id)) {
        out.push(
            "Channels are left out of the bytes per second: a channel hands over the buffer \
             (a pointer), so it moves no bytes and its \"throughput\" would only be its \
             round trip divided into the message size."
                .into(),
        );
    }
    out
}

/// The claims about latency: a channel between threads answers before a
/// pipe to another process.
pub fn ipc_latency_claims(c: &IpcCosts) -> Vec<Claim> {
    let mut out = Vec::new();
    let channel = ["crossbeam-thread", "mpsc-thread"]
        .into_iter()
        .find_map(|id| Some((id, c.latency(id)?)));
    if let (Some((id, ch)), Some(pipe)) = (channel, c.latency("pipe-process")) {
        // The same pipe between two threads tells whether the process
        // boundary is what costs.
        let boundary = c
            .latency("pipe-thread")
            .filter(|&t| t < ch / (1.0 + TOLERANCE_WORDS))
            .map(|t| {
                format!(
                    "a pipe between two threads took {} here, so crossing into another process \
                     is not what costs: both round trips are mostly the wake-up of a sleeping \
                     peer, not the one byte",
                    words::ns(t)
                )
            });
        out.push(
            Claim::new(
                "a channel between threads answers before a pipe to another process",
                Expect::Ascending,
                vec![
                    Value::new(format!("{id} (a channel)"), ch, Unit::Ns)
                        .with_spread(c.spread.get(id, None)),
                    Value::new("pipe-process", pipe, Unit::Ns)
                        .with_spread(c.spread.get("pipe-process", None)),
                ],
            )
            .because(
                "a channel stays in user space, with no system call to copy the byte; a pipe \
                 is the floor under multiprocessing.Queue before any pickling",
            )
            .reason(boundary),
        );
    }
    out
}

/// Below this relative difference two times are not told apart in a
/// reason.
const TOLERANCE_WORDS: f64 = crate::report::claim::TOLERANCE;

/// Whether an IPC id is a channel between threads (it moves a pointer,
/// not the bytes).
pub fn is_channel(id: &str) -> bool {
    id.starts_with("mpsc") || id.starts_with("crossbeam")
}

/// The claims under the throughput chart: each mechanism that copies bytes
/// moves more per second with larger messages, since the fixed part of a
/// round trip is shared by more bytes; and a Unix socket moves a large
/// message faster than a pipe.
pub fn ipc_throughput_claims(c: &IpcCosts) -> Vec<Claim> {
    let rate = |id: &str, (bytes, rate): (u64, f64), label: String| {
        Value::new(label, rate, Unit::BytesPerSec)
            .with_spread(c.spread.get(id, Some(&bytes.to_string())))
    };
    let mut out: Vec<Claim> = c
        .throughput_ids()
        .into_iter()
        .filter(|id| !is_channel(id))
        .filter_map(|id| {
            let rates: Vec<(u64, f64)> = c.rates(id);
            let (small, large) = (*rates.first()?, *rates.last()?);
            (small.0 != large.0).then(|| {
                Claim::new(
                    format!("{id} moves more bytes per second with larger messages"),
                    Expect::Ascending,
                    vec![
                        rate(id, small, format!("{id} at {}", words::bytes(small.0))),
                        rate(id, large, format!("at {}", words::bytes(large.0))),
                    ],
                )
                .because("the fixed part of a round trip (system calls, waking the peer) is shared by more bytes")
            })
        })
        .collect();
    if let (Some(pipe), Some(unix)) = (c.at_largest("pipe-process"), c.at_largest("unix-process"))
        && pipe.0 == unix.0
    {
        let size = words::bytes(pipe.0);
        out.push(
            Claim::new(
                "a Unix socket moves a large message faster than a pipe",
                Expect::Descending,
                vec![
                    rate("unix-process", unix, format!("unix-process at {size}")),
                    rate("pipe-process", pipe, "pipe-process".into()),
                ],
            )
            .because(
                "both copy every byte twice (into the kernel and out), so the copies do not \
                 explain the difference: a pipe holds only a small buffer (fcntl \
                 F_GETPIPE_SZ reports its size), so a large message crosses in many \
                 buffer-fulls, each waking the reader, while a socket's buffer takes more per \
                 wake-up",
            ),
        );
    }
    out
}

/// The thread locks whose every critical section writes, as the atomic's
/// does: the ones to compare it with (an RwLock's readers run together).
const EXCLUSIVE: [locks::LockKind; 3] = [
    locks::LockKind::StdMutex,
    locks::LockKind::ParkingLotMutex,
    locks::LockKind::Reentrant,
];

/// The most contenders measured.
fn most_contenders(c: &LockCosts) -> usize {
    c.rows.iter().map(|&(_, n, _)| n).max().unwrap_or(0)
}

/// The kinds a contention claim covers: every exclusive lock, threads' and
/// processes'.
fn exclusive(kind: &str) -> bool {
    EXCLUSIVE
        .iter()
        .chain([&locks::LockKind::ProcessMutex])
        .any(|e| e.name() == kind)
}

pub fn explain_locks(c: &LockCosts) -> Vec<String> {
    let mut out = Vec::new();
    let most = most_contenders(c);
    for kind in c.kinds() {
        let Some(one) = c.ops_per_sec(kind, 1) else {
            continue;
        };
        if most > 1
            && let Some(many) = c.ops_per_sec(kind, most)
        {
            // The exclusive locks' numbers are in their claims.
            if !exclusive(kind) {
                out.push(format!(
                    "{kind}: {} alone, {} with {most} contenders ({:.2}x).",
                    words::ops_per_sec(one),
                    words::ops_per_sec(many),
                    many / one
                ));
            }
        } else {
            out.push(format!("{kind}: {} alone.", words::ops_per_sec(one)));
        }
    }
    let pm = c.ops_per_sec(locks::LockKind::ProcessMutex.name(), 1);
    let sm = c.ops_per_sec(locks::LockKind::StdMutex.name(), 1);
    if let (Some(pm), Some(sm)) = (pm, sm) {
        out.push(format!(
            "Alone, a mutex shared between processes ({}) is {} std Mutex between threads \
             ({}).",
            words::ops_per_sec(pm),
            vs(1.0 / pm, 1.0 / sm),
            words::ops_per_sec(sm)
        ));
    }
    out
}

/// The likely reason a lock measured alone looks slow, when the data shows
/// it: the atomic alone, with no lock at all, did no better than `kind`
/// alone, so each batch's fixed cost, not the lock, set the pace; with more
/// contenders that cost is shared by more critical sections.
fn batch_cost(c: &LockCosts, kinds: &[&str]) -> Option<String> {
    let atomic = c.ops_per_sec(locks::LockKind::Atomic.name(), 1)?;
    let slowest = kinds
        .iter()
        .filter_map(|k| c.ops_per_sec(k, 1))
        .fold(f64::INFINITY, f64::min);
    (slowest.is_finite() && atomic <= slowest * (1.0 + TOLERANCE_WORDS)).then(|| {
        format!(
            "the atomic alone, with no lock at all, managed only {}, no more than {} alone: \
             each batch's fixed cost (waking the contenders and collecting them) outweighs an \
             uncontended lock here, and more contenders share that cost among more critical \
             sections",
            words::ops_per_sec(atomic),
            words::and_list(kinds)
        )
    })
}

/// The claims under the locks chart: an exclusive lock gets no more done
/// with more contenders; the atomic keeps more of its rate than any mutex;
/// a read-mostly RwLock more than a write-mostly one; an RLock costs more
/// than a plain Mutex alone.
pub fn lock_claims(c: &LockCosts) -> Vec<Claim> {
    let mut out = Vec::new();
    let most = most_contenders(c);
    if most > 1 {
        for kind in c.kinds().into_iter().filter(|k| exclusive(k)) {
            let (Some(one), Some(many)) = (
                c.value("alone".into(), kind, 1),
                c.value(format!("{kind} with {most} contenders"), kind, most),
            ) else {
                continue;
            };
            out.push(
                Claim::new(
                    format!("{kind} gets no more done in total with more contenders than alone"),
                    Expect::AtMost,
                    vec![many, one],
                )
                .because(
                    "a lock makes its critical section serial, and the lock's cache line moves \
                     between cores",
                )
                .reason(batch_cost(c, &[kind])),
            );
        }
        out.extend(atomic_claim(c, most));
        out.extend(rwlock_claim(c, most));
    }
    let re = locks::LockKind::Reentrant.name();
    let pl = locks::LockKind::ParkingLotMutex.name();
    if let (Some(plain), Some(rlock)) = (
        c.value("a plain parking_lot Mutex alone".into(), pl, 1),
        c.value("an RLock (ReentrantMutex) alone".into(), re, 1),
    ) {
        out.push(
            Claim::new(
                "an uncontended RLock gets less done than a plain Mutex",
                Expect::Descending,
                vec![plain, rlock],
            )
            .because("an RLock also records which thread holds it and how many times")
            .reason(batch_cost(c, &[pl, re])),
        );
    }
    out
}

/// The atomic's claim: with no lock to wait for, it is expected to keep a
/// larger share of its one-contender rate at `most` contenders than any
/// mutex doing the same +1.
fn atomic_claim(c: &LockCosts, most: usize) -> Option<Claim> {
    let atomic = locks::LockKind::Atomic.name();
    let (own, own_spread) = c.kept(atomic, most)?;
    let (best, (best_kept, best_spread)) = c
        .kinds()
        .into_iter()
        .filter(|&k| EXCLUSIVE.iter().any(|e| e.name() == k))
        .filter_map(|k| Some((k, c.kept(k, most)?)))
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))?;
    Some(
        Claim::new(
            "the atomic (one fetch_add, the same add on the same counter as the locks) keeps \
             a larger share of its one-contender rate with more contenders than any mutex",
            Expect::Descending,
            vec![
                Value::new(
                    format!("the atomic with {most} contenders kept"),
                    own,
                    Unit::Ratio,
                )
                .with_spread(own_spread),
                Value::new(format!("the best mutex, {best}"), best_kept, Unit::Ratio)
                    .with_spread(best_spread),
            ],
        )
        .because(
            "it has no lock to wait for, though its counter's cache line still moves between \
             cores on every increment",
        )
        .reason(batch_cost(c, &[atomic, best])),
    )
}

/// A read-mostly RwLock's readers hold it together, so it is expected to
/// keep more of its one-contender rate than a write-mostly one.
fn rwlock_claim(c: &LockCosts, most: usize) -> Option<Claim> {
    let read = locks::LockKind::RwLockRead90.name();
    let write = locks::LockKind::RwLockWrite90.name();
    let (r, rs) = c.kept(read, most)?;
    let (w, ws) = c.kept(write, most)?;
    Some(
        Claim::new(
            "a read-mostly RwLock keeps more of its one-contender rate with more contenders \
             than a write-mostly one",
            Expect::Descending,
            vec![
                Value::new(
                    format!("{read} with {most} contenders kept"),
                    r,
                    Unit::Ratio,
                )
                .with_spread(rs),
                Value::new(write, w, Unit::Ratio).with_spread(ws),
            ],
        )
        .because("readers hold the lock together, writers one at a time"),
    )
}

pub fn explain_switch(c: &SwitchCosts) -> Vec<String> {
    let mut out = Vec::new();
    match (c.thread, c.process) {
        (Some(t), None) => out.push(format!(
            "A context switch between threads costs {}.",
            words::ns(t)
        )),
        (None, Some(p)) => out.push(format!(
            "A context switch between processes costs {}.",
            words::ns(p)
        )),
        _ => {}
    }
    if c.thread.is_some() && c.thread_other_core.is_some() {
        out.push(
            "The scheduler wakes a sleeping peer on an idle core whenever one is free, so on \
             an idle machine messages pay the hand-off, not the switch."
                .into(),
        );
    }
    out
}

/// The claims under the context-switch chart: a switch between threads
/// costs no more than one between processes; a hand-off to another core
/// more than a switch on one.
pub fn switch_claims(c: &SwitchCosts) -> Vec<Claim> {
    let value = |label: &str, id: &str, ns: Option<f64>| {
        Some(Value::new(label, ns?, Unit::Ns).with_spread(c.spread.get(id, None)))
    };
    let thread = || value("between two threads", Side::Thread.name(), c.thread);
    let mut out = Vec::new();
    if let (Some(t), Some(p)) = (
        thread(),
        value("between two processes", Side::Process.name(), c.process),
    ) {
        out.push(
            Claim::new(
                "a context switch on one core costs no more between threads than between \
                 processes",
                Expect::AtMost,
                vec![t, p],
            )
            .because("the kernel schedules both alike; processes also switch address spaces"),
        );
    }
    let other = switch::Placement::OtherCore.bench_id(Side::Thread);
    if let (Some(hand_off), Some(t)) = (
        value(
            "a hand-off to a thread on another core",
            &other,
            c.thread_other_core,
        ),
        value("a switch on one core", Side::Thread.name(), c.thread),
    ) {
        out.push(
            Claim::new(
                "handing the token to another core costs more than a switch on one core",
                Expect::Descending,
                vec![hand_off, t],
            )
            .because(
                "that core sleeps while it waits, and the waker must interrupt it, on a virtual \
                 machine through the hypervisor",
            ),
        );
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::claim::Outcome;

    /// Each claim's outcome, after checking its sentence (for the other
    /// explainers' tests too).
    pub(crate) fn outcomes(claims: &[Claim]) -> Vec<Outcome> {
        claims
            .iter()
            .map(|c| {
                c.check(&c.sentence()).unwrap();
                c.outcome()
            })
            .collect()
    }

    fn find<'a>(claims: &'a [Claim], expected: &str) -> &'a Claim {
        claims
            .iter()
            .find(|c| c.expected.contains(expected))
            .unwrap_or_else(|| panic!("no claim {expected:?} in {claims:?}"))
    }

    #[test]
    fn formats_times_rates_and_sizes() {
        assert_eq!(words::ns(850.0), "850 ns");
        assert_eq!(words::ns(12_345.0), "12.3 µs");
        assert_eq!(words::ns(4_560_000.0), "4.56 ms");
        assert_eq!(words::bytes_per_sec(2.1e9), "2.10 GB/s");
        assert_eq!(words::bytes_per_sec(3.5e8), "350 MB/s");
        assert_eq!(words::bytes(64), "64 B");
        assert_eq!(words::bytes(4096), "4 KiB");
        assert_eq!(words::bytes(1 << 20), "1 MiB");
        assert_eq!(words::ops_per_sec(12.34e6), "12.3 M ops/s");
    }

    #[test]
    fn comparisons_read_both_ways() {
        assert_eq!(vs(1.0, 5.0), "5.0x quicker than");
        assert_eq!(vs(3.0, 2.0), "1.5x slower than");
        assert_eq!(vs(1.0, 1.05), "about as quick as");
    }

    fn spawn(thread: f64, worker: f64) -> SpawnCosts {
        SpawnCosts {
            thread: Some(thread),
            rayon_task: Some(2_000.0),
            command_true: Some(500_000.0),
            command_worker: Some(worker),
            fork: Some(100_000.0),
            fork_large: Some(400_000.0),
            process_pool_task: Some(50_000.0),
            thread_pool_task: Some(5_000.0),
            spread: Spreads::default(),
        }
    }

    #[test]
    fn spawn_claims_follow_the_numbers_both_ways() {
        let c = spawn(20_000.0, 1_000_000.0);
        let claims = spawn_claims(&c);
        assert_eq!(claims.len(), 5);
        assert!(
            outcomes(&claims).iter().all(|o| *o == Outcome::Agrees),
            "{claims:?}"
        );
        let s = find(&claims, "a new process costs more").sentence();
        assert!(
            s.contains(
                "a process spawn (tvp worker: spawn, exit, wait) 1.00 ms and a thread spawn 20.0 µs"
            ),
            "{s}"
        );
        assert!(
            find(&claims, "trivial program")
                .sentence()
                .contains("/bin/true took 500 µs and the tvp worker 1.00 ms")
        );
        assert!(
            explain_spawn(&c)
                .iter()
                .any(|l| l.contains("~100 ms") && l.contains("~5.00 ms"))
        );
        // Reversed: the thread costs more than the process, and the
        // trivial program a fraction of the worker.
        let claims = spawn_claims(&spawn(20_000_000.0, 10_000_000.0));
        let process = find(&claims, "a new process costs more");
        assert_eq!(process.outcome(), Outcome::Contradicts);
        assert!(
            process
                .sentence()
                .starts_with("Expected that a new process")
        );
        let trivial = find(&claims, "trivial program");
        assert_eq!(trivial.outcome(), Outcome::Contradicts);
        assert!(
            trivial
                .sentence()
                .contains("the larger tvp binary adds 9.50 ms"),
            "{}",
            trivial.sentence()
        );
        outcomes(&claims);
        assert!(spawn_claims(&SpawnCosts::default()).is_empty());
        assert!(explain_spawn(&SpawnCosts::default()).is_empty());
    }

    fn ipc(channel: f64, pipe_thread: f64) -> IpcCosts {
        IpcCosts {
            latency: vec![
                ("crossbeam-thread".into(), channel),
                ("pipe-thread".into(), pipe_thread),
                ("pipe-process".into(), 10_000.0),
            ],
            throughput: vec![
                ("pipe-process".into(), 64, 10_000.0),
                ("pipe-process".into(), 1 << 20, 500_000.0),
                ("unix-process".into(), 64, 10_000.0),
                ("unix-process".into(), 1 << 20, 250_000.0),
                ("crossbeam-thread".into(), 1 << 20, 1_000.0),
            ],
            spread: Spreads::default(),
        }
    }

    #[test]
    fn ipc_sentences_name_the_extremes_whichever_they_are() {
        let s = explain_ipc(&ipc(1_000.0, 8_000.0));
        assert!(
            s[0].contains("crossbeam-thread at 1.00 µs")
                && s[0].contains("pipe-process at 10.0 µs (10.0x)"),
            "{}",
            s[0]
        );
        assert!(s[1].contains("pipe: 8.00 µs between threads, 10.0 µs between processes"));
        assert!(
            s[2].contains("pipe-process 2.10 GB/s (at 1 MiB)"),
            "{}",
            s[2]
        );
        assert!(s[3].contains("moves no bytes"), "{}", s[3]);
        // Reversed: the channel is now the slowest.
        let s = explain_ipc(&ipc(40_000.0, 8_000.0));
        assert!(
            s[0].contains("quickest 1-byte round trip is pipe-thread at 8.00 µs")
                && s[0].contains("slowest is crossbeam-thread at 40.0 µs (5.0x)"),
            "{}",
            s[0]
        );
    }

    #[test]
    fn ipc_claims_follow_the_numbers_both_ways() {
        let quick = ipc_latency_claims(&ipc(1_000.0, 8_000.0));
        assert_eq!(outcomes(&quick), [Outcome::Agrees]);
        assert!(
            quick[0]
                .sentence()
                .contains("crossbeam-thread (a channel) 1.00 µs and pipe-process 10.0 µs")
        );
        let slow = ipc_latency_claims(&ipc(20_000.0, 8_000.0));
        assert_eq!(outcomes(&slow), [Outcome::Contradicts]);
        assert!(
            slow[0]
                .sentence()
                .contains("a pipe between two threads took 8.00 µs"),
            "{}",
            slow[0].sentence()
        );
        // Without a quicker pipe between threads, that reason is not given.
        let slow = ipc_latency_claims(&ipc(20_000.0, 30_000.0));
        assert!(!slow[0].sentence().contains("pipe between two threads"));

        let c = ipc(1_000.0, 8_000.0);
        let claims = ipc_throughput_claims(&c);
        let unix = find(&claims, "a Unix socket");
        assert_eq!(unix.outcome(), Outcome::Agrees);
        assert!(
            unix.sentence()
                .contains("unix-process at 1 MiB 4.19 GB/s and pipe-process 2.10 GB/s"),
            "{}",
            unix.sentence()
        );
        let mut reversed = c.clone();
        reversed.throughput[1].2 = 125_000.0;
        let claims = ipc_throughput_claims(&reversed);
        assert_eq!(
            find(&claims, "a Unix socket").outcome(),
            Outcome::Contradicts
        );
        outcomes(&claims);
    }

    fn locks(rows: &[(&str, usize, f64)]) -> LockCosts {
        LockCosts {
            rows: rows.iter().map(|&(k, n, r)| (k.into(), n, r)).collect(),
            spread: Spreads::default(),
        }
    }

    #[test]
    fn lock_claims_expect_no_gain_from_contenders() {
        let c = locks(&[
            ("std-mutex", 1, 50e6),
            ("std-mutex", 4, 10e6),
            ("parking_lot-mutex", 1, 40e6),
            ("parking_lot-mutex", 4, 20e6),
            ("parking_lot-reentrant", 1, 30e6),
            ("std-rwlock-read90", 1, 30e6),
            ("std-rwlock-read90", 4, 60e6),
            ("std-rwlock-write90", 1, 30e6),
            ("std-rwlock-write90", 4, 15e6),
            ("atomic", 1, 100e6),
            ("atomic", 4, 80e6),
            ("process-mutex", 1, 25e6),
        ]);
        let s = explain_locks(&c);
        assert!(
            s.iter()
                .any(|l| l.contains("parking_lot-reentrant: 30.0 M ops/s alone"))
        );
        assert!(
            s.iter().any(
                |l| l == "atomic: 100.0 M ops/s alone, 80.0 M ops/s with 4 contenders (0.80x)."
            ),
            "{s:?}"
        );
        assert!(
            !s.iter().any(|l| l.starts_with("std-mutex")),
            "in its claim: {s:?}"
        );
        assert!(s.iter().any(|l| l.contains(
            "(25.0 M ops/s) is 2.0x slower than std Mutex between threads (50.0 M ops/s)"
        )));
        let claims = lock_claims(&c);
        assert!(
            outcomes(&claims).iter().all(|o| *o == Outcome::Agrees),
            "{claims:?}"
        );
        let std = find(&claims, "std-mutex gets no more done");
        assert!(
            std.sentence()
                .contains("std-mutex with 4 contenders 10.0 M ops/s and alone 50.0 M ops/s"),
            "{}",
            std.sentence()
        );
        let rlock = find(&claims, "RLock");
        assert!(
            rlock.sentence().contains(
                "a plain parking_lot Mutex alone 40.0 M ops/s and an RLock (ReentrantMutex) alone 30.0 M ops/s"
            ),
            "{}",
            rlock.sentence()
        );
        assert!(
            find(&claims, "read-mostly")
                .sentence()
                .contains("2.00x and std-rwlock-write90 0.50x")
        );

        // Reversed: more contenders get more done, the RLock beats the
        // Mutex, the write-mostly lock keeps more; the atomic alone is no
        // quicker than the locks, which the reasons name.
        let c = locks(&[
            ("std-mutex", 1, 10e6),
            ("std-mutex", 4, 50e6),
            ("parking_lot-mutex", 1, 20e6),
            ("parking_lot-reentrant", 1, 40e6),
            ("std-rwlock-read90", 1, 30e6),
            ("std-rwlock-read90", 4, 15e6),
            ("std-rwlock-write90", 1, 30e6),
            ("std-rwlock-write90", 4, 60e6),
            ("atomic", 1, 9e6),
        ]);
        let claims = lock_claims(&c);
        assert!(
            outcomes(&claims).iter().all(|o| *o == Outcome::Contradicts),
            "{claims:?}"
        );
        let std = find(&claims, "std-mutex gets no more done").sentence();
        assert!(
            std.contains("the atomic alone, with no lock at all, managed only 9.0 M ops/s"),
            "{std}"
        );
        assert!(
            find(&claims, "RLock")
                .sentence()
                .starts_with("Expected that an uncontended RLock")
        );
    }

    #[test]
    fn the_atomic_claim_follows_the_numbers_both_ways() {
        let rows = |atomic_many: f64| {
            locks(&[
                ("parking_lot-mutex", 1, 40e6),
                ("parking_lot-mutex", 4, 20e6),
                ("atomic", 1, 100e6),
                ("atomic", 4, atomic_many),
                ("process-mutex", 1, 10e6),
                ("process-mutex", 4, 10e6),
            ])
        };
        let atomic = |c: &LockCosts| find(&lock_claims(c), "the atomic").clone();
        let agrees = atomic(&rows(80e6));
        assert_eq!(agrees.outcome(), Outcome::Agrees);
        assert!(
            agrees.sentence().contains(
                "the atomic with 4 contenders kept 0.80x and the best mutex, parking_lot-mutex 0.50x"
            ),
            "{}",
            agrees.sentence()
        );
        let reversed = atomic(&rows(30e6));
        assert_eq!(reversed.outcome(), Outcome::Contradicts);
        assert!(reversed.sentence().starts_with("Expected that the atomic"));
        let tie = atomic(&rows(51e6));
        assert_eq!(tie.outcome(), Outcome::WithinNoise);
        tie.check(&tie.sentence()).unwrap();
    }

    #[test]
    fn lock_rates_come_from_the_batch_size() {
        use crate::report::estimates::{Estimate, Estimates};
        let e = Estimates(vec![Estimate {
            group: locks::GROUP.into(),
            function: Some("std-mutex".into()),
            value: Some("2".into()),
            median_ns: 2e6,
            spread: Some(0.03),
        }]);
        let c = LockCosts::from_estimates(&e);
        let expected = 2.0 * locks::BATCH_OPS as f64 / 2e-3;
        assert!((c.ops_per_sec("std-mutex", 2).unwrap() - expected).abs() < 1.0);
        assert_eq!(c.spread.get("std-mutex", Some("2")), Some(0.03));
    }

    #[test]
    fn switch_claims_follow_the_numbers_both_ways() {
        let c = SwitchCosts {
            thread: Some(1_000.0),
            process: Some(1_200.0),
            thread_other_core: Some(28_000.0),
            ..SwitchCosts::default()
        };
        let claims = switch_claims(&c);
        assert_eq!(outcomes(&claims), [Outcome::Agrees, Outcome::Agrees]);
        assert!(
            claims[1].sentence().contains(
                "a hand-off to a thread on another core 28.0 µs and a switch on one core 1.00 µs"
            ),
            "{}",
            claims[1].sentence()
        );
        assert!(explain_switch(&c)[0].contains("on an idle machine"));
        let reversed = SwitchCosts {
            thread: Some(28_000.0),
            process: Some(1_000.0),
            thread_other_core: Some(1_000.0),
            ..SwitchCosts::default()
        };
        assert_eq!(
            outcomes(&switch_claims(&reversed)),
            [Outcome::Contradicts, Outcome::Contradicts]
        );
        let alone = explain_switch(&SwitchCosts {
            thread: Some(2_000.0),
            ..SwitchCosts::default()
        });
        assert_eq!(alone, ["A context switch between threads costs 2.00 µs."]);
        assert!(explain_switch(&SwitchCosts::default()).is_empty());
    }
}
