//! Runs every concept example (examples/*.rs) and checks the behaviour it prints.
//!
//! The examples live next to the `tvp` binary, in `target/<profile>/examples/NAME`; the
//! test builds them first (see `build_examples`). Each gets a time limit; past it, it is
//! killed and the test fails with what it printed so far. Nothing here asserts on speed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);

/// Our examples. Only these are built, so another engineer's unfinished example elsewhere
/// cannot break this test.
const EXAMPLES: [&str; 14] = [
    "process",
    "pool",
    "queue_lock",
    "pipe",
    "lock",
    "rlock",
    "deadlock",
    "false_sharing",
    "gil",
    "time_slicing",
    "wakeup",
    "async_wait",
    "chunks",
    "start",
];

/// `target/<profile>/examples/NAME`, built (once per test run) if needed.
fn example_path(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_tvp"));
    let dir = bin.parent().expect("binary has a parent dir");
    if let Err(e) = BUILT.get_or_init(|| build_examples(dir)) {
        panic!("building the examples failed:\n{e}");
    }
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not found after building the examples",
        path.display()
    );
    path
}

/// `cargo test` builds examples, but `cargo test --test examples` does not, and would run
/// stale binaries. So build them here, for the profile this test was built with (cargo
/// has released its build lock by the time tests run). A no-op when they are fresh.
fn build_examples(profile_dir: &Path) -> Result<(), String> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet"]);
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(profile) => {
            cmd.args(["--profile", profile]);
        }
    }
    for e in EXAMPLES {
        cmd.args(["--example", e]);
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// Runs an example to completion (or kills it after LIMIT); returns (stdout, stderr).
fn run(name: &str, args: &[&str]) -> (String, String) {
    let mut child = Command::new(example_path(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
    // Drain both pipes on threads, so a chatty example never blocks on a full pipe.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // A killed example's own children may still hold the pipes; they exit on their own
    // (EOF or parent gone), so joining can wait for them.
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    match status {
        None => panic!(
            "example {name} ran over {LIMIT:?} and was killed\n--- stdout\n{out}\n--- stderr\n{err}"
        ),
        Some(s) if !s.success() => {
            panic!("example {name} failed: {s}\n--- stdout\n{out}\n--- stderr\n{err}")
        }
        Some(_) => (out, err),
    }
}

/// The last line starting with `prefix`, or a panic showing the whole output.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .rfind(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{out}"))
}

/// The numbers in a line, in order ("6 of 6 tasks, codes [0, 0]" -> [6, 6, 0, 0]).
fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

#[test]
fn process_reports_exit_code_and_signal() {
    let (out, _) = run("process", &[]);
    let exited = |l: &&str| l.starts_with("child ") && l.contains(" exited with code 3 ");
    assert!(out.lines().any(|l| exited(&l)), "{out}");
    assert!(
        out.contains("was killed: code() = None, signal: 9"),
        "{out}"
    );
    assert!(line(&out, "process:").ends_with("signal: 9"), "{out}");
}

#[test]
fn pool_close_finishes_all_and_terminate_kills() {
    let (out, _) = run("pool", &[]);
    assert!(
        line(&out, "close:").starts_with("close: 6 of 6 tasks finished"),
        "{out}"
    );
    assert!(line(&out, "close:").ends_with("exit codes [0, 0]"), "{out}");
    // 2-second tasks cannot finish in the 100 ms before terminate.
    let term = line(&out, "terminate: ");
    assert!(
        term.starts_with("terminate: 0 of 4 tasks finished, returned in"),
        "{out}"
    );
    assert_eq!(out.matches(" squared is ").count(), 6, "{out}");
    assert!(out.contains("signal: 9"), "{out}");
}

/// The counts in a line of the PIPE_BUF demonstration: (frame bytes, sent, intact, torn,
/// missing, duplicated).
fn queue_counts(l: &str) -> [u64; 6] {
    [
        number_after(l, "frames ("),
        number_after(l, "lock: "),
        number_after(l, "sent, "),
        number_after(l, "intact, "),
        number_after(l, "torn, "),
        number_after(l, "missing, "),
    ]
}

#[test]
fn queue_lock_delivers_every_message_once_and_tears_frames_only_above_pipe_buf() {
    let (out, _) = run("queue_lock", &[]);
    // The seed program: 3 writers x 5 messages under the lock, then the sentinel.
    let got: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  reader: writer "))
        .collect();
    assert_eq!(got.len(), 15, "{out}");
    for w in 0..3 {
        for m in 0..5 {
            let l = format!("  reader: writer {w}: message {m} (16 bytes)");
            assert_eq!(got.iter().filter(|g| **g == l).count(), 1, "{l}:\n{out}");
        }
    }
    assert_eq!(
        line(&out, "seed:"),
        "seed: reader got 15 of 15 messages (0 missing, 0 duplicated, 0 torn) and stopped at \
         the sentinel: exit status: 0"
    );
    // PIPE_BUF: parsed from what the reader found in the received frames.
    let pipe_buf = number_after(line(&out, "PIPE_BUF is"), "PIPE_BUF is ");
    let runs: Vec<&str> = out.lines().filter(|l| l.contains(" frames (")).collect();
    assert_eq!(runs.len(), 3, "{out}");
    for l in &runs {
        let [bytes, sent, intact, torn, missing, duplicated] = queue_counts(l);
        assert_eq!(duplicated, 0, "{l}");
        assert_eq!(
            intact + missing,
            sent,
            "every message arrives whole or not at all: {l}"
        );
        if bytes <= pipe_buf || l.contains("with lock") {
            assert_eq!((intact, torn, missing), (sent, 0, 0), "{l}");
        } else {
            // Frames twice the pipe's size, 4 writers, no lock: writes are split and mixed.
            assert!(
                torn > 0 && missing > 0,
                "no interleaving above PIPE_BUF: {l}"
            );
        }
    }
    assert!(
        runs[0].starts_with("small")
            && runs[1].contains("large frames")
            && runs[1].contains("no lock")
    );
    // terminate(): what the reader took, what was lost, what was never put add up.
    let t = line(&out, "terminate:");
    assert!(t.contains("SIGTERM") || t.contains("SIGKILL"), "{t}");
    let taken = number_after(t, "took ");
    let put = number_after(t, &format!("took {taken} of the "));
    let lost = number_after(t, "put; ");
    let never = number_after(t, "and ");
    assert_eq!(taken + lost, put, "{t}");
    assert_eq!(put + never, 300, "{t}");
    assert!(lost > 0, "terminated mid-stream, yet nothing lost: {t}");
}

/// The example's "Try:" instruction, applied to a copy exactly as written, still builds
/// and runs (in a scratch crate with our libc, offline).
#[test]
fn queue_lock_instruction_compiles_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("examples/queue_lock.rs")).unwrap();
    assert!(
        source.contains("in `writer`, delete the line ending in `// with lock:`"),
        "the instruction changed: update this test"
    );
    let marked: Vec<&str> = source
        .lines()
        .filter(|l| l.trim_end().ends_with("// with lock:"))
        .collect();
    assert_eq!(marked.len(), 1, "exactly one line to delete");
    let edited: String = source
        .lines()
        .filter(|l| !l.trim_end().ends_with("// with lock:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.rs"), edited).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"queue-lock-edited\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
         [[bin]]\nname = \"queue_lock\"\npath = \"main.rs\"\n\n[dependencies]\nlibc = \"0.2\"\n\n\
         [workspace]\n",
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    let build = Command::new(env!("CARGO"))
        .current_dir(dir.path())
        .args(["build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", dir.path().join("target"))
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "the edited example does not build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let out = Command::new(dir.path().join("target/debug/queue_lock"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // Unlocked everywhere now; small frames still arrive whole (PIPE_BUF).
    let small = line(&text, "small frames");
    let [_, sent, intact, torn, ..] = queue_counts(small);
    assert_eq!((intact, torn), (sent, 0), "{text}");
}

#[test]
fn pipe_child_answers_every_message() {
    let (out, err) = run("pipe", &[]);
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("received \"pong"))
            .count(),
        3,
        "{out}"
    );
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("received \"ping"))
            .count(),
        3,
        "{err}"
    );
    assert!(err.contains("end of file"), "{err}");
    assert_eq!(
        line(&out, "pipe:"),
        "pipe: 3 messages sent, 3 replies received, child exited with code 0"
    );
}

