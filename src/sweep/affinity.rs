//! Confining a run to K cores: workers and cores are different knobs.
//!
//! Workers are how many threads or processes a backend starts; cores are how
//! many CPUs the kernel lets them run on. Confining a run to one core shows
//! time slicing (many workers taking turns on one CPU: no speedup, only
//! switching); confining it to 1, 2, ... N cores at a fixed worker count
//! shows how each backend scales with the hardware.
//!
//! The mask is Linux's CPU affinity (`sched_setaffinity`). It belongs to a
//! *thread*: setting it for pid 0 changes the calling thread only. Threads it
//! spawns later and child processes it starts inherit the mask, so
//! confining the main thread before anything else starts confines the whole
//! run, children included. Threads already running keep their own mask.
//! [`Confinement`] confines the calling thread for a while and restores its
//! mask on drop, which is how the core sweep measures K = 1, 2, ... N in one
//! process.
//!
//! CPUs here are logical CPUs, as `taskset` and `/proc/<pid>/status` count
//! them. When picking K of them, one CPU per physical core comes first, so
//! "2 cores" means two real cores where the machine has them, not two
//! hyper-threads of one core.

use std::fmt;
use std::marker::PhantomData;

use crate::error::{Error, Result};

/// The environment variable that confines a bench (or `tvp run`) to K cores.
pub const ENV: &str = "TVP_CORES";

/// A set of logical CPUs, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuSet(Vec<usize>);

impl CpuSet {
    /// A set from any CPU numbers; duplicates are dropped.
    pub fn new(mut cpus: Vec<usize>) -> Self {
        cpus.sort_unstable();
        cpus.dedup();
        CpuSet(cpus)
    }

    pub fn cpus(&self) -> &[usize] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The CPU numbers as the kernel writes them: "0-3,6".
    pub fn list(&self) -> String {
        let mut parts = Vec::new();
        let mut iter = self.0.iter().copied().peekable();
        while let Some(start) = iter.next() {
            let mut end = start;
            while iter.peek() == Some(&(end + 1)) {
                end = iter.next().unwrap_or(end);
            }
            parts.push(if end == start {
                start.to_string()
            } else {
                format!("{start}-{end}")
            });
        }
        parts.join(",")
    }
}

/// "core 0", "cores 0-1", "cores 0,2,4-5", "no cores".
impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            0 => f.write_str("no cores"),
            1 => write!(f, "core {}", self.list()),
            _ => write!(f, "cores {}", self.list()),
        }
    }
}

/// Parses a kernel CPU list such as "0-3,6" (the format of
/// `Cpus_allowed_list` and of sysfs topology files).
pub fn parse_list(text: &str) -> Result<CpuSet> {
    let bad = || Error::Cores(format!("`{text}` is not a CPU list such as 0-3,6"));
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let number = |s: &str| s.trim().parse::<usize>().map_err(|_| bad());
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(bad());
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(number(part)?),
        }
    }
    Ok(CpuSet::new(cpus))
}

/// The CPUs the calling thread may run on. At startup, before any thread is
/// spawned, that is the whole process's set.
pub fn usable() -> Result<CpuSet> {
    sys::get()
}

/// Sets the calling thread's mask to `cpus`; threads and children it starts
/// afterwards inherit it.
pub fn set_current_thread(cpus: &CpuSet) -> Result<()> {
    sys::set(cpus)
}

/// Pins the calling thread to one CPU.
pub fn pin_current_thread(cpu: usize) -> Result<()> {
    sys::set(&CpuSet::new(vec![cpu]))
}

/// Picks `k` of `usable`, one CPU per physical core first: CPUs are ranked
/// by their place among their usable hyper-thread siblings (`siblings_of`),
/// then by number. Errors for `k = 0` and for `k` above the usable count.
pub fn choose(
    usable: &CpuSet,
    k: usize,
    siblings_of: impl Fn(usize) -> Option<CpuSet>,
) -> Result<CpuSet> {
    check_count(k, usable)?;
    let mut ranked: Vec<(usize, usize)> = usable
        .cpus()
        .iter()
        .map(|&cpu| (sibling_rank(cpu, usable, &siblings_of), cpu))
        .collect();
    ranked.sort_unstable();
    Ok(CpuSet::new(
        ranked.into_iter().take(k).map(|(_, cpu)| cpu).collect(),
    ))
}

