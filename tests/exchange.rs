//! The exchange measurement (`tvp::costs::exchange`) on threads and on a
//! pool of `tvp peer exchange` processes: both end in the sequential
//! digest at every buffer size the bench measures, and a child that dies
//! mid-run is an error, with no process left behind. The MPI transports
//! are checked in `tests/mpi.rs` and `tests/mpi_hosts.rs`.

use std::path::Path;

use tvp::costs::exchange::pipes::PipeGroup;
use tvp::costs::exchange::threads::ThreadGroup;
use tvp::costs::exchange::{CHECK_STEPS, Group, Policy, SIZES, Spec, measure, reference};

/// A small array, so that every size up to 64 MiB stays quick.
fn spec(bytes: u64) -> Spec {
    Spec {
        elements: 4_001,
        bytes,
        rounds: 1,
    }
}

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tvp"))
}

#[test]
fn threads_and_pipes_agree_with_sequential_at_every_size() {
    for bytes in SIZES {
        let spec = spec(bytes);
        let expected = reference(&spec, CHECK_STEPS);
        for parts in [1, 2, 3] {
            let mut threads = ThreadGroup::new(spec, parts).unwrap();
            let mut pipes = PipeGroup::new(exe(), spec, parts).unwrap();
            for (name, group) in [
                ("threads", &mut threads as &mut dyn Group),
                ("pipes", &mut pipes as &mut dyn Group),
            ] {
                let cell = measure(group, bytes, &Policy::QUICK).unwrap();
                assert_eq!(cell.digest, expected, "{name}, {bytes} B, {parts} parts");
                assert!(cell.steps_per_batch >= 1);
                assert!(cell.compute_secs <= cell.step_secs, "{name}: {cell:?}");
            }
        }
    }
}

#[test]
fn a_group_can_start_over_from_step_zero() {
    let spec = spec(64);
    let mut pipes = PipeGroup::new(exe(), spec, 2).unwrap();
    pipes.steps(0, 5).unwrap();
    pipes.steps(0, CHECK_STEPS).unwrap();
    assert_eq!(pipes.digest().unwrap(), reference(&spec, CHECK_STEPS));
}

#[test]
fn a_child_that_dies_is_an_error_and_nothing_is_left() {
    let spec = spec(1 << 20);
    let mut pipes = PipeGroup::new(exe(), spec, 2).unwrap();
    pipes.steps(0, 1).unwrap();
    let children = pipes.pids();
    assert_eq!(children.len(), 2);
    // SAFETY: kill touches no memory; the pid is our live child.
    unsafe { libc::kill(children[0] as i32, libc::SIGKILL) };
    let err = pipes.steps(1, 3).unwrap_err().to_string();
    assert!(
        err.contains(&children[0].to_string()) && err.contains("killed by signal 9"),
        "{err}"
    );
    drop(pipes);
    for pid in children {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z")),
            "child {pid} is still running"
        );
    }
}
