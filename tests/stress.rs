//! Stress: a few hundred random (workload, backend, workers, size) cases,
//! each checked against sequential. Sizes stay small so the whole test is
//! bounded (under a minute in the dev profile on a 2-core machine), and the
//! backends that spawn processes get a fifth of the cases: their spawns are
//! the slow part.

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use tvp::backends::{self, Config};
use tvp::workloads::{self, Job};

/// The largest size tried per workload: a few milliseconds of work.
fn max_size(workload: &str) -> u64 {
    match workload {
        "primes" => 20_000,
        "mandelbrot" => 64,
        "monte_carlo" => 50_000,
        "stream" => 20_000,
        // Workloads added later: a thousandth of their default size.
        other => (workloads::entry(other).unwrap().default_size / 1_000).clamp(8, 1_000),
    }
}

/// In-process backends 4 to 1 against process-based ones.
fn backend() -> impl Strategy<Value = &'static str> {
    let weighted: Vec<_> = backends::names()
        .into_iter()
        .map(|name| {
            let weight = if matches!(name, "process" | "pool" | "mpi" | "mpi-tcp") {
                1
            } else {
                2
            };
            (weight, Just(name).boxed())
        })
        .collect();
    proptest::strategy::Union::new_weighted(weighted)
}

/// Sizes: empty, tiny (fewer items than workers), or anything up to the max.
fn size() -> impl Strategy<Value = u64> {
    prop_oneof![1 => Just(0u64), 2 => 1u64..=9, 7 => any::<u64>()]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_cases_agree_with_sequential(
        workload in proptest::sample::select(workloads::names()),
        backend in backend(),
        workers in 1usize..=8,
        raw_size in size(),
    ) {
        let max = max_size(workload);
        let size = if raw_size <= 9 { raw_size.min(max) } else { raw_size % (max + 1) };
        let job = Job::new(workload).unwrap().with_size(size);
        let fixture = job.setup().unwrap();
        let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
        let mut reference = backends::create("sequential", &config).unwrap();
        reference.prepare(1).unwrap();
        let expected = reference.execute(&fixture.job).unwrap();
        let mut under_test = backends::create(backend, &config).unwrap();
        under_test.prepare(workers).unwrap();
        let got = under_test.execute(&fixture.job);
        prop_assert!(
            matches!(got, Ok(sum) if sum == expected),
            "{backend} x {workload}, {workers} workers, size {size}: {got:?} != {expected}"
        );
    }
}
