//! False sharing: N contenders each add 1 to a counter, over and over, and
//! only WHERE the counters live changes.
//!
//! - `padded`: each contender owns a counter, one cache line apart (the
//!   line size read from this machine, [`CacheLine::detect`]). Nothing is
//!   shared: the total should grow with the contenders, up to the cores.
//! - `adjacent`: each contender owns a counter, 8 bytes apart, so they share
//!   one cache line. Nothing is shared in the program, but the hardware
//!   moves whole lines: each write takes the line away from the other
//!   cores, and the total is expected to fall well below `padded`'s. This
//!   is false sharing; padding (`crossbeam_utils::CachePadded`,
//!   `#[repr(align(64))]`) is the cure.
//! - `one-atomic`: one counter for all, `fetch_add` (true sharing: the same
//!   line bounces, and here it must).
//! - `one-mutex`: one counter for all under a `parking_lot::Mutex`: the same
//!   work behind a lock.
//!
//! Every variant does the same work, one `fetch_add(1)` (or lock, `+= 1`,
//! unlock) per operation, and its totals are checked to add up to
//! contenders x operations. The counters sit in a shared mapping
//! ([`super::shared::SharedRegion`]) for threads and processes alike, so
//! `padded` and `adjacent` also run as `tvp peer sharing` processes: false
//! sharing crosses the process boundary, because it lives in the cache, not
//! in the program.
//!
//! *Rust Atomics and Locks* (ch. 7) shows the same effect on loads: a loop
//! of relaxed loads slows down several times when another core writes a
//! different variable on the same cache line, and `#[repr(align(64))]`
//! cures it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

use super::crew::{PeerCrew, ThreadCrew, parse_count, serve_batches};
use super::shared::SharedRegion;
use super::{Side, need_exe};
use crate::error::{Error, Result};

pub const GROUP: &str = "false-sharing";
/// Increments each contender makes per timed batch: about a millisecond
/// when nothing is shared, so starting a batch is a small part of it.
pub const BATCH_OPS: u64 = 200_000;
/// Where Linux says how long a cache line is.
pub const LINE_FILE: &str = "/sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size";
/// The line size assumed when [`LINE_FILE`] cannot be read (x86-64 and most
/// ARM cores use 64 bytes).
pub const FALLBACK_LINE: usize = 64;
/// The file the bench writes beside the other data files, so the report
/// says which line size the measurement used.
pub const DATA_FILE: &str = "false_sharing.json";
/// Bytes between two adjacent counters.
const WORD: usize = size_of::<u64>();

/// The cache line size the padding uses, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheLine {
    pub bytes: usize,
    /// `None` when read from [`LINE_FILE`]; otherwise why
    /// [`FALLBACK_LINE`] was assumed.
    pub fallback: Option<String>,
}

impl CacheLine {
    /// Reads [`LINE_FILE`], falling back to [`FALLBACK_LINE`] (and saying
    /// why) when it is missing or not a plausible line size.
    pub fn detect() -> CacheLine {
        Self::from_text(std::fs::read_to_string(LINE_FILE).map_err(|e| e.to_string()))
    }

    fn from_text(text: std::result::Result<String, String>) -> CacheLine {
        let parsed = text.and_then(|t| {
            let t = t.trim();
            match t.parse::<usize>() {
                Ok(n) if n.is_power_of_two() && (WORD..=4096).contains(&n) => Ok(n),
                _ => Err(format!("it holds `{t}`, not a cache line size")),
            }
        });
        match parsed {
            Ok(bytes) => CacheLine {
                bytes,
                fallback: None,
            },
            Err(why) => CacheLine {
                bytes: FALLBACK_LINE,
                fallback: Some(format!("{LINE_FILE} could not be read ({why})")),
            },
        }
    }

    /// Writes `dir/`[`DATA_FILE`].
    pub fn write(&self, dir: &Path) -> Result<()> {
        crate::sweep::write_json(&dir.join(DATA_FILE), self)
    }