/// The first usable CPU of each physical core (`siblings_of` as in
/// [`choose`]): one CPU per core, none sharing a core with another.
pub fn one_per_core(usable: &CpuSet, siblings_of: impl Fn(usize) -> Option<CpuSet>) -> CpuSet {
    CpuSet::new(
        usable
            .cpus()
            .iter()
            .copied()
            .filter(|&cpu| sibling_rank(cpu, usable, &siblings_of) == 0)
            .collect(),
    )
}

/// How many of `cpu`'s usable hyper-thread siblings come before it: 0 for
/// the first CPU of its core.
fn sibling_rank(
    cpu: usize,
    usable: &CpuSet,
    siblings_of: &impl Fn(usize) -> Option<CpuSet>,
) -> usize {
    siblings_of(cpu).map_or(0, |s| {
        s.cpus()
            .iter()
            .filter(|&&c| c < cpu && usable.cpus().contains(&c))
            .count()
    })
}

fn check_count(k: usize, usable: &CpuSet) -> Result<()> {
    let n = usable.len();
    match k {
        0 => Err(Error::Cores(
            "0 cores: a run needs at least 1 core; give a number from 1 to the usable count".into(),
        )),
        k if k > n => Err(Error::Cores(format!(
            "{k} cores asked for, but this process may use only {n} ({usable}); \
             give a number from 1 to {n}"
        ))),
        _ => Ok(()),
    }
}

/// The hyper-thread siblings of `cpu` (itself included), from sysfs. `None`
/// where sysfs does not say.
pub fn siblings(cpu: usize) -> Option<CpuSet> {
    let path = format!("/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| parse_list(&text).ok())
}

/// Checks `k` against the usable CPUs: the clap value parser for `--cores`.
/// Errors name the usable count.
pub fn parse_cores(text: &str) -> Result<usize, String> {
    let k: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of cores"))?;
    let usable = usable().map_err(|e| e.to_string())?;
    check_count(k, &usable).map_err(|e| e.to_string())?;
    Ok(k)
}

/// Confines the calling thread, and every thread and child process it
/// starts from now on, to `k` of its usable CPUs. Call it first thing in
/// `main` to confine a whole run. Returns the CPUs chosen.
pub fn confine(k: usize) -> Result<CpuSet> {
    let set = choose(&usable()?, k, siblings)?;
    sys::set(&set)?;
    Ok(set)
}

/// `TVP_CORES` as a core count: `None` when unset or empty.
pub fn env_cores() -> Result<Option<usize>> {
    match std::env::var(ENV) {
        Ok(text) if text.trim().is_empty() => Ok(None),
        Ok(text) => parse_cores(&text)
            .map(Some)
            .map_err(|e| Error::Cores(format!("{ENV}={text}: {e}"))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Cores(format!(
            "{ENV} is not valid text; set it to a number of cores"
        ))),
    }
}

/// "1 core", "2 cores".
pub fn count_cores(n: usize) -> String {
    format!("{n} core{}", if n == 1 { "" } else { "s" })
}

/// A run confined at startup: to which CPUs, and what asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confined {
    pub cpus: CpuSet,
    /// "--cores 1" or "TVP_CORES=1".
    pub by: String,
}

/// "confined to core 0 (TVP_CORES=1)".
impl fmt::Display for Confined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "confined to {} ({})", self.cpus, self.by)
    }
}

/// Confines the calling thread, and all it starts later, to `flag` cores,
/// else to `TVP_CORES`; `None` when neither asks. `tvp run` and the benches
/// call this first thing, before any thread or child starts.
pub fn confine_run(flag: Option<usize>) -> Result<Option<Confined>> {
    let (k, by) = match flag {
        Some(k) => (k, format!("--cores {k}")),
        None => match env_cores()? {
            Some(k) => (k, format!("{ENV}={k}")),
            None => return Ok(None),
        },
    };
    Ok(Some(Confined {
        cpus: confine(k)?,
        by,
    }))
}