#[test]
fn lock_totals_are_exact_with_a_lock() {
    let (out, _) = run("lock", &[]);
    // The race may, by chance, lose nothing: only check that it is reported.
    let racy = numbers(line(&out, "without a lock:"));
    assert!(racy[0] <= racy[1], "{out}");
    for prefix in ["with a Mutex:", "with fetch_add:"] {
        let n = numbers(line(&out, prefix));
        assert_eq!((n[0], n[2]), (n[1], 0), "{prefix} must be exact:\n{out}");
    }
}

#[test]
fn rlock_reenters_and_plain_mutex_would_block() {
    let (out, _) = run("rlock", &[]);
    assert!(out.contains("depth 3: lock held 4 time(s)"), "{out}");
    assert!(
        out.contains("another thread: try_lock() got it? false"),
        "{out}"
    );
    assert!(line(&out, "RLock:").contains("depth 3"), "{out}");
    assert_eq!(
        out.lines().last(),
        Some("plain Mutex: try_lock failed (WouldBlock): a blocking lock() here would deadlock")
    );
}

/// The number right after `label` in `text` ("writing 139264 of" -> 139264).
fn number_after(text: &str, label: &str) -> u64 {
    let rest = &text[text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        + label.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {label:?} in {text}"))
}

#[test]
fn deadlocks_are_detected_with_their_cycle_then_fixed() {
    let (out, _) = run("deadlock", &[]);
    // Two threads, two locks, opposite orders: both give up and the cycle is named.
    assert!(
        line(&out, "lock order: deadlock detected").ends_with(
            "the cycle: thread 1 holds 1 and waits for 2, thread 2 holds 2 and waits for 1"
        ),
        "{out}"
    );
    let ordered = line(&out, "ordered:");
    assert!(
        ordered.contains("20000 transfers") && ordered.contains("money in total 200 "),
        "{out}"
    );
    // The pipe: stuck after filling at least one pipe, short of everything.
    let capacity = number_after(line(&out, "pipe: a pipe holds"), "holds ");
    let stuck = line(&out, "pipe: deadlock detected");
    let (written, total) = (
        number_after(stuck, "after writing "),
        number_after(
            stuck,
            &format!("{} of ", number_after(stuck, "after writing ")),
        ),
    );
    assert_eq!(total, 8 * capacity, "{out}");
    assert!(capacity <= written && written < total, "{out}");
    assert!(stuck.contains(&format!("stdout pipe is full ({capacity} bytes)")));
    assert!(line(&out, "pipe: child ended").contains("SIGKILL"), "{out}");
    assert!(
        line(&out, "communicate:").contains(&format!("{total} of {total} bytes came back intact")),
        "{out}"
    );
}

#[test]
fn false_sharing_counts_the_same_total_both_ways() {
    let (out, _) = run("false_sharing", &[]);
    let threads = numbers(out.lines().next().unwrap_or_default())[0];
    let adjacent = line(&out, "adjacent:");
    let padded = line(&out, "padded:");
    assert!(adjacent.contains("counters 8 bytes apart"), "{out}");
    assert!(number_after(padded, "counters ") >= 64, "{out}");
    let expected = threads * 5_000_000;
    for l in [adjacent, padded] {
        assert_eq!(number_after(l, "total "), expected, "{out}");
    }
    assert!(
        line(&out, "false sharing:").contains("same totals (equal)"),
        "{out}"
    );
}

#[test]
fn chunks_count_the_same_primes_at_every_chunking() {
    let (out, _) = run("chunks", &["200000", "1,4,64"]);
    assert_eq!(
        line(&out, "chunks:"),
        "chunks: done, counts agree (17984 primes below 200000)"
    );
    let workers = numbers(line(&out, "primes below"))[1] as usize;
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("K = ")).collect();
    assert_eq!(rows.len(), 3, "{out}");
    for (row, k) in rows.iter().zip([1, 4, 64]) {
        let n = numbers(row);
        // K, chunks, the run's ms (2 numbers), then two numbers per busy time.
        assert_eq!((n[0], n[1]), (k, k * workers as u64), "{row}");
        let busy_ms: Vec<f64> = row
            .split_once('[')
            .and_then(|(_, rest)| rest.split_once(']'))
            .unwrap()
            .0
            .split(", ")
            .map(|b| b.parse().unwrap())
            .collect();
        assert_eq!(busy_ms.len(), workers, "one busy time per thread: {row}");
        let wall: f64 = row
            .split_once("): ")
            .unwrap()
            .1
            .split(" ms")
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // A thread cannot be busy longer than the run (rounding to 0.1 ms aside).
        assert!(busy_ms.iter().all(|&b| b <= wall + 0.1), "{row}");
    }
}

