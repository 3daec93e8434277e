//! IO fixtures leave nothing behind: no temp dir under the fixture's root,
//! no listening socket, no server thread and no child process, also when a
//! run fails halfway.
//!
//! The tests share one lock: they look at this process's threads and
//! children, which a test running beside them would add to.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tvp::backends::{self, Config};
use tvp::sweep::{Sweep, run_sweep, run_sweep_with};
use tvp::workloads::{Job, files, tcp};

static SERIAL: Mutex<()> = Mutex::new(());

fn config() -> Config {
    Config::new(env!("CARGO_BIN_EXE_tvp"))
}

/// Child processes of this test process.
fn children() -> Vec<String> {
    children_of("self")
}

/// Child processes of `pid` ("self" for this one).
fn children_of(pid: impl std::fmt::Display) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .collect()
}

/// Threads of this process named for the server at `addr`.
fn server_threads(addr: SocketAddr) -> Vec<String> {
    let names = [
        tcp::thread_name("tcpa", addr),
        tcp::thread_name("tcpc", addr),
    ];
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .map(|c| c.trim().to_string())
        .filter(|c| names.contains(c))
        .collect()
}

fn assert_nothing_left(root: Option<&Path>, addr: Option<SocketAddr>) {
    if let Some(root) = root {
        let left: Vec<PathBuf> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "left under the fixture's root: {left:?}");
    }
    if let Some(addr) = addr {
        assert!(
            TcpStream::connect(addr).is_err(),
            "the server at {addr} still accepts connections"
        );
        assert_eq!(
            server_threads(addr),
            Vec::<String>::new(),
            "server threads left"
        );
    }
    assert_eq!(children(), Vec::<String>::new(), "child processes left");
}

fn files_job(workload: &str, root: &Path, size: u64) -> Job {
    let mut job = Job::new(workload).unwrap().with_size(size);
    job.options
        .insert(files::OPT_ROOT.into(), root.display().to_string());
    job
}

#[test]
fn a_sweep_that_fails_after_a_cell_removes_its_temp_dir_and_server() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    for job in [
        files_job("files", root.path(), 20),
        files_job("files_fsync", root.path(), 2),
        Job::new("tcp").unwrap().with_size(50),
    ] {
        let sweep = Sweep {
            job,
            backends: vec!["threads".into(), "pool".into(), "async".into()],
            workers: vec![3],
            repeat: 1,
        };
        let mut seen = None;
        let err = run_sweep_with(&sweep, &config(), |job, _| {
            seen = Some(job.clone());
            Err(tvp::Error::InvalidJob("injected failure".into()))
        })
        .unwrap_err();
        assert!(err.to_string().contains("injected"), "{err}");
        let seen = seen.expect("the first cell ran");
        let addr = seen.options.get(tcp::OPT_ADDR).map(|a| a.parse().unwrap());
        if let Some(dir) = seen.options.get(files::OPT_DIR) {
            assert!(!Path::new(dir).exists(), "{dir} was not removed");
        }
        assert_nothing_left(Some(root.path()), addr);
    }
}

#[test]
fn a_sweep_whose_workers_cannot_start_cleans_up() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    // `/bin/false worker` exits at once: the pool's first task fails.
    let broken = Config::new("/bin/false");
    for backend in ["pool", "process"] {
        let sweep = Sweep {
            job: files_job("files", root.path(), 20),
            backends: vec![backend.into()],
            workers: vec![2],
            repeat: 1,
        };
        let err = run_sweep(&sweep, &broken, |_| {}).unwrap_err();
        assert!(
            err.to_string().contains("worker process"),
            "{backend}: {err}"
        );
        assert_nothing_left(Some(root.path()), None);
    }
}

