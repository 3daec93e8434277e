//! MPI ranks on several hosts: the simulated cluster of
//! `scripts/sim-cluster.sh` (network namespaces on a bridge, one address
//! and host name each). Ranks agree with sequential at 2 and 3 hosts, each
//! on a host of its own; the exchange agrees at every buffer size; and every
//! failure (a rank killed on one host, a host whose launcher fails, a host
//! that cannot be reached) is a clear error within the timeout that leaves
//! no process, temp file, namespace or link behind.
//!
//! Needs root and a cluster that is up: `.ci/run` brings one up with
//! `sudo scripts/sim-cluster.sh up 3` and down again after these tests.
//! Without one every test says why and passes:
//! `cargo test --features mpi --test mpi_hosts -- --nocapture` shows it.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tvp::backends::mpi::sim::SimCluster;
use tvp::backends::mpi::{Launcher, MpiBackend, Transport};
use tvp::backends::{Backend, Config, MpiHosts};
use tvp::workloads::{Job, run_sequential};

/// One test at a time: some unplug a host the others use.
static CLUSTER: Mutex<()> = Mutex::new(());

/// The cluster and the lock on it, or `None` after saying why not.
fn cluster() -> Option<(SimCluster, MutexGuard<'static, ()>)> {
    let guard = CLUSTER.lock().unwrap_or_else(PoisonError::into_inner);
    match SimCluster::find(Path::new(env!("CARGO_MANIFEST_DIR"))) {
        Ok(cluster) => Some((cluster, guard)),
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// A hostfile of the cluster's first `n` hosts (with its launcher line),
/// in a temp dir.
fn hostfile_of(cluster: &SimCluster, n: usize, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(cluster.hostfile()).unwrap();
    let mut hosts = 0;
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            if l.starts_with('#') {
                return true;
            }
            hosts += 1;
            hosts <= n
        })
        .collect();
    assert_eq!(hosts.min(n), n, "the cluster has fewer than {n} hosts");
    let path = dir.join("hostfile");
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    path
}

fn config(hostfile: &Path) -> Config {
    Config::new(env!("CARGO_BIN_EXE_tvp")).with_mpi_hosts(MpiHosts::local().with_hostfile(hostfile))
}

/// What is running or lying around that a run could have left.
#[derive(Debug, PartialEq)]
struct Leftovers {
    processes: Vec<String>,
    files: Vec<String>,
}

fn leftovers(cluster_dir: &Path) -> Leftovers {
    let mut processes = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(env!("CARGO_BIN_EXE_tvp"))
            && (cmdline.contains("mpi-worker") || cmdline.contains("mpi-exchange"))
            || cmdline.starts_with("orted ")
            || cmdline.contains("sim-cluster/agent")
        {
            processes.push(format!("{pid}: {cmdline}"));
        }
    }
    let mut files = Vec::new();
    let tmp = std::env::temp_dir();
    for dir in [tmp.as_path(), Path::new("/dev/shm")] {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("tvp-mpi-")
                || name.starts_with("ompi.")
                || name.starts_with("vader")
            {
                files.push(entry.path().display().to_string());
            }
        }
    }
    // Not the simulated hosts' own TMPDIRs (in the cluster's dir): a daemon
    // killed with its job leaves its session dir there, as it would in a
    // real host's /tmp; `scripts/sim-cluster.sh down` removes them, and
    // `.ci/run` checks that it did.
    let _ = cluster_dir;
    processes.sort();
    files.sort();
    Leftovers { processes, files }
}

/// Waits briefly for processes to go (a killed mpirun's daemons die with
/// it, but not in the same instant), then checks nothing is left that was
/// not there `before`.
fn assert_nothing_left(before: &Leftovers, cluster_dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = leftovers(cluster_dir);
        let new_processes: Vec<_> = now
            .processes
            .iter()
            .filter(|p| !before.processes.contains(p))
            .collect();
        let new_files: Vec<_> = now
            .files
            .iter()
            .filter(|f| !before.files.contains(f))
            .collect();
        if new_processes.is_empty() && new_files.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left behind: processes {new_processes:#?}, files {new_files:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn cluster_dir(cluster: &SimCluster) -> PathBuf {
    cluster.hostfile().parent().unwrap().to_path_buf()
}

#[test]
fn ranks_on_two_and_three_hosts_agree_each_on_a_host_of_its_own() {
    let Some((cluster, _lock)) = cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let before = leftovers(&cluster_dir(&cluster));
    for hosts in [2, 3] {
        let hostfile = hostfile_of(&cluster, hosts, dir.path());
        for transport in [Transport::SharedMemory, Transport::Tcp] {
            let job = Job::new("primes").unwrap().with_size(50_000);
            let mut mpi = MpiBackend::new(&config(&hostfile), transport)
                .with_timeout(Duration::from_secs(120));
            mpi.prepare(hosts).unwrap();
            let got = mpi
                .execute(&job)
                .unwrap_or_else(|e| panic!("{transport:?} on {hosts} hosts: {e}"));
            assert_eq!(got, run_sequential(&job).unwrap(), "{transport:?}, {hosts}");
            let placed = mpi.last_placement().unwrap();
            let names = cluster.hosts().unwrap();
            assert_eq!(placed, names[..hosts], "{transport:?} on {hosts} hosts");
        }
    }
    assert_nothing_left(&before, &cluster_dir(&cluster));
}

#[test]
fn tvp_run_with_the_hostfile_names_a_host_per_rank() {
    let Some((cluster, _lock)) = cluster() else {
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args([
            "run", "-w", "primes", "-b", "mpi", "-n", "2,3", "-s", "20000", "-r", "1",
        ])
        .arg("--no-memory")
        .arg("--hostfile")
        .arg(cluster.hostfile())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = cluster.hosts().unwrap();
    for (ranks, placed) in [
        (2, format!("on {}[0] {}[1]", names[0], names[1])),
        (
            3,
            format!("on {}[0] {}[1] {}[2]", names[0], names[1], names[2]),
        ),
    ] {
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["mpi", &ranks.to_string()]))
            .unwrap_or_else(|| panic!("no mpi row at {ranks} ranks in:\n{stdout}"));
        assert!(row.contains("  ok  ") && row.ends_with(&placed), "{row}");
    }
}

