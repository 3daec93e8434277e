//! The machine a report was measured on: CPU, cores, memory, OS and kernel
//! (from sysinfo), the Rust compiler, the git revision and the date.
//!
//! Every field is best effort: what cannot be found says "unknown" rather
//! than failing the report.

use serde::{Deserialize, Serialize};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

const UNKNOWN: &str = "unknown";

/// What the report says about the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    pub cpu_brand: String,
    /// Physical cores, when the OS says.
    pub physical_cores: Option<usize>,
    /// Logical cores (hardware threads) this process may use.
    pub logical_cores: usize,
    pub memory_bytes: u64,
    pub os: String,
    pub kernel: String,
    /// `rustc -V`.
    pub rustc: String,
    /// `git rev-parse --short HEAD`, with `-dirty` when the tree has changes.
    pub git_revision: String,
    /// When the information was gathered, RFC 3339 in UTC.
    pub date: String,
}

impl MachineInfo {
    /// Gathers the information now.
    pub fn detect() -> Self {
        let refresh = RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram());
        let system = System::new_with_specifics(refresh).ok();
        let cpu_brand = system
            .as_ref()
            .and_then(|s| s.cpus().first())
            .map(|c| c.brand().trim().to_string())
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| UNKNOWN.to_string());
        let memory_bytes = system.as_ref().map_or(0, System::total_memory);
        MachineInfo {
            cpu_brand,
            physical_cores: System::physical_core_count().ok(),
            logical_cores: cores(),
            memory_bytes,
            os: System::long_os_version().unwrap_or_else(|_| UNKNOWN.to_string()),
            kernel: System::kernel_version().unwrap_or_else(|_| UNKNOWN.to_string()),
            rustc: command_line("rustc", &["-V"]).unwrap_or_else(|| UNKNOWN.to_string()),
            git_revision: git_revision().unwrap_or_else(|| UNKNOWN.to_string()),
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }
    }

    /// Memory in GiB, for people.
    pub fn memory_gib(&self) -> f64 {
        self.memory_bytes as f64 / (1u64 << 30) as f64
    }

    /// (label, value) pairs in display order.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CPU", self.cpu_brand.clone()),
            (
                "Cores",
                format!(
                    "{} physical, {} logical (usable by this process)",
                    self.physical_cores
                        .map_or_else(|| UNKNOWN.to_string(), |n| n.to_string()),
                    self.logical_cores
                ),
            ),
            ("Memory", format!("{:.1} GiB", self.memory_gib())),
            ("OS", self.os.clone()),
            ("Kernel", self.kernel.clone()),
            ("Rust", self.rustc.clone()),
            ("Git revision", self.git_revision.clone()),
            ("Report date", self.date.clone()),
        ]
    }
}

/// CPU time the calling thread has used so far.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| {
        std::time::Duration::new(
            u64::try_from(ts.tv_sec).unwrap_or(0),
            u32::try_from(ts.tv_nsec).unwrap_or(0),
        )
    })
}

/// Runs `f` on this thread and returns its result with the share of one
/// core it got (CPU time / wall time). Well below 1.0, other programs were
/// taking turns on the cores while it ran.
pub fn with_cpu_share<T>(f: impl FnOnce() -> T) -> (T, Option<f64>) {
    let cpu0 = thread_cpu_time();
    let wall = std::time::Instant::now();
    let out = f();
    let elapsed = wall.elapsed().as_secs_f64();
    let share = match (cpu0, thread_cpu_time()) {
        (Some(a), Some(b)) if elapsed > 0.0 => Some((b - a).as_secs_f64() / elapsed),
        _ => None,
    };
    (out, share)
}

/// How much of the machine other programs used while something ran: a
/// snapshot of every CPU's busy time (`/proc/stat`) and of this process's
/// own CPU time (its threads and the children it has reaped), taken at
/// [`OthersMeter::start`]; [`OthersMeter::share`] compares with now.
#[derive(Debug, Clone, Copy)]
pub struct OthersMeter {
    machine: Option<MachineTicks>,
    ours: std::time::Duration,
}

/// Busy and total CPU time of the whole machine, in seconds.
#[derive(Debug, Clone, Copy)]
struct MachineTicks {
    busy: f64,
    total: f64,
}

impl OthersMeter {
    pub fn start() -> Self {
        OthersMeter {
            machine: machine_ticks(),
            ours: own_cpu_time(),
        }
    }

    /// The share of the machine's CPU time (all cores) since
    /// [`OthersMeter::start`] that programs other than this one (and its
    /// reaped children) used, from 0 to 1; `None` where `/proc/stat` is
    /// unreadable or no time has passed. Children still running are not
    /// yet counted as ours: reap them first.
    pub fn share(&self) -> Option<f64> {
        let (a, b) = (self.machine?, machine_ticks()?);
        let total = b.total - a.total;
        if total <= 0.0 {
            return None;
        }
        let ours = (own_cpu_time().saturating_sub(self.ours)).as_secs_f64();
        Some(((b.busy - a.busy - ours) / total).clamp(0.0, 1.0))
    }
}