/// Confines the calling thread (and what it starts later) as `TVP_CORES`
/// asks; `None` when the variable is unset.
pub fn confine_from_env() -> Result<Option<Confined>> {
    confine_run(None)
}

/// Which cores a run may use, and why, for headers and reports: "confined
/// to core 0 (--cores 1): 1 core usable" or "2 cores usable (cores 0-1)".
pub fn describe(confined: Option<&Confined>) -> Result<String> {
    let count = count_cores(crate::cores());
    Ok(match confined {
        Some(c) => format!("{c}: {count} usable"),
        None => format!("{count} usable ({})", usable()?),
    })
}

/// The calling thread confined to `k` CPUs until this is dropped, when its
/// previous mask comes back. Threads and children started meanwhile keep the
/// confined mask, so drop this only after they are gone. Not `Send`: the
/// mask belongs to the thread that made it.
#[derive(Debug)]
pub struct Confinement {
    previous: CpuSet,
    now: CpuSet,
    _thread_bound: PhantomData<*const ()>,
}

impl Confinement {
    pub fn new(k: usize) -> Result<Self> {
        let previous = usable()?;
        let now = choose(&previous, k, siblings)?;
        sys::set(&now)?;
        Ok(Confinement {
            previous,
            now,
            _thread_bound: PhantomData,
        })
    }

    /// The CPUs the thread is confined to.
    pub fn cpus(&self) -> &CpuSet {
        &self.now
    }
}

impl Drop for Confinement {
    fn drop(&mut self) {
        // Widening back to a mask the thread already had cannot be refused
        // unless a CPU went offline meanwhile; then the narrower mask stays.
        if let Err(e) = sys::set(&self.previous) {
            eprintln!(
                "warning: could not restore the CPU mask {}: {e}",
                self.previous
            );
        }
    }
}

/// `Cpus_allowed_list` of process `pid` (its main thread), from
/// `/proc/<pid>/status`: how a test sees a child's mask from outside.
pub fn allowed_list_of(pid: u32) -> Result<CpuSet> {
    status_allowed_list(&format!("/proc/{pid}/status"))
}

/// `Cpus_allowed_list` of one thread `tid` of process `pid`.
pub fn allowed_list_of_thread(pid: u32, tid: u32) -> Result<CpuSet> {
    status_allowed_list(&format!("/proc/{pid}/task/{tid}/status"))
}

fn status_allowed_list(path: &str) -> Result<CpuSet> {
    let status = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read {path} (has the process exited?)"), e))?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .ok_or_else(|| Error::Cores(format!("{path} has no Cpus_allowed_list line")))?;
    parse_list(line)
}

#[cfg(target_os = "linux")]
mod sys {
    use super::CpuSet;
    use crate::error::{Error, Result};

    const SETSIZE: usize = libc::CPU_SETSIZE as usize;

