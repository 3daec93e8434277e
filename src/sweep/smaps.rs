//! A process's memory as the kernel counts it, from `/proc`: resident
//! (RSS), proportional (PSS) and unique (USS) memory, address space, thread
//! stacks, and the kernel's own memory for threads.
//!
//! - RSS counts every page a process has in memory, shared ones whole: the
//!   binary's code and the C library are counted again in every process that
//!   maps them, so RSS summed over processes is too high.
//! - PSS divides each shared page among the processes that share it: summed
//!   over processes it is the memory they really take together. This is the
//!   figure to add up across a parent and its children.
//! - USS is what only this process holds (private pages): what its exit
//!   would free.
//!
//! All three come from `/proc/<pid>/smaps_rollup` (Linux 4.14+), one read per
//! process. Address space (`VmSize`) and the thread count come from
//! `/proc/<pid>/status`. [`thread_stacks`] reads the full
//! `/proc/<pid>/smaps` to find each thread's stack mapping and tell its
//! reserved size from its resident part: a thread reserves its whole stack
//! (Rust: 2 MiB; C and Python: `ulimit -s`, often 8 MiB) as address space,
//! and only the pages it touches take memory. [`kernel_kb`] reads the
//! kernel's memory for thread stacks and page tables from `/proc/meminfo`:
//! per thread memory no process's RSS shows.

use serde::{Deserialize, Serialize};

/// Which process: this one, or another by pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pid {
    This,
    Other(u32),
}

impl Pid {
    fn dir(self) -> String {
        match self {
            Pid::This => "/proc/self".into(),
            Pid::Other(pid) => format!("/proc/{pid}"),
        }
    }
}

/// One process's memory now, or a sum over processes. Sizes in kB (1024
/// bytes), as `/proc` gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Resident set: every page in memory, shared ones whole.
    pub rss_kb: u64,
    /// Proportional set: shared pages divided among their sharers.
    pub pss_kb: u64,
    /// Unique set: private pages only (`Private_Clean` + `Private_Dirty`).
    pub uss_kb: u64,
    /// Address space mapped (`VmSize`): reserved, not necessarily used.
    pub vm_size_kb: u64,
    /// Threads (`Threads` in status); summed, the threads of all processes.
    pub threads: u64,
    /// Processes summed (1 for one process).
    pub processes: u64,
}

impl Usage {
    /// Reads `pid`'s memory now; `None` when it has exited or `/proc` lacks
    /// `smaps_rollup`.
    pub fn read(pid: Pid) -> Option<Usage> {
        let dir = pid.dir();
        let rollup = std::fs::read_to_string(format!("{dir}/smaps_rollup")).ok()?;
        let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
        Some(Usage {
            rss_kb: field_kb(&rollup, "Rss:")?,
            pss_kb: field_kb(&rollup, "Pss:")?,
            uss_kb: field_kb(&rollup, "Private_Clean:")? + field_kb(&rollup, "Private_Dirty:")?,
            vm_size_kb: field_kb(&status, "VmSize:").unwrap_or(0),
            threads: field_kb(&status, "Threads:").unwrap_or(1),
            processes: 1,
        })
    }

    /// Both together: sums of every field.
    pub fn plus(self, other: Usage) -> Usage {
        Usage {
            rss_kb: self.rss_kb + other.rss_kb,
            pss_kb: self.pss_kb + other.pss_kb,
            uss_kb: self.uss_kb + other.uss_kb,
            vm_size_kb: self.vm_size_kb + other.vm_size_kb,
            threads: self.threads + other.threads,
            processes: self.processes + other.processes,
        }
    }
}

/// The number after `name` on its line of a `/proc` file (`Rss:   12 kB`).
fn field_kb(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The thread stacks found in a process's mappings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stacks {
    /// Stack mappings found (threads other than the main one).
    pub count: u64,
    /// Their size: address space reserved for stacks.
    pub reserved_kb: u64,
    /// Their resident part: the pages the threads touched (the thread's own
    /// data at the top of its stack included).
    pub resident_kb: u64,
}