/// The first line of `/proc/stat`: the ticks all CPUs spent per state.
fn machine_ticks() -> Option<MachineTicks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_cpu_line(stat.lines().next()?)
}

/// `cpu  user nice system idle iowait irq softirq steal ...` -> busy and
/// total seconds (idle and iowait are not busy; guest time is already in
/// user). USER_HZ is 100 on every Linux.
fn parse_cpu_line(line: &str) -> Option<MachineTicks> {
    let mut fields = line.split_whitespace();
    (fields.next()? == "cpu").then_some(())?;
    let ticks: Vec<f64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = ticks[..] else {
        return None;
    };
    let busy = user + nice + system + irq + softirq + steal;
    Some(MachineTicks {
        busy: busy / 100.0,
        total: (busy + idle + iowait) / 100.0,
    })
}

/// This process's CPU time, user and system, plus its reaped children's.
fn own_cpu_time() -> std::time::Duration {
    let usage = |who| {
        // SAFETY: `ru` is a valid, writable rusage for the call's duration.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut ru) } != 0 {
            return std::time::Duration::ZERO;
        }
        let tv = |t: libc::timeval| {
            std::time::Duration::new(
                u64::try_from(t.tv_sec).unwrap_or(0),
                u32::try_from(t.tv_usec).unwrap_or(0) * 1000,
            )
        };
        tv(ru.ru_utime) + tv(ru.ru_stime)
    };
    usage(libc::RUSAGE_SELF) + usage(libc::RUSAGE_CHILDREN)
}

/// The first line a command prints, or None if it cannot run or fails.
fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

fn git_revision() -> Option<String> {
    let rev = command_line("git", &["rev-parse", "--short", "HEAD"])?;
    // The report's own output (reports/, the committed reference among it)
    // does not make the source dirty: writing the reference would.
    let dirty = std::process::Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":(exclude)reports",
        ])
        .output()
        .ok()
        .is_some_and(|o| o.status.success() && !o.stdout.is_empty());
    Some(if dirty { format!("{rev}-dirty") } else { rev })
}

/// The machine's logical core count, as this process may use it.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or_else(|_| num_cpus::get(), usize::from)
}

/// Memory the kernel could give this process now without swapping, in
/// bytes (MemAvailable); None when it cannot be read.
pub fn available_memory() -> Option<u64> {
    let refresh = RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram());
    System::new_with_specifics(refresh)
        .ok()
        .map(|s| s.available_memory())
        .filter(|&bytes| bytes > 0)
}

/// This process's resident memory now (VmRSS in /proc/self/status), in
/// bytes; None where /proc is missing.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_fills_every_field() {
        let m = MachineInfo::detect();
        assert!(m.logical_cores >= 1);
        assert!(!m.date.is_empty() && m.date.ends_with('Z'), "{}", m.date);
        assert_eq!(m.rows().len(), 8);
        assert!(m.rows().iter().all(|(_, v)| !v.is_empty()));
    }

    #[test]
    fn a_busy_loop_gets_a_share_of_a_core() {
        let (sum, share) =
            with_cpu_share(|| (0..5_000_000u64).fold(0u64, |a, i| std::hint::black_box(a ^ i)));
        std::hint::black_box(sum);
        let share = share.unwrap();
        // Not a speed assertion: only that the ratio is a sane fraction.
        assert!(share > 0.0 && share <= 1.05, "{share}");
    }

    #[test]
    fn resident_memory_grows_when_pages_are_touched() {
        let mut pages = vec![0u8; 64 << 20];
        for page in pages.chunks_mut(4096) {
            page[0] = 1;
        }
        std::hint::black_box(&pages);
        let after = resident_bytes().unwrap();
        // Held and touched, so resident whatever other tests free meanwhile.
        assert!(after >= 64 << 20, "{after}");
        assert!(available_memory().unwrap() > 0);
    }
    #[test]
    fn a_cpu_line_gives_busy_and_total_seconds() {
        let t = parse_cpu_line("cpu  100 0 50 800 50 0 0 0 0 0").unwrap();
        assert_eq!((t.busy, t.total), (1.5, 10.0));
        assert!(parse_cpu_line("cpu0 1 2 3 4 5 6 7 8").is_none());
        assert!(parse_cpu_line("cpu 1 2 x").is_none());
    }

    #[test]
    fn others_share_is_a_share() {
        let meter = OthersMeter::start();
        std::hint::black_box((0..20_000_000u64).fold(0u64, |a, i| a ^ i.wrapping_mul(31)));
        if let Some(share) = meter.share() {
            assert!((0.0..=1.0).contains(&share), "{share}");
        }
    }
}