    /// Reads `dir/`[`DATA_FILE`], if a bench wrote it.
    pub fn read(dir: &Path) -> Option<CacheLine> {
        let text = std::fs::read_to_string(dir.join(DATA_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// Where the counters live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A counter per contender, a cache line apart.
    Padded,
    /// A counter per contender, 8 bytes apart: one cache line.
    Adjacent,
    /// One counter for all, `fetch_add`.
    OneAtomic,
    /// One counter for all, under a mutex.
    OneMutex,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::Padded,
        Layout::Adjacent,
        Layout::OneAtomic,
        Layout::OneMutex,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Padded => "padded",
            Layout::Adjacent => "adjacent",
            Layout::OneAtomic => "one-atomic",
            Layout::OneMutex => "one-mutex",
        }
    }

    /// The sides it runs on: a mutex between processes is
    /// [`super::locks::LockKind::ProcessMutex`]'s measurement.
    pub fn sides(self) -> &'static [Side] {
        match self {
            Layout::OneMutex => &[Side::Thread],
            _ => &[Side::Thread, Side::Process],
        }
    }

    /// `padded-thread`, `adjacent-process`, ...
    pub fn bench_id(self, side: Side) -> String {
        format!("{}-{}", self.name(), side.name())
    }

    /// Bytes between contender i's counter and contender i + 1's.
    pub fn stride(self, line: &CacheLine) -> usize {
        match self {
            Layout::Padded => line.bytes,
            Layout::Adjacent => WORD,
            Layout::OneAtomic | Layout::OneMutex => 0,
        }
    }
}

/// Adds 1 to `counter`, `ops` times, as separate atomic operations.
fn bump(counter: &AtomicU64, ops: u64) {
    for _ in 0..ops {
        // black_box: the compiler may not fold the loop into one add.
        std::hint::black_box(counter).fetch_add(1, Relaxed);
    }
}

#[derive(Debug)]
enum Crew {
    Threads(ThreadCrew),
    Processes(PeerCrew),
}

/// N contenders, started once, each adding 1 to its counter (or the one
/// counter) per operation, in batches on command.
#[derive(Debug)]
pub struct Counting {
    layout: Layout,
    contenders: usize,
    stride: usize,
    /// Operations each contender has made so far.
    ops_each: u64,
    region: Arc<SharedRegion>,
    mutex: Arc<parking_lot::Mutex<u64>>,
    crew: Crew,
}