/// The stacks of `pid`'s threads of `stack_kb` kB each: anonymous,
/// read-write mappings of exactly that size right above an inaccessible
/// guard page, as glibc lays out a thread's stack. Reads all of
/// `/proc/<pid>/smaps`: tens of milliseconds with ten thousand threads.
pub fn thread_stacks(pid: Pid, stack_kb: u64) -> Option<Stacks> {
    let smaps = std::fs::read_to_string(format!("{}/smaps", pid.dir())).ok()?;
    let mut stacks = Stacks::default();
    // The previous mapping's end address and whether it was a guard.
    let mut previous: Option<(u64, bool)> = None;
    // The current mapping, if it may be a stack: (Size, Rss) once read.
    let mut candidate: Option<(Option<u64>, Option<u64>)> = None;
    let close = |candidate: &mut Option<(Option<u64>, Option<u64>)>, stacks: &mut Stacks| {
        if let Some((Some(size), rss)) = candidate.take() {
            if size == stack_kb {
                stacks.count += 1;
                stacks.reserved_kb += size;
                stacks.resident_kb += rss.unwrap_or(0);
            }
        }
    };
    for line in smaps.lines() {
        if let Some(header) = mapping_header(line) {
            close(&mut candidate, &mut stacks);
            let after_guard = previous.is_some_and(|(end, guard)| guard && end == header.start);
            if header.anonymous && header.perms == "rw-p" && after_guard {
                candidate = Some((None, None));
            }
            previous = Some((header.end, header.anonymous && header.perms == "---p"));
        } else if let Some(c) = candidate.as_mut() {
            if let Some(v) = line.strip_prefix("Size:") {
                c.0 = v.split_whitespace().next().and_then(|n| n.parse().ok());
            } else if let Some(v) = line.strip_prefix("Rss:") {
                c.1 = v.split_whitespace().next().and_then(|n| n.parse().ok());
            }
        }
    }
    close(&mut candidate, &mut stacks);
    Some(stacks)
}

struct Header<'a> {
    start: u64,
    end: u64,
    perms: &'a str,
    anonymous: bool,
}

/// `7f..-7f.. rw-p 00000000 00:00 0   [name]`: a mapping's first line.
fn mapping_header(line: &str) -> Option<Header<'_>> {
    let mut parts = line.split_whitespace();
    let (start, end) = parts.next()?.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    let perms = parts.next()?;
    let (_offset, _device, inode) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Header {
        start,
        end,
        perms,
        anonymous: inode == "0" && parts.next().is_none(),
    })
}

/// The kernel's memory for thread stacks and page tables on the whole
/// machine (`KernelStack` + `PageTables` in `/proc/meminfo`), in kB. Each
/// thread has a kernel stack (16 kB on x86-64) that no process's RSS counts.
pub fn kernel_kb() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    Some(field_kb(&meminfo, "KernelStack:")? + field_kb(&meminfo, "PageTables:")?)
}

/// The machine's memory (`MemTotal`), in kB.
pub fn mem_total_kb() -> Option<u64> {
    field_kb(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemTotal:")
}

/// The stack a Rust thread reserves when none is asked for: `RUST_MIN_STACK`
/// if set, else 2 MiB (std's default), in bytes.
pub fn rust_default_stack() -> usize {
    std::env::var("RUST_MIN_STACK")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(2 << 20)
}

/// `bytes` rounded up to whole pages, in kB: the size a stack mapping of
/// that many bytes shows in `/proc`.
pub fn stack_kb(bytes: usize) -> u64 {
    // SAFETY: sysconf has no memory effects.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    (bytes.div_ceil(page) * page / 1024) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_pss_no_larger_than_rss() {
        let u = Usage::read(Pid::This).unwrap();
        assert!(
            u.rss_kb > 0 && u.pss_kb <= u.rss_kb && u.uss_kb <= u.pss_kb,
            "{u:?}"
        );
        assert!(u.vm_size_kb >= u.rss_kb && u.threads >= 1, "{u:?}");
        assert_eq!(u.plus(u).pss_kb, 2 * u.pss_kb);
        assert!(Usage::read(Pid::Other(u32::MAX)).is_none());
        assert!(kernel_kb().is_some_and(|k| k > 0));
    }

    #[test]
    fn stacks_of_running_threads_are_found_with_their_reserved_size() {
        let bytes = 3 * 64 * 1024;
        let (stop, ready) = (std::sync::Barrier::new(4), std::sync::Barrier::new(4));
        std::thread::scope(|s| {
            for _ in 0..3 {
                std::thread::Builder::new()
                    .stack_size(bytes)
                    .spawn_scoped(s, || {
                        ready.wait();
                        stop.wait();
                    })
                    .unwrap();
            }
            ready.wait();
            let stacks = thread_stacks(Pid::This, stack_kb(bytes)).unwrap();
            stop.wait();
            // Other tests' threads may have the same size: at least ours.
            assert!(stacks.count >= 3, "{stacks:?}");
            assert_eq!(stacks.reserved_kb, stacks.count * 192);
            assert!(stacks.resident_kb > 0 && stacks.resident_kb < stacks.reserved_kb);
        });
    }

    #[test]
    fn a_mapping_header_is_parsed() {
        let h = mapping_header("7f72-7f80 rw-p 00000000 00:00 0 ").unwrap();
        assert_eq!(
            (h.start, h.end, h.perms, h.anonymous),
            (0x7f72, 0x7f80, "rw-p", true)
        );
        let named = mapping_header("5588-55aa rw-p 00000000 00:00 0   [heap]").unwrap();
        assert!(!named.anonymous);
        assert!(mapping_header("Rss:   8 kB").is_none());
        assert_eq!(stack_kb(2 << 20), 2048);
    }
}