#[test]
fn gil_runs_agree() {
    let (out, _) = run("gil", &[]);
    assert!(
        out.contains("with the GIL:") && out.contains("without the GIL:"),
        "{out}"
    );
    assert!(
        line(&out, "gil:").starts_with("gil: done, checksums agree"),
        "{out}"
    );
}

#[test]
fn time_slicing_runs_all_threads() {
    let (out, _) = run("time_slicing", &[]);
    let last = line(&out, "time slicing:");
    let n = numbers(last);
    let (threads, cores) = (n[0], n[1]);
    assert_eq!(threads, 2 * cores + 1, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains(": cpu ")).count() as u64,
        threads,
        "{out}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn time_slicing_on_one_core() {
    let (out, _) = run("time_slicing", &["--cores", "1"]);
    assert!(
        out.starts_with("pinned with sched_setaffinity to CPUs ["),
        "{out}"
    );
    assert!(
        line(&out, "time slicing:").starts_with("time slicing: 3 threads on 1 core(s)"),
        "{out}"
    );
}

#[test]
fn wakeup_times_every_placement_each_round_and_compares_them() {
    let (out, _) = run("wakeup", &[]);
    let two_cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) > 1;
    let kinds: &[&str] = if two_cpus {
        &["any CPU", "one CPU", "two CPUs"]
    } else {
        &["any CPU", "one CPU"]
    };
    for round in 1..=3 {
        let l = line(&out, &format!("round {round}:"));
        for kind in kinds {
            assert!(l.contains(&format!("{kind} ")), "{l}");
        }
    }
    let median = line(&out, "median:");
    assert!(kinds.iter().all(|k| median.contains(k)), "{out}");
    let last = out.lines().last().unwrap_or_default();
    if two_cpus {
        assert!(last.starts_with("A wake-up on the other CPU cost"), "{out}");
    } else {
        assert!(last.starts_with("Only one CPU"), "{out}");
    }
}

