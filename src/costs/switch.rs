//! Context-switch cost: two threads, or two processes, pinned to the same
//! core, hand a token back and forth through a futex in shared memory. Each
//! side sleeps until woken, so every hand-off is one switch; a round trip is
//! two.
//!
//! Expect a few microseconds either way: the kernel switches threads and
//! processes with the same code. A process switch also changes the address
//! space (page-table root, and TLB entries not tagged by PCID), which
//! usually shows as a small extra cost.

use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;
use std::thread::JoinHandle;

use super::shared::{SharedRegion, Spin};
use super::{PEER_TIMEOUT, PeerProcess, Side, io_err, need_exe};
use crate::error::{Error, Result};

pub const GROUP: &str = "context-switch";

const PING: usize = 0;
const PONG: usize = 64;
const CLOSED: usize = 128;
const REGION: usize = 4096;

/// The parent's side of a token ping-pong with a peer on the same core.
/// Pins the calling thread while it lives and restores its affinity on drop.
pub struct PingPong {
    side: Side,
    region: SharedRegion,
    thread: Option<JoinHandle<Result<()>>>,
    process: Option<PeerProcess>,
    saved: Option<libc::cpu_set_t>,
    cpu: Option<usize>,
}

impl std::fmt::Debug for PingPong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PingPong")
            .field("side", &self.side)
            .field("region", &self.region)
            .field("process", &self.process)
            .field("cpu", &self.cpu)
            .finish_non_exhaustive()
    }
}

impl PingPong {
    /// Starts the peer (`exe` is needed for a process peer) and pins both
    /// sides to one core.
    pub fn new(side: Side, exe: Option<&Path>) -> Result<Self> {
        let region = SharedRegion::create(REGION)?;
        let saved = current_affinity();
        // The last core we may use: away from core 0, where interrupts gather.
        let cpu = saved.as_ref().and_then(|set| {
            (0..libc::CPU_SETSIZE as usize)
                .rev()
                // SAFETY: reading a bit of a valid cpu_set_t.
                .find(|&c| unsafe { libc::CPU_ISSET(c, set) })
        });
        let mut pp = PingPong {
            side,
            region,
            thread: None,
            process: None,
            saved,
            cpu,
        };
        let path = pp.region.path().to_path_buf();
        match side {
            Side::Thread => {
                pp.thread = Some(
                    std::thread::Builder::new()
                        .name("tvp-switch-peer".into())
                        .spawn(move || serve(&path, cpu))
                        .map_err(io_err("cannot start the ping-pong thread"))?,
                );
            }
            Side::Process => {
                let mut args = vec!["--addr".to_string(), path.to_string_lossy().into_owned()];
                if let Some(cpu) = cpu {
                    args.extend(["--cpu".to_string(), cpu.to_string()]);
                }
                pp.process = Some(PeerProcess::spawn(need_exe(exe)?, "switch", &args)?);
            }
        }
        if let Some(cpu) = cpu {
            pin_to(cpu);
        }
        Ok(pp)
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// The core both sides run on, if pinning worked.
    pub fn cpu(&self) -> Option<usize> {
        self.cpu
    }

    pub fn peer_pid(&self) -> Option<u32> {
        self.process.as_ref().map(PeerProcess::pid)
    }

    pub fn region_path(&self) -> &Path {
        self.region.path()
    }

    /// Hands the token over and waits for it back: two context switches.
    /// Returns how many round trips the peer has answered.
    pub fn round_trip(&mut self) -> Result<u32> {
        let pong = self.region.doorbell(PONG);
        let seen = pong.value();
        self.region.doorbell(PING).ring();
        pong.wait_past(seen, Spin(0), Some(PEER_TIMEOUT))
            .ok_or_else(|| {
                Error::InvalidJob(format!(
                    "the ping-pong {} did not answer within {PEER_TIMEOUT:?}",
                    self.side.name()
                ))
            })
    }
}

impl Drop for PingPong {
    fn drop(&mut self) {
        self.region.atomic_u32(CLOSED).store(1, SeqCst);
        self.region.doorbell(PING).ring();
        if let Some(handle) = self.thread.take() {
            let _ = handle.join();
        }
        self.process = None;
        if let Some(saved) = &self.saved {
            // SAFETY: restoring a mask read from this thread.
            unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), saved) };
        }
    }
}

/// The peer: answer every ping with a pong until closed.
pub fn serve(path: &Path, cpu: Option<usize>) -> Result<()> {
    if let Some(cpu) = cpu {
        pin_to(cpu);
    }
    let region = SharedRegion::open(path)?;
    let mut seen = 0;
    loop {
        seen = region
            .doorbell(PING)
            .wait_past(seen, Spin(0), None)
            .expect("waits without a timeout");
        if region.atomic_u32(CLOSED).load(SeqCst) != 0 {
            return Ok(());
        }
        region.doorbell(PONG).ring();
    }
}

/// The calling thread's CPU mask.
fn current_affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: an all-zero cpu_set_t is valid; the kernel fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: a valid buffer of the size we pass.
    let ok = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) } == 0;
    ok.then_some(set)
}

/// Pins the calling thread to one CPU; best effort (a failure leaves the
/// thread free, which makes switches look cheaper, not wrong).
fn pin_to(cpu: usize) {
    // SAFETY: as in `current_affinity`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_ping_pong_and_affinity_is_restored() {
        let before = current_affinity().map(|s| unsafe { libc::CPU_COUNT(&s) });
        let mut pp = PingPong::new(Side::Thread, None).unwrap();
        for i in 1..=5 {
            assert_eq!(pp.round_trip().unwrap(), i);
        }
        let path = pp.region_path().to_path_buf();
        drop(pp);
        assert!(!path.exists());
        let after = current_affinity().map(|s| unsafe { libc::CPU_COUNT(&s) });
        assert_eq!(before, after);
    }
}
