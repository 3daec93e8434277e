//! Confining a run to K cores: the run reports it, its worker threads and
//! `tvp worker` children really run with the same mask (read from
//! /proc/<pid>/status `Cpus_allowed_list` while they live), and a bad K is a
//! usage error (exit code 2) naming the usable count.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tvp::sweep::affinity::{self, Confinement, CpuSet};

const TVP: &str = env!("CARGO_BIN_EXE_tvp");

fn tvp(args: &[&str]) -> Output {
    tvp_with_env(args, None)
}

/// Runs tvp with `TVP_CORES` set to `cores`, or removed when `None`.
fn tvp_with_env(args: &[&str], cores: Option<&str>) -> Output {
    let mut command = Command::new(TVP);
    command.args(args);
    match cores {
        Some(k) => command.env(affinity::ENV, k),
        None => command.env_remove(affinity::ENV),
    };
    command.output().expect("run tvp")
}

/// The header line of a tiny successful `tvp run` with `extra` arguments.
fn tiny_run_header(cores_env: Option<&str>, extra: &[&str]) -> String {
    let mut args = vec![
        "run",
        "-w",
        "primes",
        "-b",
        "sequential",
        "-s",
        "1000",
        "-r",
        "1",
    ];
    args.extend_from_slice(extra);
    let out = tvp_with_env(&args, cores_env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn usable() -> usize {
    affinity::usable()
        .expect("read this process's CPU mask")
        .len()
}

/// Tests that need two cores say why they skip on a one-core machine.
fn two_cores_or_skip(test: &str) -> bool {
    let n = usable();
    if n < 2 {
        eprintln!("skipping {test}: this process may use only {n} core, the test needs 2");
    }
    n >= 2
}

/// Exit code 2 and a message containing each of `words`, no panic.
fn assert_usage_error(out: &Output, words: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for word in words {
        assert!(err.contains(word), "expected {word:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_run_confined_to_one_core_reports_one_core() {
    let out = tvp(&[
        "run", "--cores", "1", "-w", "primes", "-b", "threads", "-n", "2", "-s", "5000", "-r", "1",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let header = stdout.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("confined to core ") && header.contains("(--cores 1): 1 core usable"),
        "{header}"
    );
    assert!(stdout.contains("checksum 669"), "{stdout}");
}

#[test]
fn tvp_cores_env_confines_a_run_and_the_flag_wins() {
    let header = tiny_run_header(Some("1"), &[]);
    assert!(header.contains("(TVP_CORES=1): 1 core usable"), "{header}");
    let header = tiny_run_header(Some("1"), &["--cores", "1"]);
    assert!(header.contains("(--cores 1)"), "{header}");
}

#[test]
fn an_unconfined_run_names_its_usable_cores() {
    let header = tiny_run_header(None, &[]);
    let set = affinity::usable().unwrap();
    assert!(header.contains(&format!("usable ({set})")), "{header}");
}

#[test]
fn invalid_core_counts_exit_2_naming_the_usable_count() {
    let n = usable();
    let too_many = (n + 1).to_string();
    let only = format!("only {n}");
    assert_usage_error(&tvp(&["run", "--cores", "0"]), &["--cores", "at least 1"]);
    assert_usage_error(&tvp(&["run", "--cores", &too_many]), &[&too_many, &only]);
    assert_usage_error(&tvp(&["run", "--cores", "two"]), &["two", "whole number"]);
    assert_usage_error(
        &tvp(&["cores", "--cores", &format!("1,{too_many}")]),
        &[&only],
    );
    let out = tvp_with_env(&["run", "-w", "primes"], Some(&too_many));
    assert_usage_error(&out, &["TVP_CORES", &only]);
}

/// Thread ids of `pid`.
fn threads_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|t| t.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The `tvp` subcommand a process runs (`worker`, `memory-cell`), if it is a
/// `tvp` child.
fn tvp_subcommand(pid: u32) -> Option<String> {
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let mut args = cmd.split(|&b| b == 0);
    let exe = args.next()?;
    if !exe.ends_with(b"tvp") {
        return None;
    }
    args.next().map(|a| String::from_utf8_lossy(a).into_owned())
}

/// Every descendant of `pid` that is a `tvp` child: workers of the run, its
/// memory-cell children and their workers. Zombies have no command line.
fn tvp_descendants(pid: u32) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let mut parents = vec![pid];
    while let Some(parent) = parents.pop() {
        for (child, _) in common::children_of(parent) {
            if let Some(sub) = tvp_subcommand(child) {
                parents.push(child);
                found.push((child, sub));
            }
        }
    }
    found
}

/// Runs `tvp run --cores k` with process and thread backends and, while it
/// runs, reads the mask of every thread and `tvp worker` child it has.
/// Returns the run's own mask and every mask seen, by who had it.
fn masks_seen_in_a_confined_run(k: usize) -> (CpuSet, Vec<(String, CpuSet)>) {
    let mut run = Command::new(TVP)
        .args([
            "run",
            "--cores",
            &k.to_string(),
            "-w",
            "primes",
            "-b",
            "pool,rayon,process",
            "-n",
            "2",
            "-s",
            "1000000",
            "-r",
            "2",
        ])
        .env_remove(affinity::ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tvp run");
    let pid = run.id();
    let mut seen = Vec::new();
    let mut own = None;
    let mut workers = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while run.try_wait().expect("poll tvp run").is_none() && Instant::now() < deadline {
        let children = tvp_descendants(pid);
        // Before `main` confines it, the run still has the wide mask; its
        // first `tvp worker` child shows that it has confined itself.
        if workers.is_empty() && children.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        // A child or thread may end between listing and reading: skip it.
        if own.is_none() {
            own = affinity::allowed_list_of(pid).ok();
        }
        for tid in threads_of(pid) {
            if let Ok(mask) = affinity::allowed_list_of_thread(pid, tid) {
                // The core-sharing probe after a noisy table pins one thread
                // to each core of the run's set, by design.
                let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
                    .unwrap_or_default();
                let who = if name.trim() == tvp::sweep::core_sharing::THREAD_NAME {
                    format!("{PROBE} {tid} of tvp run")
                } else {
                    format!("thread {tid} of tvp run")
                };
                seen.push((who, mask));
            }
        }
        for (child, sub) in children {
            if let Ok(mask) = affinity::allowed_list_of(child) {
                if sub == "worker" {
                    workers.insert(child);
                }
                seen.push((format!("tvp {sub} {child}"), mask));
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if Instant::now() >= deadline {
        let _ = run.kill();
    }
    let out = run.wait_with_output().expect("wait for tvp run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        workers.len() >= 2,
        "saw {} tvp worker children while the run lived; expected the pool's and process's",
        workers.len()
    );
    let own = own.expect("read the run's own mask");
    let memory_cells: BTreeSet<&String> = seen
        .iter()
        .map(|(who, _)| who)
        .filter(|who| who.starts_with("tvp memory-cell"))
        .collect();
    eprintln!(
        "tvp run --cores {k} ran on {own}; read {} masks of its threads, {} tvp worker and {} \
         tvp memory-cell descendants: {:?}",
        seen.len(),
        workers.len(),
        memory_cells.len(),
        seen.iter().map(|(_, m)| m.list()).collect::<BTreeSet<_>>()
    );
    (own, seen)
}

/// How [`masks_seen_in_a_confined_run`] names a core-sharing probe thread.
const PROBE: &str = "core-probe thread";

/// Every thread and child of the run has the run's mask, but a probe
/// thread, pinned to one CPU of it.
fn assert_confined(own: &CpuSet, seen: &[(String, CpuSet)]) {
    for (who, mask) in seen {
        if who.starts_with(PROBE) {
            assert!(
                mask.len() == 1 && own.cpus().contains(&mask.cpus()[0]),
                "{who} runs on {mask}, outside the run's {own}"
            );
        } else {
            assert_eq!(mask, own, "{who} runs on {mask}, the run on {own}");
        }
    }
}

#[test]
fn threads_and_children_of_a_run_confined_to_one_core_share_its_mask() {
    let (own, seen) = masks_seen_in_a_confined_run(1);
    assert_eq!(own.len(), 1, "the run itself: {own}");
    assert_confined(&own, &seen);
    // rayon's two pool threads and the pool's reader threads, besides main.
    let threads: BTreeSet<&String> = seen
        .iter()
        .map(|(who, _)| who)
        .filter(|who| who.starts_with("thread"))
        .collect();
    let threads = threads.len();
    assert!(threads > 1, "saw only the main thread");
}

#[test]
fn children_of_a_run_confined_to_two_cores_get_both() {
    if !two_cores_or_skip("children_of_a_run_confined_to_two_cores_get_both") {
        return;
    }
    let (own, seen) = masks_seen_in_a_confined_run(2);
    assert_eq!(own.len(), 2, "the run itself: {own}");
    assert_confined(&own, &seen);
}

/// What the core sweep relies on: confine this thread, start a child, and
/// the child has the narrow mask; drop the confinement and this thread gets
/// its mask back while the child keeps the narrow one.
#[test]
fn a_confined_thread_passes_its_mask_to_a_worker_child_and_gets_its_own_back() {
    let before = affinity::usable().unwrap();
    let confinement = Confinement::new(1).unwrap();
    let narrow = confinement.cpus().clone();
    let mut child = tvp::process::child::WorkerChild::spawn(std::path::Path::new(TVP)).unwrap();
    assert_eq!(affinity::allowed_list_of(child.pid()).unwrap(), narrow);
    drop(confinement);
    assert_eq!(affinity::usable().unwrap(), before);
    assert_eq!(affinity::allowed_list_of(child.pid()).unwrap(), narrow);
    assert!(child.wait().unwrap().success());
}

#[test]
fn tvp_cores_sweeps_every_backend_and_explains_one_core() {
    let out = tvp(&[
        "cores",
        "-w",
        "primes",
        "-b",
        "threads,process",
        "-n",
        "2",
        "-s",
        "5000",
        "-r",
        "1",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let n = usable();
    assert!(stdout.starts_with("Core sweep on "), "{stdout}");
    for backend in ["sequential", "threads", "process"] {
        let row = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(backend))
            .unwrap_or_else(|| panic!("no {backend} row in\n{stdout}"));
        assert!(row.ends_with("ok"), "{row}");
    }
    // The one-core panel: each sentence is a claim with its times, its
    // verdict read from them.
    for who in [
        "threads (2 threads) on 1 core",
        "process (2 processes) on 1 core",
    ] {
        assert!(stdout.contains(who), "{stdout}");
    }
    assert!(
        stdout.contains("time slicing adds no speed: on one core, threads' workers"),
        "{stdout}"
    );
    if n >= 2 {
        assert!(stdout.contains(&format!("on {n} cores")), "{stdout}");
        assert!(
            stdout.contains("more cores speed up process' workers"),
            "{stdout}"
        );
    }
    // Progress goes to stderr, one line per cell.
    let progress = text(&out.stderr)
        .lines()
        .filter(|l| l.contains("] "))
        .count();
    assert_eq!(progress, 3 * tvp::sweep::cores::core_counts(n).len());
}