#[test]
fn async_wait_overlaps_every_wait_and_shows_the_stall() {
    let (out, _) = run("async_wait", &["--waits", "500", "--block-ms", "100"]);
    let tasks = line(&out, "async:");
    assert!(
        tasks.starts_with("async: 500 waits of 500 ms") && tasks.contains("threads alive: 1;"),
        "{out}"
    );
    let threads = line(&out, "threads:");
    assert!(threads.starts_with("threads: 500 waits"), "{out}");
    // All 500 asleep at once, beside the main thread.
    let alive = numbers(threads.split("threads alive:").nth(1).unwrap())[0];
    assert!(alive > 500, "{out}");
    assert!(
        line(&out, "stall:").starts_with("stall: a 100 ms computation inline in a task"),
        "{out}"
    );
    assert!(line(&out, "cure:").contains("spawn_blocking"), "{out}");
    assert_eq!(
        out.lines().last(),
        Some("async_wait: done, checksums agree"),
        "{out}"
    );
}

#[test]
fn start_forks_in_place_spawns_with_a_copy_and_every_sum_agrees() {
    let (out, _) = run("start", &[]);
    assert_eq!(
        line(&out, "fork: the child saw"),
        "fork: the child saw 7, wrote 99 and read 99 back; the parent still has 7 (copy-on-write)"
    );
    assert!(
        line(&out, "spawn:").contains("sent through a pipe"),
        "{out}"
    );
    assert!(line(&out, "forkserver:").contains("per request"), "{out}");
    assert!(line(&out, "start:").ends_with("every sum agrees"), "{out}");
}