#[test]
fn the_exchange_agrees_across_hosts_at_every_size() {
    use tvp::costs::exchange::{CHECK_STEPS, Policy, SIZES, Spec, reference};
    let Some((cluster, _lock)) = cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hostfile = hostfile_of(&cluster, 2, dir.path());
    let job = tvp::costs::exchange::mpi::RankJob {
        specs: SIZES
            .iter()
            .map(|&bytes| Spec {
                elements: 4_001,
                bytes,
                rounds: 1,
            })
            .collect(),
        policy: Policy::QUICK,
    };
    let mut launcher = Launcher::new(&config(&hostfile), Transport::SharedMemory);
    launcher.timeout = Duration::from_secs(300);
    let result = tvp::costs::exchange::mpi::run(&launcher, 2, &job).unwrap();
    assert_eq!(result.hosts, cluster.hosts().unwrap()[..2]);
    for (spec, cell) in job.specs.iter().zip(&result.cells) {
        assert_eq!(
            cell.digest,
            reference(spec, CHECK_STEPS),
            "{} B",
            spec.bytes
        );
    }
}

/// A fault job whose failing item falls to rank 1 (on the second host).
fn kill_on_rank_one(size: u64) -> Job {
    let mut job = Job::new("fault").unwrap().with_size(size);
    let workload = job.build().unwrap();
    let chunks = tvp::backends::dynamic_chunks(workload.as_ref(), 2);
    let at = chunks[1].start;
    job.options.insert("fault".into(), "kill".into());
    job.options.insert("at".into(), at.to_string());
    job
}

#[test]
fn a_rank_killed_on_one_host_ends_the_job_with_an_error_naming_it() {
    let Some((cluster, _lock)) = cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hostfile = hostfile_of(&cluster, 2, dir.path());
    let before = leftovers(&cluster_dir(&cluster));
    let mut mpi = MpiBackend::new(&config(&hostfile), Transport::SharedMemory)
        .with_timeout(Duration::from_secs(60));
    mpi.prepare(2).unwrap();
    let started = Instant::now();
    let err = mpi.execute(&kill_on_rank_one(300)).unwrap_err().to_string();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.contains("rank 1") && err.contains("signal 9"), "{err}");
    let second = &std::fs::read_to_string(cluster.hostfile()).unwrap();
    let address = second
        .lines()
        .filter(|l| !l.starts_with('#'))
        .nth(1)
        .unwrap();
    let address = address.split_whitespace().next().unwrap();
    assert!(
        err.contains(address),
        "the error should name the host {address}: {err}"
    );
    assert_nothing_left(&before, &cluster_dir(&cluster));
}

#[test]
fn a_host_whose_launcher_fails_is_a_clear_error() {
    let Some((cluster, _lock)) = cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(hostfile_of(&cluster, 1, dir.path())).unwrap();
    let hostfile = dir.path().join("with-a-stranger");
    // An address in the cluster's subnet that no simulated host has: the
    // agent cannot reach it, as ssh could not.
    std::fs::write(&hostfile, format!("{good}198.18.213.199 slots=1\n")).unwrap();
    let before = leftovers(&cluster_dir(&cluster));
    let mut mpi =
        MpiBackend::new(&config(&hostfile), Transport::Tcp).with_timeout(Duration::from_secs(60));
    mpi.prepare(2).unwrap();
    let started = Instant::now();
    let err = mpi
        .execute(&Job::new("primes").unwrap().with_size(1000))
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.contains("could not start its daemon on every host"),
        "{err}"
    );
    assert!(
        err.contains("198.18.213.199"),
        "the launcher's words: {err}"
    );
    assert_nothing_left(&before, &cluster_dir(&cluster));
}

/// Plugs the host back in when the test ends, passed or failed.
struct Unplugged<'c> {
    cluster: &'c SimCluster,
    host: String,
}

impl Drop for Unplugged<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.cluster.plug(&self.host) {
            eprintln!("could not plug {} back in: {e}", self.host);
        }
    }
}

#[test]
fn an_unreachable_host_is_an_error_at_the_start_deadline() {
    let Some((cluster, _lock)) = cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hostfile = hostfile_of(&cluster, 2, dir.path());
    let host = cluster.hosts().unwrap()[1].clone();
    let before = leftovers(&cluster_dir(&cluster));
    cluster.unplug(&host).unwrap();
    let _plug = Unplugged {
        cluster: &cluster,
        host: host.clone(),
    };
    let mut mpi = MpiBackend::new(&config(&hostfile), Transport::Tcp)
        .with_timeout(Duration::from_secs(120))
        .with_start_timeout(Duration::from_secs(5));
    mpi.prepare(2).unwrap();
    let started = Instant::now();
    let err = mpi
        .execute(&Job::new("primes").unwrap().with_size(1000))
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}: {err}",
        started.elapsed()
    );
    // Either the daemon there gives up at once (Open MPI 4.1 does when its
    // link is down) or the ranks never start; both name the hosts.
    assert!(
        err.contains("could not start its daemon") || err.contains("had not all started 5 s"),
        "{err}"
    );
    assert!(err.contains("198.18.213.2"), "the hosts are named: {err}");
    drop(_plug);
    assert_nothing_left(&before, &cluster_dir(&cluster));
}
