//! The process side of tvp::costs: every operation runs and returns the right
//! thing, peers are reaped and files removed on drop, the cross-process lock
//! loses no update, and a real criterion run reads back into the costs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tvp::costs::Side;
use tvp::costs::ipc::{Link, Mechanism};
use tvp::costs::locks::{Contention, LockKind};
use tvp::costs::sharing::{CacheLine, Counting, Layout};
use tvp::costs::spawn;
use tvp::costs::switch::{PingPong, Placement};
use tvp::report::estimates::Estimates;
use tvp::report::explain::costs as explain;

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tvp"))
}

fn gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn every_process_link_echoes_and_is_reaped() {
    for mechanism in [
        Mechanism::Pipe,
        Mechanism::Unix,
        Mechanism::Tcp,
        Mechanism::Shm,
    ] {
        for size in [1, 64 << 10, 1 << 20] {
            let mut link = Link::new(mechanism, Side::Process, size, Some(exe())).unwrap();
            for tag in [9u8, 0, 255] {
                assert_eq!(
                    link.round_trip(tag).unwrap(),
                    tag,
                    "{} with {size} B",
                    mechanism.name()
                );
            }
            let pid = link.peer_pid().unwrap();
            let file: Option<PathBuf> = link.temp_path().map(Path::to_path_buf);
            assert!(!gone(pid));
            drop(link);
            assert!(gone(pid), "{} peer {pid} still exists", mechanism.name());
            if let Some(file) = file {
                assert!(
                    !file.exists(),
                    "{} left {}",
                    mechanism.name(),
                    file.display()
                );
            }
        }
    }
}

#[test]
fn the_process_mutex_loses_no_update_across_processes() {
    let mut c = Contention::new(LockKind::ProcessMutex, 3, Some(exe())).unwrap();
    c.batch(5_000).unwrap();
    c.batch(1_234).unwrap();
    c.check().unwrap();
    assert_eq!(
        c.counter().count,
        3 * (5_000 + 1_234),
        "processes x increments"
    );
    let pids = c.pids();
    let file = c.region_path().unwrap().to_path_buf();
    assert_eq!(pids.len(), 3);
    drop(c);
    assert!(pids.into_iter().all(gone), "lock peers are reaped");
    assert!(!file.exists(), "the shared file is removed");
}

#[test]
fn process_counters_padded_or_adjacent_add_up_and_are_cleaned_up() {
    let line = CacheLine::detect();
    for layout in [Layout::Padded, Layout::Adjacent, Layout::OneAtomic] {
        let mut c = Counting::new(layout, Side::Process, 3, &line, Some(exe())).unwrap();
        c.batch(2_000).unwrap();
        c.batch(11).unwrap();
        c.check().unwrap();
        assert_eq!(c.total(), 3 * 2_011, "{}", layout.name());
        if layout != Layout::OneAtomic {
            assert_eq!(c.counters(), vec![2_011; 3], "each process its own counter");
        }
        let (pids, file) = (c.pids(), c.region_path().to_path_buf());
        assert_eq!(pids.len(), 3);
        drop(c);
        assert!(pids.into_iter().all(gone), "sharing peers are reaped");
        assert!(!file.exists(), "the shared file is removed");
    }
}

#[test]
fn a_sharing_peer_refuses_an_offset_outside_its_region() {
    let region = tvp::costs::shared::SharedRegion::create(4096).unwrap();
    let mut child = std::process::Command::new(exe())
        .args(["peer", "sharing", "--addr"])
        .arg(region.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "10 8192").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("offset 8192 is not a counter"), "{err}");
}

#[test]
fn processes_ping_pong_a_token_on_one_core_and_across_two() {
    for placement in Placement::ALL {
        if placement == Placement::OtherCore && tvp::cores() < 2 {
            continue;
        }
        let mut pp = PingPong::placed(Side::Process, Some(exe()), placement).unwrap();
        for i in 1..=20 {
            assert_eq!(pp.round_trip().unwrap(), i);
        }
        let (cpu, peer_cpu) = pp.cpus();
        assert_eq!(cpu == peer_cpu, placement == Placement::SameCore, "{pp:?}");
        let pid = pp.peer_pid().unwrap();
        let file = pp.region_path().to_path_buf();
        drop(pp);
        assert!(gone(pid));
        assert!(!file.exists());
    }
}

#[test]
fn process_spawns_and_the_pool_round_trip_run() {
    spawn::worker_spawn_wait(exe()).unwrap();
    let mut pool = spawn::ProcessPoolTask::new(exe()).unwrap();
    assert_eq!(pool.round_trip().unwrap(), 4, "primes below 10");
    assert_eq!(pool.round_trip().unwrap(), 4);
    let pids = pool.pids();
    drop(pool);
    assert!(pids.into_iter().all(gone));
}

#[test]
fn a_peer_without_its_address_fails_clearly() {
    let out = std::process::Command::new(exe())
        .args(["peer", "shm"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs --addr"), "{err}");
}

/// A tiny real criterion run, read back: if criterion's files change shape,
/// this fails loudly.
#[test]
fn the_reader_parses_a_real_criterion_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = criterion::Criterion::default()
        .output_directory(dir.path())
        .warm_up_time(Duration::from_millis(10))
        .measurement_time(Duration::from_millis(50))
        .sample_size(10)
        .nresamples(100)
        .without_plots();
    {
        let mut g = c.benchmark_group(tvp::costs::spawn::GROUP);
        g.bench_function(spawn::THREAD, |b| b.iter(|| 1 + 1));
        g.finish();
        let mut g = c.benchmark_group(tvp::costs::ipc::THROUGHPUT_GROUP);
        g.throughput(criterion::Throughput::Bytes(4096));
        g.bench_with_input(
            criterion::BenchmarkId::new("pipe-process", 4096),
            &4096,
            |b, _| b.iter(|| 2 + 2),
        );
        g.finish();
    }
    let e = Estimates::read(dir.path());
    assert_eq!(e.0.len(), 2, "{e:?}");
    assert!(e.get("spawn", "thread", None).unwrap() > 0.0);
    assert!(
        e.get("ipc-throughput", "pipe-process", Some("4096"))
            .unwrap()
            > 0.0
    );
    let costs = explain::IpcCosts::from_estimates(&e);
    assert_eq!(costs.throughput.len(), 1);
    assert!(costs.peak("pipe-process").is_some());
    assert!(explain::SpawnCosts::from_estimates(&e).thread.is_some());
}
