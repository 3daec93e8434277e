//! Sentences written from the measured costs, for the report and the
//! terminal. Pure functions: numbers in, sentences out. A missing number
//! drops the sentences that need it.

use crate::costs::{Side, ipc, locks, spawn, switch};
use crate::report::estimates::Estimates;
use crate::report::explain::words;

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
        IpcCosts {
            latency,
            throughput,
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
        LockCosts { rows }
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
    if let (Some(p), Some(t)) = (c.command_worker, c.thread) {
        out.push(format!(
            "On this machine a process spawn (`tvp worker`: spawn, exit, wait) costs {}, as much \
             as {:.0} thread spawns ({} each).",
            words::ns(p),
            p / t,
            words::ns(t)
        ));
    }
    match (c.command_true, c.command_worker) {
        (Some(t), Some(w)) if t >= 0.5 * w => out.push(format!(
            "Even a trivial program ({}) takes {}, {} the tvp worker: most of the cost is \
             creating and tearing down a process, not the program.",
            spawn::TRUE_PROGRAM,
            words::ns(t),
            vs(t, w)
        )),
        (Some(t), Some(w)) => out.push(format!(
            "A trivial program ({}) takes {}; the larger tvp binary adds {} to load and \
             start.",
            spawn::TRUE_PROGRAM,
            words::ns(t),
            words::ns(w - t)
        )),
        (Some(t), None) => out.push(format!(
            "Spawning a trivial program ({}) takes {}.",
            spawn::TRUE_PROGRAM,
            words::ns(t)
        )),
        _ => {}
    }
    if let (Some(r), Some(t)) = (c.rayon_task, c.thread) {
        out.push(format!(
            "A task handed to a running rayon pool costs {}, {} a new thread.",
            words::ns(r),
            vs(r, t)
        ));
    }
    if let (Some(small), Some(large)) = (c.fork, c.fork_large) {
        out.push(format!(
            "fork without exec takes {} from a small parent and {} from a parent with 1 GiB \
             touched ({:.1}x): fork copies the page tables, so it grows with the parent's memory.",
            words::ns(small),
            words::ns(large),
            large / small
        ));
    }
    match (c.process_pool_task, c.thread_pool_task) {
        (Some(p), Some(t)) => out.push(format!(
            "A pool round trip costs {} through the process pool, {} a thread pool ({}): the \
             process pool pays the spawn once, then each task crosses two pipes as JSON.",
            words::ns(p),
            vs(p, t),
            words::ns(t)
        )),
        (Some(p), None) => out.push(format!("A process-pool round trip costs {}.", words::ns(p))),
        _ => {}
    }
    if let (Some(p), Some(task)) = (c.command_worker, c.process_pool_task) {
        out.push(format!(
            "So give a new process at least ~{} of work (100x its spawn), and a pool task at \
             least ~{}, or the overhead dominates.",
            words::ns(100.0 * p),
            words::ns(100.0 * task)
        ));
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
    let channel = c
        .latency("crossbeam-thread")
        .or_else(|| c.latency("mpsc-thread"));
    if let (Some(ch), Some(pipe)) = (channel, c.latency("pipe-process")) {
        out.push(format!(
            "A channel between threads answers in {}, {} a pipe to another process ({}), the \
             floor under multiprocessing.Queue before any pickling.",
            words::ns(ch),
            vs(ch, pipe),
            words::ns(pipe)
        ));
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
    if let (Some(pipe), Some(unix)) = (c.at_largest("pipe-process"), c.at_largest("unix-process")) {
        out.push(format!(
            "At {}, pipe-process moved {} and unix-process {}. Both copy every byte twice \
             (into the kernel and out), so the copies do not explain the difference: a pipe \
             holds only a small buffer (fcntl F_GETPIPE_SZ reports its size), so a large message \
             crosses in many buffer-fulls, each waking the reader, while a socket's buffer \
             takes more per wake-up.",
            words::bytes(pipe.0),
            words::bytes_per_sec(pipe.1),
            words::bytes_per_sec(unix.1)
        ));
    }
    out
}

/// Whether an IPC id is a channel between threads (it moves a pointer,
/// not the bytes).
pub fn is_channel(id: &str) -> bool {
    id.starts_with("mpsc") || id.starts_with("crossbeam")
}

/// The claims under the throughput chart: each mechanism that copies bytes
/// moves more per second with larger messages, since the fixed part of a
/// round trip is shared by more bytes.
pub fn ipc_throughput_claims(c: &IpcCosts) -> Vec<crate::report::Claim> {
    use crate::report::claim::{Claim, Expect, Unit, Value};
    c.throughput_ids()
        .into_iter()
        .filter(|id| !is_channel(id))
        .filter_map(|id| {
            let rates: Vec<(u64, f64)> = c.rates(id);
            let (small, large) = (rates.first()?, rates.last()?);
            (small.0 != large.0).then(|| {
                Claim::new(
                    format!("{id} moves more bytes per second with larger messages"),
                    Expect::Ascending,
                    vec![
                        Value::new(format!("{id} at {}", words::bytes(small.0)), small.1, Unit::BytesPerSec),
                        Value::new(format!("at {}", words::bytes(large.0)), large.1, Unit::BytesPerSec),
                    ],
                )
                .because("the fixed part of a round trip (system calls, waking the peer) is shared by more bytes")
            })
        })
        .collect()
}

pub fn explain_locks(c: &LockCosts) -> Vec<String> {
    let mut out = Vec::new();
    let most = c.rows.iter().map(|&(_, n, _)| n).max().unwrap_or(0);
    let mut fell = 0;
    let mut compared = 0;
    for kind in c.kinds() {
        let Some(one) = c.ops_per_sec(kind, 1) else {
            continue;
        };
        if most > 1
            && let Some(many) = c.ops_per_sec(kind, most)
        {
            compared += 1;
            if many < one {
                fell += 1;
            }
            out.push(format!(
                "{kind}: {} alone, {} with {most} contenders ({:.2}x).",
                words::ops_per_sec(one),
                words::ops_per_sec(many),
                many / one
            ));
        } else {
            out.push(format!("{kind}: {} alone.", words::ops_per_sec(one)));
        }
    }
    if compared > 0 && fell * 2 > compared {
        out.push(format!(
            "For {fell} of {compared} kinds, more contenders got less done in total: a lock \
             makes its critical section serial, and the lock's cache line moves between cores."
        ));
    }
    if let Some(s) = atomic_claim(c, most) {
        out.push(s);
    }
    let re = c.ops_per_sec(locks::LockKind::Reentrant.name(), 1);
    let pl = c.ops_per_sec(locks::LockKind::ParkingLotMutex.name(), 1);
    if let (Some(re), Some(pl)) = (re, pl) {
        let why = if re < 0.9 * pl {
            ": it also records which thread holds it and how many times"
        } else {
            ""
        };
        out.push(format!(
            "Uncontended, an RLock (ReentrantMutex, {}) is {} a plain parking_lot Mutex ({}){why}.",
            words::ops_per_sec(re),
            vs(1.0 / re, 1.0 / pl),
            words::ops_per_sec(pl)
        ));
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

/// The thread locks whose every critical section writes, as the atomic's
/// does: the ones to compare it with (an RwLock's readers run together).
const EXCLUSIVE: [locks::LockKind; 3] = [
    locks::LockKind::StdMutex,
    locks::LockKind::ParkingLotMutex,
    locks::LockKind::Reentrant,
];

/// The atomic's claim: with no lock to wait for, it is expected to keep a
/// larger share of its one-contender rate at `most` contenders than any
/// mutex doing the same +1.
fn atomic_claim(c: &LockCosts, most: usize) -> Option<String> {
    let atomic = locks::LockKind::Atomic.name();
    let kept = |kind: &str| Some(c.ops_per_sec(kind, most)? / c.ops_per_sec(kind, 1)?);
    let own = kept(atomic).filter(|_| most > 1)?;
    let (best, best_kept) = c
        .kinds()
        .into_iter()
        .filter(|&k| EXCLUSIVE.iter().any(|e| e.name() == k))
        .filter_map(|k| Some((k, kept(k)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let close = own <= 1.1 * best_kept && best_kept <= 1.1 * own;
    Some(if close {
        format!(
            "The atomic (one fetch_add, the same +1 on the same counter as the locks) kept \
             about the same share of its one-contender rate with {most} contenders as the best \
             mutex ({own:.2}x vs {best}'s {best_kept:.2}x), where it was expected to keep \
             more, having no lock to wait for: the counter's cache line, which both must move \
             between cores, costs more than the lock; on a busy machine, noise too."
        )
    } else if own > best_kept {
        format!(
            "The atomic (one fetch_add, the same +1 on the same counter as the locks) kept a \
             larger share of its one-contender rate with {most} contenders ({own:.2}x) than \
             any mutex (best: {best}, {best_kept:.2}x): it has no lock to wait for, though its counter's \
             cache line still moves between cores on every increment."
        )
    } else {
        format!(
            "Expected the atomic, with no lock to wait for, to keep a larger share of its \
             one-contender rate than any mutex; measured with {most} contenders: {best} kept {best_kept:.2}x, \
             the atomic {own:.2}x. Both add 1 to one counter whose cache line moves between \
             cores either way, and a lock its holder takes again many times in a row (neither \
             std's nor parking_lot's mutex is fair) moves that line less often than \
             fetch_adds that alternate between cores; on a busy machine, noise too."
        )
    })
}

pub fn explain_switch(c: &SwitchCosts) -> Vec<String> {
    let mut out = explain_same_core(c);
    if let (Some(one), Some(other)) = (c.thread, c.thread_other_core) {
        out.push(format!(
            "Handing the token to a thread on another core costs {} per hand-off, {:.1}x a \
             switch on one core: that core sleeps while it waits, and the waker must \
             interrupt it, on a virtual machine through the hypervisor. The scheduler wakes \
             a sleeping peer on an idle core whenever one is free, so on an idle machine \
             messages pay this, not the switch.",
            words::ns(other),
            other / one,
        ));
    }
    out
}

fn explain_same_core(c: &SwitchCosts) -> Vec<String> {
    match (c.thread, c.process) {
        (Some(t), Some(p)) => vec![format!(
            "A context switch costs {} between two threads and {} between two processes \
             ({:.2}x) on one core: the kernel schedules both alike; processes also switch \
             address spaces.",
            words::ns(t),
            words::ns(p),
            p / t
        )],
        (Some(t), None) => vec![format!(
            "A context switch between threads costs {}.",
            words::ns(t)
        )],
        (None, Some(p)) => vec![format!(
            "A context switch between processes costs {}.",
            words::ns(p)
        )],
        (None, None) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn spawn_sentences_come_from_the_numbers() {
        let c = SpawnCosts {
            thread: Some(20_000.0),
            rayon_task: Some(2_000.0),
            command_true: Some(500_000.0),
            command_worker: Some(1_000_000.0),
            fork: Some(100_000.0),
            fork_large: Some(400_000.0),
            process_pool_task: Some(50_000.0),
            thread_pool_task: Some(5_000.0),
        };
        let s = explain_spawn(&c);
        assert!(
            s[0].contains("costs 1.00 ms, as much as 50 thread spawns (20.0 µs each)"),
            "{}",
            s[0]
        );
        assert!(
            s[1].contains("takes 500 µs, 2.0x quicker than the tvp worker"),
            "{}",
            s[1]
        );
        let slim = SpawnCosts {
            command_true: Some(100_000.0),
            ..c.clone()
        };
        assert!(explain_spawn(&slim)[1].contains("adds 900 µs"));
        assert!(
            s[2].contains("2.00 µs, 10.0x quicker than a new thread"),
            "{}",
            s[2]
        );
        assert!(s[3].contains("100 µs from a small parent and 400 µs") && s[3].contains("(4.0x)"));
        assert!(
            s[4].contains(
                "50.0 µs through the process pool, 10.0x slower than a thread pool (5.00 µs)"
            ),
            "{}",
            s[4]
        );
        assert!(s[5].contains("~100 ms") && s[5].contains("~5.00 ms"));
        assert!(explain_spawn(&SpawnCosts::default()).is_empty());
    }

    #[test]
    fn ipc_sentences_compare_sides_and_peaks() {
        let c = IpcCosts {
            latency: vec![
                ("crossbeam-thread".into(), 1_000.0),
                ("pipe-thread".into(), 8_000.0),
                ("pipe-process".into(), 10_000.0),
            ],
            throughput: vec![
                ("pipe-process".into(), 64, 10_000.0),
                ("pipe-process".into(), 1 << 20, 500_000.0),
                ("crossbeam-thread".into(), 1 << 20, 1_000.0),
            ],
        };
        let s = explain_ipc(&c);
        assert!(
            s[0].contains("crossbeam-thread at 1.00 µs")
                && s[0].contains("pipe-process at 10.0 µs (10.0x)"),
            "{}",
            s[0]
        );
        assert!(s[1].contains("pipe: 8.00 µs between threads, 10.0 µs between processes"));
        assert!(
            s[2].contains("1.00 µs, 10.0x quicker than a pipe"),
            "{}",
            s[2]
        );
        assert!(
            s[3].contains("pipe-process 2.10 GB/s (at 1 MiB)"),
            "{}",
            s[3]
        );
        assert!(s[4].contains("moves no bytes"), "{}", s[4]);
    }

    #[test]
    fn lock_sentences_report_scaling() {
        let c = LockCosts {
            rows: vec![
                ("std-mutex".into(), 1, 50e6),
                ("std-mutex".into(), 4, 10e6),
                ("parking_lot-mutex".into(), 1, 40e6),
                ("parking_lot-mutex".into(), 4, 20e6),
                ("parking_lot-reentrant".into(), 1, 30e6),
                ("process-mutex".into(), 1, 25e6),
            ],
        };
        let s = explain_locks(&c);
        assert_eq!(
            s[0],
            "std-mutex: 50.0 M ops/s alone, 10.0 M ops/s with 4 contenders (0.20x)."
        );
        assert!(s[2].contains("parking_lot-reentrant: 30.0 M ops/s alone"));
        assert!(s.iter().any(|l| l.contains("For 2 of 2 kinds")));
        assert!(s.iter().any(|l| l.contains(
            "(ReentrantMutex, 30.0 M ops/s) is 1.3x slower than a plain parking_lot Mutex \
             (40.0 M ops/s): it also records"
        )));
        assert!(s.iter().any(|l| l.contains(
            "(25.0 M ops/s) is 2.0x slower than std Mutex between threads (50.0 M ops/s)"
        )));
    }

    #[test]
    fn the_atomic_claim_follows_the_numbers_both_ways() {
        let rows = |atomic_many: f64| LockCosts {
            rows: vec![
                ("parking_lot-mutex".into(), 1, 40e6),
                ("parking_lot-mutex".into(), 4, 20e6),
                ("atomic".into(), 1, 100e6),
                ("atomic".into(), 4, atomic_many),
                ("process-mutex".into(), 1, 10e6),
                ("process-mutex".into(), 4, 10e6),
            ],
        };
        let agrees = explain_locks(&rows(80e6));
        assert!(
            agrees.iter().any(|l| l.contains(
                "kept a larger share of its one-contender rate with 4 contenders (0.80x) than \
                 any mutex (best: parking_lot-mutex, 0.50x)"
            )),
            "{agrees:?}"
        );
        let reversed = explain_locks(&rows(30e6));
        assert!(
            reversed.iter().any(|l| l.starts_with("Expected the atomic")
                && l.contains("parking_lot-mutex kept 0.50x, the atomic 0.30x")),
            "{reversed:?}"
        );
        assert!(!reversed.iter().any(|l| l.contains("kept a larger share")));
        let tie = explain_locks(&rows(52e6));
        assert!(
            tie.iter().any(|l| l.contains(
                "kept about the same share of its one-contender rate with 4 contenders as the \
                 best mutex (0.52x vs parking_lot-mutex's 0.50x)"
            )),
            "{tie:?}"
        );
    }

    #[test]
    fn lock_rates_come_from_the_batch_size() {
        use crate::report::estimates::{Estimate, Estimates};
        let e = Estimates(vec![Estimate {
            group: locks::GROUP.into(),
            function: Some("std-mutex".into()),
            value: Some("2".into()),
            median_ns: 2e6,
        }]);
        let c = LockCosts::from_estimates(&e);
        let expected = 2.0 * locks::BATCH_OPS as f64 / 2e-3;
        assert!((c.ops_per_sec("std-mutex", 2).unwrap() - expected).abs() < 1.0);
    }

    #[test]
    fn other_core_hand_offs_are_put_against_a_switch() {
        let s = explain_switch(&SwitchCosts {
            thread: Some(1_000.0),
            thread_other_core: Some(28_000.0),
            ..SwitchCosts::default()
        });
        assert!(s[0].contains("between threads costs 1.00 µs"), "{s:?}");
        assert!(
            s[1].contains("28.0 µs per hand-off, 28.0x a switch"),
            "{s:?}"
        );
        assert!(s[1].contains("through the hypervisor"), "{s:?}");
    }

    #[test]
    fn switch_sentence_gives_the_ratio() {
        let s = explain_switch(&SwitchCosts {
            thread: Some(2_000.0),
            process: Some(2_500.0),
            ..SwitchCosts::default()
        });
        assert!(
            s[0].contains("2.00 µs between two threads and 2.50 µs between two processes (1.25x)")
        );
        assert!(explain_switch(&SwitchCosts::default()).is_empty());
    }
}