#[test]
fn a_workload_that_fails_in_its_workers_leaves_no_file() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    let fixture = files_job("files", root.path(), 40).setup().unwrap();
    let dir = PathBuf::from(&fixture.job.options[files::OPT_DIR]);
    // Item 17's file cannot be created: a directory has its name. Items
    // before it in each chunk have run; their chunk fails part way.
    std::fs::create_dir(dir.join("item-17")).unwrap();
    std::fs::write(dir.join("stray"), b"left by a crashed worker").unwrap();
    for name in [
        "threads", "gil", "rayon", "process", "pool", "async", "async-mt",
    ] {
        let mut backend = backends::create(name, &config()).unwrap();
        backend.prepare(4).unwrap();
        let err = backend.execute(&fixture.job).unwrap_err().to_string();
        assert!(err.contains("item-17"), "{name}: {err}");
    }
    drop(fixture);
    assert!(!dir.exists());
    assert_nothing_left(Some(root.path()), None);
}

/// Threads of this process whose name starts with `prefix`.
fn threads_named(prefix: &str) -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .map(|c| c.trim().to_string())
        .filter(|c| c.starts_with(prefix))
        .collect()
}

/// An async run that fails halfway (a task's connection is refused: the
/// server is gone) closes every socket, and dropping the backend stops the
/// runtime's threads, the blocking ones of `files` included.
#[test]
fn async_runtimes_leave_no_thread_or_socket_after_a_failure() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    for name in ["async", "async-mt"] {
        let mut backend = backends::create(name, &config()).unwrap();
        backend.prepare(16).unwrap();
        let files = files_job("files", root.path(), 64).setup().unwrap();
        backend.execute(&files.job).unwrap();
        let tcp = Job::new("tcp").unwrap().with_size(400).setup().unwrap();
        let job = tcp.job.clone();
        let addr: SocketAddr = job.options[tcp::OPT_ADDR].parse().unwrap();
        backend.execute(&job).unwrap();
        drop(tcp);
        let err = backend.execute(&job).unwrap_err().to_string();
        assert!(err.contains("`tcp`: items"), "{name}: {err}");
        drop(files);
        drop(backend);
        assert_eq!(threads_named("tvp-async"), Vec::<String>::new(), "{name}");
        assert_eq!(threads_named("tokio"), Vec::<String>::new(), "{name}");
        assert_nothing_left(Some(root.path()), Some(addr));
    }
}

#[test]
fn a_server_with_clients_still_connected_stops_on_drop() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let fixture = Job::new("tcp").unwrap().with_size(10).setup().unwrap();
    let addr: SocketAddr = fixture.job.options[tcp::OPT_ADDR].parse().unwrap();
    // Idle clients, as a worker killed mid-run would leave them.
    let clients: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let workload = fixture.job.build().unwrap();
    assert_ne!(workload.run(0..10, &tvp::Context::free()), 0);
    drop(fixture);
    assert_nothing_left(None, Some(addr));
    drop(clients);
}

#[test]
fn ctrl_c_during_a_files_run_removes_its_temp_dir_and_children() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    // Enough files that the pool is still at work when the signal comes.
    let args = [
        "run",
        "-w",
        "files",
        "-b",
        "pool,threads",
        "-n",
        "4",
        "-s",
        "20000",
    ];
    let mut tvp = std::process::Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(args)
        .args(["-r", "1", "--no-memory"])
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let has_dir = || {
        std::fs::read_dir(tmp.path()).unwrap().flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(files::DIR_PREFIX)
        })
    };
    // After the sequential reference, the pool's 4 workers start.
    while !has_dir() || children_of(tvp.id()).len() < 4 {
        assert!(started.elapsed().as_secs() < 60, "the pool never started");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let workers = children_of(tvp.id());
    // SAFETY: kill touches no memory; the pid is our unreaped child.
    unsafe { libc::kill(tvp.id() as libc::pid_t, libc::SIGINT) };
    let status = tvp.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(tvp.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_nothing_left(Some(tmp.path()), None);
    // The pool's workers were killed; init reaps them.
    let gone = |pid: &String| !Path::new(&format!("/proc/{pid}")).exists();
    for _ in 0..500 {
        if workers.iter().all(gone) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let left: Vec<&String> = workers.iter().filter(|p| !gone(p)).collect();
    assert!(
        left.is_empty(),
        "workers of the interrupted tvp left: {left:?}"
    );
}
