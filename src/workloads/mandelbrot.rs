//! `mandelbrot`: escape-time iteration counts over a square grid.
//!
//! The grid has `size` x `size` points covering x in [-2, 1], y in [-1.5, 1.5];
//! item `r` is row `r`. Rows through the set's body run every point to the
//! iteration limit while rows near the edge escape at once, so rows cost very
//! different amounts: static chunks finish at different times.
//!
//! Checksum: the sum of the iteration counts. The arithmetic is plain IEEE
//! double, in the same order as `scripts/python`, so CPython gets the same sum.
//! Default size 1,000 (a 1000 x 1000 grid, 256 iterations at most): one
//! sequential run took about 150 ms on the 2-core reference machine.

use std::ops::Range;

use super::{Entry, Job, Kind, Workload};
use crate::context::Context;
use crate::error::Result;

/// Iterations before a point counts as inside the set.
pub const MAX_ITER: u32 = 256;

pub(super) const ENTRY: Entry = Entry {
    name: "mandelbrot",
    kind: Kind::Cpu,
    teaches: "CPU-bound, rows of very different cost: static chunks vs dynamic scheduling",
    default_size: 1_200,
    build,
    setup: None,
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    Ok(Box::new(Mandelbrot { size: job.size }))
}

/// A `size` x `size` grid; one item per row.
#[derive(Debug, Clone)]
pub struct Mandelbrot {
    pub size: u64,
}

/// Iterations of z = z^2 + c before |z| > 2, at most [`MAX_ITER`].
pub fn escape_time(c_re: f64, c_im: f64) -> u32 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    let mut n = 0;
    while n < MAX_ITER {
        let (re2, im2) = (re * re, im * im);
        if re2 + im2 > 4.0 {
            break;
        }
        im = 2.0 * re * im + c_im;
        re = re2 - im2 + c_re;
        n += 1;
    }
    n
}

impl Workload for Mandelbrot {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn kind(&self) -> Kind {
        ENTRY.kind
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn run(&self, rows: Range<u64>, cx: &Context) -> u64 {
        let n = self.size as f64;
        let mut sum = 0u64;
        for row in rows {
            let c_im = -1.5 + 3.0 * (row as f64) / n;
            for col in 0..self.size {
                cx.tick();
                let c_re = -2.0 + 3.0 * (col as f64) / n;
                sum += u64::from(escape_time(c_re, c_im));
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_and_outside_points() {
        assert_eq!(escape_time(0.0, 0.0), MAX_ITER);
        assert_eq!(escape_time(-1.0, 0.0), MAX_ITER);
        assert_eq!(escape_time(2.0, 2.0), 1);
    }

    #[test]
    fn rows_sum_to_the_whole() {
        let m = Mandelbrot { size: 40 };
        let cx = Context::free();
        let whole = m.run(0..40, &cx);
        assert_eq!(m.run(0..13, &cx) + m.run(13..40, &cx), whole);
        assert!(whole > 0);
    }
}
