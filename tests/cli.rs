//! The `tvp` command line: bad input gets a clear message and exit code 2,
//! never a panic; good input prints the table.

use std::process::{Command, Output};

/// Runs tvp with backtraces on, so a panic would show one.
fn tvp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run tvp")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code 2, a message containing each of `words`, and no panic.
fn assert_usage_error(args: &[&str], words: &[&str]) {
    let out = tvp(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?} -> {err}");
    for word in words {
        assert!(err.contains(word), "{args:?}: expected {word:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(
        !err.contains("backtrace"),
        "{args:?} printed a backtrace: {err}"
    );
    assert!(out.stdout.is_empty(), "{args:?} started running");
}

#[test]
fn unknown_workload() {
    assert_usage_error(
        &["run", "--workload", "fibonacci"],
        &["fibonacci", "primes"],
    );
}

#[test]
fn unknown_backend() {
    assert_usage_error(&["run", "--backend", "threads,fork"], &["fork", "rayon"]);
}

#[cfg(not(feature = "mpi"))]
#[test]
fn a_backend_behind_a_feature_says_how_to_rebuild() {
    assert_usage_error(
        &["run", "--backend", "mpi"],
        &["mpi", "not built", "--features mpi"],
    );
}

#[test]
fn zero_workers() {
    assert_usage_error(&["run", "--workers", "0"], &["at least 1"]);
}

#[test]
fn absurd_worker_count_explains_the_cap() {
    assert_usage_error(
        &["run", "--workers", "1,10000000"],
        &["10000000", "cap of 1000000"],
    );
}

#[test]
fn non_numeric_values() {
    assert_usage_error(&["run", "--workers", "two"], &["two", "whole number"]);
    assert_usage_error(&["run", "--size", "big"], &["big"]);
    assert_usage_error(&["run", "--repeat=-1"], &["repeat"]);
}

#[test]
fn size_zero() {
    assert_usage_error(&["run", "--size", "0"], &["at least 1 item"]);
}

#[test]
fn negative_and_overflowing_numbers() {
    assert_usage_error(&["run", "--workers", "-1"], &["-1", "whole number"]);
    assert_usage_error(&["run", "--workers", "1,,2"], &["whole number"]);
    assert_usage_error(&["run", "--workers", "1.5"], &["1.5", "whole number"]);
    assert_usage_error(&["run", "--size", "-3"], &["-3", "whole number"]);
    assert_usage_error(
        &["run", "--size", "99999999999999999999999"],
        &["whole number of items from 1"],
    );
    assert_usage_error(&["run", "--repeat", "0"], &["repeat", "1..=1000"]);
}

#[test]
fn conflicting_and_misplaced_flags() {
    assert_usage_error(
        &["run", "--size", "10", "--size", "20"],
        &["--size", "cannot be used multiple times"],
    );
    assert_usage_error(
        &["run", "-r", "1", "--repeat", "2"],
        &["--repeat", "cannot be used multiple times"],
    );
    assert_usage_error(&["list", "--workers", "2"], &["--workers"]);
    assert_usage_error(&["run", "--workload"], &["value is required"]);
    assert_usage_error(&["run", "--option", "no-equals"], &["KEY=VALUE"]);
}

#[test]
fn the_test_only_workload_is_hidden() {
    let list = String::from_utf8_lossy(&tvp(&["list"]).stdout).into_owned();
    let help = String::from_utf8_lossy(&tvp(&["run", "--help"]).stdout).into_owned();
    let err = stderr(&tvp(&["run", "-w", "nope"]));
    for text in [list, help, err] {
        let words = text.split(|c: char| !c.is_alphanumeric() && c != '_');
        assert!(!words.into_iter().any(|w| w == "fault"), "{text}");
    }
}

#[test]
fn a_failing_run_explains_and_exits_1_without_a_backtrace() {
    let out = tvp(&[
        "run",
        "-w",
        "fault",
        "-b",
        "process",
        "-n",
        "2",
        "-s",
        "10",
        "-r",
        "1",
        "-o",
        "fault=exit",
        "-o",
        "at=7",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("worker process") && err.contains("exited with code 3"),
        "{err}"
    );
    assert!(!err.contains("backtrace"), "{err}");
}

/// Past the open-file limit, a run stops before it starts anything, with
/// the limit's name and the command that raises it: no hang (a server that
/// cannot accept would leave its client waiting forever), no half run.
#[test]
fn a_concurrency_past_the_open_file_limit_is_named_before_the_run() {
    use std::os::unix::process::CommandExt;
    for backend in ["async", "threads", "process"] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tvp"));
        cmd.args(["run", "-w", "tcp", "-b", backend, "-n", "300", "-s", "600"])
            .args(["-r", "1", "--no-memory"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        // SAFETY: setrlimit is async-signal-safe and touches only the limit
        // struct on this stack.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 256,
                    rlim_max: 256,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let mut child = cmd.spawn().unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{backend}: tvp still running a minute past the limit: a hang");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(1), "{backend}: {err}");
        for part in [
            &format!("`{backend}` at 300 workers on `tcp` needs"),
            "open files",
            "RLIMIT_NOFILE",
            "ulimit -n",
        ] {
            assert!(err.contains(part), "{backend}: {part:?} not in {err}");
        }
        assert!(!err.contains("panicked"), "{backend}: {err}");
    }
}

#[test]
fn unknown_subcommand() {
    assert_usage_error(&["fly"], &["fly"]);
}

#[test]
fn list_names_every_workload_and_backend() {
    let out = tvp(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in tvp::workloads::names()
        .into_iter()
        .chain(tvp::backends::names())
    {
        assert!(text.contains(name), "`tvp list` misses {name}");
    }
    assert!(
        text.contains("--workers N: N concurrent tasks, not threads"),
        "{text}"
    );
}

#[test]
fn run_prints_a_checked_row_per_backend_and_worker_count() {
    let out = tvp(&[
        "run",
        "-w",
        "primes",
        "-b",
        "threads,process",
        "-n",
        "1,3",
        "-s",
        "5000",
        "-r",
        "1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    for row in [
        "threads           1",
        "threads           3",
        "process           3",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(row.trim_start()))
            .unwrap_or_else(|| panic!("no row {row:?} in\n{text}"));
        assert!(line.ends_with("ok"), "checksum not ok: {line}");
    }
    // 669 primes below 5000.
    assert!(text.contains("checksum 669"), "{text}");
}

#[test]
fn help_explains_the_defaults() {
    let out = tvp(&["run", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("twice the"), "{text}");
}

#[test]
fn output_with_nowhere_to_go_is_one_line_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let out = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .arg("list")
        .env("RUST_BACKTRACE", "1")
        .stdout(full)
        .output()
        .expect("run tvp");
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("could not write the output"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );

    // A reader that stops early (`tvp list | head -1`): nothing on stderr.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .arg("list")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run tvp");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for tvp");
    assert_eq!(stderr(&out), "");
}