    pub(super) fn get() -> Result<CpuSet> {
        // SAFETY: cpu_set_t is plain bits; all zeroes is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: the pointer and size describe `set`, which lives on.
        let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &raw mut set) };
        if rc != 0 {
            return Err(Error::io(
                "sched_getaffinity: cannot read which CPUs this process may use",
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: every index is below CPU_SETSIZE, the size of `set`.
        let cpus = (0..SETSIZE).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) });
        Ok(CpuSet::new(cpus.collect()))
    }

    pub(super) fn set(cpus: &CpuSet) -> Result<()> {
        // SAFETY: as in `get`.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        for &cpu in cpus.cpus() {
            if cpu >= SETSIZE {
                return Err(Error::Cores(format!(
                    "CPU {cpu} is beyond the {SETSIZE} CPUs a cpu_set_t holds"
                )));
            }
            // SAFETY: `cpu` was checked to be below CPU_SETSIZE.
            unsafe { libc::CPU_SET(cpu, &mut set) };
        }
        // SAFETY: the pointer and size describe `set`. pid 0 is the calling
        // thread only.
        let rc =
            unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &raw const set) };
        if rc != 0 {
            return Err(Error::io(
                format!("sched_setaffinity: cannot confine this process to {cpus}"),
                std::io::Error::last_os_error(),
            ));
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    use super::CpuSet;
    use crate::error::{Error, Result};

    fn unsupported() -> Error {
        Error::Cores("confining a run to K cores needs Linux (sched_setaffinity)".into())
    }

    pub(super) fn get() -> Result<CpuSet> {
        Err(unsupported())
    }

    pub(super) fn set(_: &CpuSet) -> Result<()> {
        Err(unsupported())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(cpus: &[usize]) -> CpuSet {
        CpuSet::new(cpus.to_vec())
    }

    #[test]
    fn describes_masks_as_the_kernel_does() {
        assert_eq!(set(&[0]).to_string(), "core 0");
        assert_eq!(set(&[0, 1]).to_string(), "cores 0-1");
        assert_eq!(set(&[0, 2, 4, 5]).to_string(), "cores 0,2,4-5");
        assert_eq!(set(&[]).to_string(), "no cores");
        assert_eq!(set(&[3, 1, 2, 1]).list(), "1-3");
    }

    #[test]
    fn parses_kernel_cpu_lists() {
        assert_eq!(parse_list("0-1\n").unwrap(), set(&[0, 1]));
        assert_eq!(parse_list("\t0,2,4-5").unwrap(), set(&[0, 2, 4, 5]));
        assert_eq!(parse_list("").unwrap(), set(&[]));
        for bad in ["a", "3-1", "1-", "0,,x"] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn choose_prefers_one_cpu_per_physical_core() {
        let usable = set(&[0, 1, 2, 3]);
        // Siblings numbered apart (0,2) (1,3): the first two are distinct cores.
        let apart = |cpu: usize| Some(set(&[cpu % 2, cpu % 2 + 2]));
        assert_eq!(choose(&usable, 2, apart).unwrap(), set(&[0, 1]));
        // Siblings numbered together (0,1) (2,3): skip to the next core.
        let together = |cpu: usize| Some(set(&[cpu / 2 * 2, cpu / 2 * 2 + 1]));
        assert_eq!(choose(&usable, 2, together).unwrap(), set(&[0, 2]));
        assert_eq!(choose(&usable, 3, together).unwrap(), set(&[0, 1, 2]));
        // Without topology: the lowest numbers.
        assert_eq!(choose(&usable, 3, |_| None).unwrap(), set(&[0, 1, 2]));
    }

    #[test]
    fn one_per_core_keeps_the_first_usable_cpu_of_each_core() {
        let usable = set(&[0, 1, 2, 3]);
        let apart = |cpu: usize| Some(set(&[cpu % 2, cpu % 2 + 2]));
        assert_eq!(one_per_core(&usable, apart), set(&[0, 1]));
        let together = |cpu: usize| Some(set(&[cpu / 2 * 2, cpu / 2 * 2 + 1]));
        assert_eq!(one_per_core(&usable, together), set(&[0, 2]));
        // A sibling outside the usable set does not count.
        assert_eq!(one_per_core(&set(&[1, 3]), together), set(&[1, 3]));
        assert_eq!(one_per_core(&usable, |_| None), usable);
    }

    #[test]
    fn choose_rejects_zero_and_too_many_naming_the_usable_count() {
        let usable = set(&[0, 1]);
        let zero = choose(&usable, 0, |_| None).unwrap_err().to_string();
        assert!(zero.contains("at least 1"), "{zero}");
        let many = choose(&usable, 3, |_| None).unwrap_err().to_string();
        assert!(
            many.contains("only 2") && many.contains("cores 0-1"),
            "{many}"
        );
    }

    #[test]
    fn this_thread_has_usable_cpus() {
        let usable = usable().unwrap();
        assert!(!usable.is_empty());
        // available_parallelism also counts cgroup CPU quotas: never more.
        assert!(crate::cores() <= usable.len());
    }

    #[test]
    fn confinement_narrows_then_restores_this_thread_only() {
        let before = usable().unwrap();
        {
            let confined = Confinement::new(1).unwrap();
            assert_eq!(confined.cpus().len(), 1);
            assert_eq!(&usable().unwrap(), confined.cpus());
            assert_eq!(crate::cores(), 1);
            // A thread spawned now inherits the mask.
            let inner = std::thread::spawn(|| usable().unwrap()).join().unwrap();
            assert_eq!(&inner, confined.cpus());
        }
        assert_eq!(usable().unwrap(), before);
    }
}
