//! The exchange among threads of one process: every thread writes its
//! buffer, and after a barrier each one sums its slice of the reduced
//! buffer straight from the others' buffers. Nothing is copied or sent:
//! "communication" is reading memory another core wrote, plus two barriers
//! a step. Expect the smallest communication cost of all transports, growing
//! only with the bytes read.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Barrier, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::{Batch, Group, Part, Spec, digest};
use crate::error::{Error, Result};

/// `parts` threads sharing one reduced buffer.
#[derive(Debug)]
pub struct ThreadGroup {
    spec: Spec,
    parts: Vec<Mutex<Part>>,
    /// Each thread's contribution of the current step.
    partials: Vec<RwLock<Vec<u64>>>,
    /// The reduced buffer. Every thread writes its own slice of it and reads
    /// all of it; the barriers order the two, so relaxed atomics suffice.
    global: Vec<AtomicU64>,
}

impl ThreadGroup {
    pub fn new(spec: Spec, parts: usize) -> Result<Self> {
        spec.validate()?;
        let parts = parts.max(1);
        Ok(ThreadGroup {
            spec,
            parts: (0..parts)
                .map(|i| Mutex::new(Part::new(spec.part(i, parts))))
                .collect(),
            partials: (0..parts)
                .map(|_| RwLock::new(vec![0; spec.words()]))
                .collect(),
            global: (0..spec.words()).map(|_| AtomicU64::new(0)).collect(),
        })
    }
}

impl Group for ThreadGroup {
    fn steps(&mut self, first: u64, count: u64) -> Result<Batch> {
        let p = self.parts.len();
        if first == 0 {
            self.global.iter().for_each(|w| w.store(0, Relaxed));
        }
        let barrier = Barrier::new(p);
        let words = self.global.len();
        let this = &*self;
        let times = std::thread::scope(|s| {
            let handles: Vec<_> = (0..p)
                .map(|t| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let mut part = this.parts[t].lock().unwrap_or_else(PoisonError::into_inner);
                        if first == 0 {
                            part.reset();
                        }
                        let slice = (words * t / p)..(words * (t + 1) / p);
                        let mut compute = Duration::ZERO;
                        barrier.wait();
                        let start = Instant::now();
                        for step in first..first + count {
                            let began = Instant::now();
                            {
                                let mut mine = this.partials[t]
                                    .write()
                                    .unwrap_or_else(PoisonError::into_inner);
                                let global = |w: usize| this.global[w].load(Relaxed);
                                part.compute(this.spec.rounds, step, global, &mut mine);
                            }
                            compute += began.elapsed();
                            barrier.wait();
                            {
                                let all: Vec<_> = this
                                    .partials
                                    .iter()
                                    .map(|b| b.read().unwrap_or_else(PoisonError::into_inner))
                                    .collect();
                                for j in slice.clone() {
                                    let sum = all.iter().fold(0u64, |s, b| s.wrapping_add(b[j]));
                                    this.global[j].store(sum, Relaxed);
                                }
                            }
                            barrier.wait();
                        }
                        (start.elapsed(), compute)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join())
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .map_err(|_| Error::InvalidJob("an exchange thread panicked".into()))?;
        let (elapsed, compute) = times[0];
        Ok(Batch { elapsed, compute })
    }

    fn digest(&mut self) -> Result<u64> {
        Ok(digest(self.global.iter().map(|w| w.load(Relaxed))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CHECK_STEPS, Policy, measure, reference};
    use super::*;

    #[test]
    fn threads_agree_with_the_reference() {
        for bytes in [8, 24, 4096] {
            let spec = Spec {
                elements: 999,
                bytes,
                rounds: 2,
            };
            for parts in [1, 2, 3] {
                let mut group = ThreadGroup::new(spec, parts).unwrap();
                let cell = measure(&mut group, bytes, &Policy::QUICK).unwrap();
                assert_eq!(
                    cell.digest,
                    reference(&spec, CHECK_STEPS),
                    "{bytes} B x {parts}"
                );
                assert!(cell.compute_secs <= cell.step_secs, "{cell:?}");
            }
        }
    }
}
