//! Amdahl's law: with a serial fraction `f`, `n` cores give a speedup of
//! `1 / (f + (1 - f) / n)`, never more than `1 / f`. Workers beyond the
//! cores add no cores, so the model uses `min(workers, cores)`.

/// The speedup Amdahl's law predicts for `workers` on `cores` cores.
pub fn speedup(serial: f64, workers: usize, cores: usize) -> f64 {
    let n = workers.min(cores).max(1) as f64;
    1.0 / (serial + (1.0 - serial) / n)
}

/// The fewest distinct core counts (worker counts at or below the cores,
/// one included) a fit needs. From two (1 and 2 on a 2-core machine) any
/// curve fits: a serial part, load imbalance and a shared limit such as
/// memory bandwidth all bend it the same way.
pub const MIN_CORE_COUNTS: usize = 3;

/// The distinct worker counts at or below `cores` among `points`, sorted.
pub fn core_counts(points: &[(usize, f64)], cores: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = points.iter().map(|p| p.0).filter(|&w| w <= cores).collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// The serial fraction that best fits measured `(workers, speedup)` points,
/// by least squares on `1/speedup = 1/n + f (1 - 1/n)` with
/// `n = min(workers, cores)`. Points at one worker say nothing about `f`;
/// None when the points hold fewer than [`MIN_CORE_COUNTS`] core counts
/// (see [`core_counts`]). Clamped to 0..=1.
pub fn fit_serial_fraction(points: &[(usize, f64)], cores: usize) -> Option<f64> {
    if core_counts(points, cores).len() < MIN_CORE_COUNTS {
        return None;
    }
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(workers, s) in points {
        let n = workers.min(cores) as f64;
        if n < 2.0 || !s.is_finite() || s <= 0.0 {
            continue;
        }
        let x = 1.0 - 1.0 / n;
        let y = 1.0 / s - 1.0 / n;
        sxy += x * y;
        sxx += x * x;
    }
    (sxx > 0.0).then(|| (sxy / sxx).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_the_serial_fraction_of_exact_points() {
        let points: Vec<_> = [1, 2, 4, 8]
            .iter()
            .map(|&n| (n, speedup(0.1, n, 8)))
            .collect();
        let f = fit_serial_fraction(&points, 8).unwrap();
        assert!((f - 0.1).abs() < 1e-9, "{f}");
    }

    #[test]
    fn oversubscribed_points_count_as_the_core_count() {
        assert_eq!(speedup(0.0, 16, 4), 4.0);
        let points = [(1, 1.0), (2, 2.0), (3, 3.0), (4, 3.0)];
        assert_eq!(fit_serial_fraction(&points, 3), Some(0.0));
        // 1 and 2 workers on 2 cores: two core counts, no fit.
        assert_eq!(
            fit_serial_fraction(&[(1, 1.0), (2, 1.9), (4, 1.9)], 2),
            None
        );
        assert_eq!(core_counts(&[(1, 1.0), (2, 1.9), (4, 1.9)], 2), vec![1, 2]);
    }

    #[test]
    fn no_fit_without_parallel_points_and_clamped_otherwise() {
        assert_eq!(fit_serial_fraction(&[(1, 1.0)], 4), None);
        assert_eq!(fit_serial_fraction(&[(1, 1.0), (2, 2.0)], 1), None);
        // Slower than sequential: more than all serial, clamped to 1.
        assert_eq!(
            fit_serial_fraction(&[(1, 1.0), (2, 0.5), (4, 0.5)], 4),
            Some(1.0)
        );
        // Superlinear: clamped to 0.
        assert_eq!(
            fit_serial_fraction(&[(1, 1.0), (2, 2.5), (4, 5.0)], 4),
            Some(0.0)
        );
    }
}