impl Counting {
    /// Starts `contenders` threads or `tvp peer sharing` processes (which
    /// need `exe`), with counters laid out for `line`. Untimed setup.
    pub fn new(
        layout: Layout,
        side: Side,
        contenders: usize,
        line: &CacheLine,
        exe: Option<&Path>,
    ) -> Result<Self> {
        if !layout.sides().contains(&side) {
            return Err(Error::InvalidJob(format!(
                "{} runs between threads only; a mutex between processes is the locks \
                 group's process-mutex",
                layout.name()
            )));
        }
        let stride = layout.stride(line);
        let len = (contenders * stride.max(WORD)).next_multiple_of(4096);
        let region = Arc::new(SharedRegion::create(len)?);
        let mutex = Arc::new(parking_lot::Mutex::new(0));
        let crew = match side {
            Side::Thread => {
                let (region, mutex) = (Arc::clone(&region), Arc::clone(&mutex));
                let work: super::crew::Work = if layout == Layout::OneMutex {
                    Arc::new(move |_, ops| {
                        for _ in 0..ops {
                            *std::hint::black_box(&mutex).lock() += 1;
                        }
                    })
                } else {
                    Arc::new(move |i, ops| bump(region.atomic_u64(i * stride), ops))
                };
                Crew::Threads(ThreadCrew::start(contenders, "tvp-counter", work)?)
            }
            Side::Process => {
                let addr = region.path().to_string_lossy().into_owned();
                let exe = need_exe(exe)?;
                Crew::Processes(PeerCrew::start(
                    exe,
                    contenders,
                    "sharing",
                    &["--addr".into(), addr],
                )?)
            }
        };
        Ok(Counting {
            layout,
            contenders,
            stride,
            ops_each: 0,
            region,
            mutex,
            crew,
        })
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// One batch: every contender makes `ops` increments; returns when all
    /// are done.
    pub fn batch(&mut self, ops: u64) -> Result<()> {
        let stride = self.stride;
        match &mut self.crew {
            Crew::Threads(crew) => crew.batch(ops)?,
            Crew::Processes(crew) => crew.batch(|i| format!("{ops} {}", i * stride))?,
        }
        self.ops_each += ops;
        Ok(())
    }

    /// Each counter's value now (between batches): one per contender, or
    /// the one shared counter.
    pub fn counters(&self) -> Vec<u64> {
        match self.layout {
            Layout::OneMutex => vec![*self.mutex.lock()],
            Layout::OneAtomic => vec![self.region.atomic_u64(0).load(Relaxed)],
            Layout::Padded | Layout::Adjacent => (0..self.contenders)
                .map(|i| self.region.atomic_u64(i * self.stride).load(Relaxed))
                .collect(),
        }
    }

    /// All counters added up.
    pub fn total(&self) -> u64 {
        self.counters().iter().sum()
    }

    /// Checks that the total is contenders x operations: no increment lost.
    pub fn check(&self) -> Result<()> {
        let expected = self.contenders as u64 * self.ops_each;
        match self.total() {
            total if total == expected => Ok(()),
            total => Err(Error::InvalidJob(format!(
                "{}: the counters add up to {total}, expected {expected}",
                self.layout.name()
            ))),
        }
    }

    /// The process ids of process contenders.
    pub fn pids(&self) -> Vec<u32> {
        match &self.crew {
            Crew::Processes(crew) => crew.pids(),
            Crew::Threads(_) => Vec::new(),
        }
    }

    /// The shared-memory file holding the counters.
    pub fn region_path(&self) -> &Path {
        self.region.path()
    }
}

/// `tvp peer sharing`: for each line `OPS OFFSET`, add 1 to the counter at
/// byte OFFSET of the shared file, OPS times, then answer `done`.
pub fn serve(path: &Path) -> Result<()> {
    let region = SharedRegion::open(path)?;
    serve_batches(|line| {
        let mut words = line.split_whitespace();
        let ops = parse_count(words.next(), line)?;
        let offset = parse_count(words.next(), line)? as usize;
        if offset % WORD != 0 || offset + WORD > region.len() {
            return Err(Error::InvalidJob(format!(
                "peer: offset {offset} is not a counter in the {}-byte region",
                region.len()
            )));
        }
        bump(region.atomic_u64(offset), ops);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line64() -> CacheLine {
        CacheLine {
            bytes: 64,
            fallback: None,
        }
    }

    #[test]
    fn padded_and_adjacent_counters_give_the_same_totals_as_shared_ones() {
        for contenders in [1, 3] {
            let mut totals = Vec::new();
            for layout in Layout::ALL {
                let mut c =
                    Counting::new(layout, Side::Thread, contenders, &line64(), None).unwrap();
                c.batch(1_000).unwrap();
                c.batch(37).unwrap();
                c.check().unwrap();
                if matches!(layout, Layout::Padded | Layout::Adjacent) {
                    // Each contender counted only its own increments.
                    assert_eq!(c.counters(), vec![1_037; contenders], "{}", layout.name());
                }
                totals.push(c.total());
            }
            assert!(
                totals.iter().all(|&t| t == contenders as u64 * 1_037),
                "{totals:?}"
            );
        }
    }

    #[test]
    fn strides_put_adjacent_counters_on_one_line_and_padded_ones_apart() {
        let line = line64();
        assert_eq!(Layout::Adjacent.stride(&line), 8);
        assert_eq!(Layout::Padded.stride(&line), 64);
        assert_eq!(Layout::OneAtomic.stride(&line), 0);
        assert_eq!(Layout::Padded.bench_id(Side::Process), "padded-process");
    }

    #[test]
    fn the_line_size_comes_from_sysfs_or_a_named_fallback() {
        assert_eq!(CacheLine::from_text(Ok("128\n".into())).bytes, 128);
        for bad in [
            Ok("0".to_string()),
            Ok("sixty".into()),
            Err("No such file".into()),
        ] {
            let line = CacheLine::from_text(bad);
            assert_eq!(line.bytes, FALLBACK_LINE);
            let why = line.fallback.unwrap();
            assert!(why.contains(LINE_FILE), "{why}");
        }
        let line = CacheLine::detect();
        assert!(line.bytes.is_power_of_two(), "{line:?}");
        let dir = tempfile::tempdir().unwrap();
        line.write(dir.path()).unwrap();
        assert_eq!(CacheLine::read(dir.path()), Some(line));
    }

    #[test]
    fn a_mutex_between_processes_is_refused_with_a_reason() {
        let err = Counting::new(Layout::OneMutex, Side::Process, 2, &line64(), None).unwrap_err();
        assert!(err.to_string().contains("process-mutex"), "{err}");
    }
}
