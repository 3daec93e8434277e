//! Context-switch cost: two threads, or two processes, pinned to the same
//! core, hand a token back and forth through a futex in shared memory. Each
//! side sleeps until woken, so every hand-off is one switch; a round trip is
//! two.
//!
//! Expect a few microseconds either way: the kernel switches threads and
//! processes with the same code. A process switch also changes the address
//! space (page-table root, and TLB entries not tagged by PCID), which
//! usually shows as a small extra cost.
//!
//! [`Placement::OtherCore`] puts the peer on another core instead: each
//! hand-off then wakes a thread whose core sleeps, and the waker must
//! interrupt that core. That is what a message to an idle peer costs when
//! the scheduler wakes it elsewhere, as it does whenever a core is idle. On
//! a virtual machine the interrupt goes through the hypervisor: on the 2-core
//! reference VM `cargo bench --bench costs -- context-switch` measured 31 us
//! per hand-off across cores against 0.87 us on one (16:52 UTC), and
//! `examples/wakeup.rs` 56 us a channel round trip across two cores against
//! 2.8 us on one.

use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;
use std::thread::JoinHandle;

use super::shared::{SharedRegion, Spin};
use super::{PEER_TIMEOUT, PeerProcess, Side, io_err, need_exe};
use crate::error::{Error, Result};
use crate::sweep::affinity::{self, CpuSet};

pub const GROUP: &str = "context-switch";

const PING: usize = 0;
const PONG: usize = 64;
const CLOSED: usize = 128;
const REGION: usize = 4096;

/// Where the peer runs: on the parent's core, or on another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    SameCore,
    OtherCore,
}

impl Placement {
    pub const ALL: [Placement; 2] = [Placement::SameCore, Placement::OtherCore];

    /// The benchmark id: `thread`, `process`, `thread-other-core`, ...
    pub fn bench_id(self, side: Side) -> String {
        match self {
            Placement::SameCore => side.name().to_string(),
            Placement::OtherCore => format!("{}-other-core", side.name()),
        }
    }
}

/// The parent's side of a token ping-pong with a peer on the same core.
/// Pins the calling thread while it lives and restores its affinity on drop.
pub struct PingPong {
    side: Side,
    region: SharedRegion,
    thread: Option<JoinHandle<Result<()>>>,
    process: Option<PeerProcess>,
    saved: Option<CpuSet>,
    cpu: Option<usize>,
    peer_cpu: Option<usize>,
}

impl std::fmt::Debug for PingPong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PingPong")
            .field("side", &self.side)
            .field("region", &self.region)
            .field("process", &self.process)
            .field("cpu", &self.cpu)
            .field("peer_cpu", &self.peer_cpu)
            .finish_non_exhaustive()
    }
}

impl PingPong {
    /// Starts the peer (`exe` is needed for a process peer) and pins both
    /// sides to one core.
    pub fn new(side: Side, exe: Option<&Path>) -> Result<Self> {
        Self::placed(side, exe, Placement::SameCore)
    }

    /// [`PingPong::new`] with the peer on the parent's core or another one.
    /// [`Placement::OtherCore`] needs two usable cores.
    pub fn placed(side: Side, exe: Option<&Path>, placement: Placement) -> Result<Self> {
        let saved = affinity::usable().ok();
        // Usable cores from the last: away from core 0, where interrupts gather.
        let usable: Vec<usize> = saved
            .as_ref()
            .map(|set| set.cpus().iter().rev().copied().collect())
            .unwrap_or_default();
        let cpu = usable.first().copied();
        let peer_cpu = match placement {
            Placement::SameCore => cpu,
            Placement::OtherCore => Some(*usable.get(1).ok_or_else(|| {
                Error::Cores(format!(
                    "a ping-pong across cores needs two usable cores; this process may use \
                     {}",
                    usable.len()
                ))
            })?),
        };
        let region = SharedRegion::create(REGION)?;
        let mut pp = PingPong {
            side,
            region,
            thread: None,
            process: None,
            saved,
            cpu,
            peer_cpu,
        };
        let path = pp.region.path().to_path_buf();
        match side {
            Side::Thread => {
                pp.thread = Some(
                    std::thread::Builder::new()
                        .name("tvp-switch-peer".into())
                        .spawn(move || serve(&path, peer_cpu))
                        .map_err(io_err("cannot start the ping-pong thread"))?,
                );
            }
            Side::Process => {
                let mut args = vec!["--addr".to_string(), path.to_string_lossy().into_owned()];
                if let Some(peer_cpu) = peer_cpu {
                    args.extend(["--cpu".to_string(), peer_cpu.to_string()]);
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

    /// The parent's core and the peer's, if pinning worked.
    pub fn cpus(&self) -> (Option<usize>, Option<usize>) {
        (self.cpu, self.peer_cpu)
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
            let _ = affinity::set_current_thread(saved);
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

/// Pins the calling thread to one CPU; best effort (a failure leaves the
/// thread free, which makes switches look cheaper, not wrong).
fn pin_to(cpu: usize) {
    let _ = affinity::pin_current_thread(cpu);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_ping_pong_and_affinity_is_restored() {
        let before = affinity::usable().ok().map(|s| s.len());
        let mut pp = PingPong::new(Side::Thread, None).unwrap();
        for i in 1..=5 {
            assert_eq!(pp.round_trip().unwrap(), i);
        }
        let path = pp.region_path().to_path_buf();
        drop(pp);
        assert!(!path.exists());
        let after = affinity::usable().ok().map(|s| s.len());
        assert_eq!(before, after);
    }

    #[test]
    fn across_cores_the_peer_gets_another_core_or_a_clear_error() {
        let cores = affinity::usable().map_or(0, |s| s.len());
        match PingPong::placed(Side::Thread, None, Placement::OtherCore) {
            Ok(mut pp) => {
                let (cpu, peer) = pp.cpus();
                assert!(cpu.is_some() && peer.is_some() && cpu != peer, "{pp:?}");
                for i in 1..=5 {
                    assert_eq!(pp.round_trip().unwrap(), i);
                }
            }
            Err(e) => {
                assert!(cores < 2, "{e}");
                assert!(e.to_string().contains("two usable cores"), "{e}");
            }
        }
        assert_eq!(
            Placement::OtherCore.bench_id(Side::Process),
            "process-other-core"
        );
        assert_eq!(Placement::SameCore.bench_id(Side::Thread), "thread");
    }
}
