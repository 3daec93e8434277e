//! A payload to a worker process and back: every size returns byte for byte
//! in every encoding; a payload too large for memory is refused before
//! anything starts; a worker killed mid-transfer is a clear error; and no
//! worker or shared-memory file is left behind on any path.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use common::{assert_reaped, children_of, exe};
use tvp::costs::serialization::{Echo, Encoding};
use tvp::costs::start::payload;

/// The leak checks count this process's children and the shared-memory
/// files: one test at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// This process's serialization workers, running or zombie.
fn workers() -> Vec<(u32, char)> {
    children_of(std::process::id())
        .into_iter()
        .filter(|&(pid, _)| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains("serial-"))
        })
        .collect()
}

/// Drops `echo` and checks its worker is reaped and its file removed.
fn assert_cleaned_up(echo: Echo) {
    let (pid, file) = (echo.peer_pid(), echo.region_path().map(PathBuf::from));
    let what = echo.encoding().name();
    drop(echo);
    assert_reaped(pid, what);
    if let Some(file) = file {
        assert!(!file.exists(), "{what}: {} left behind", file.display());
    }
}

/// The shared-memory files of the suite that exist now.
fn shm_files() -> BTreeSet<PathBuf> {
    std::fs::read_dir("/dev/shm")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("tvp-shm-"))
        })
        .collect()
}

#[test]
fn every_size_comes_back_byte_for_byte_in_every_encoding() {
    let _one = serial();
    // Every size the bench sends: 8 B to 64 MiB, JSON to its bench maximum.
    for encoding in Encoding::ALL {
        for size in encoding.sizes() {
            let expected = payload(size);
            let mut echo = Echo::new(encoding, size, Some(exe())).unwrap();
            assert_eq!(echo.payload(), &expected[..]);
            for round in 0..2 {
                let back = echo.round_trip().unwrap();
                assert!(
                    back == &expected[..],
                    "{} at {size} B, round {round}: {} bytes back, first difference at {:?}",
                    encoding.name(),
                    back.len(),
                    back.iter().zip(&expected).position(|(a, b)| a != b)
                );
            }
            assert_cleaned_up(echo);
        }
    }
    assert!(workers().is_empty(), "{:?}", workers());
}

#[test]
fn a_payload_too_large_for_memory_is_refused_before_anything_starts() {
    let _one = serial();
    let before = shm_files();
    for encoding in Encoding::ALL {
        let err = Echo::new(encoding, 1 << 50, Some(exe()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("GiB of memory") && err.contains("use a smaller payload"),
            "{}: {err}",
            encoding.name()
        );
    }
    assert!(workers().is_empty(), "{:?}", workers());
    let new: Vec<_> = shm_files().difference(&before).cloned().collect();
    assert!(new.is_empty(), "shared-memory files appeared: {new:?}");
}

#[test]
fn a_worker_killed_mid_transfer_is_a_clear_error_and_leaves_nothing() {
    let _one = serial();
    let size = 4 << 20;
    for encoding in Encoding::ALL {
        let mut echo = Echo::with_fault(encoding, size, Some(exe()), 1 << 20).unwrap();
        let pid = echo.peer_pid();
        let err = echo.round_trip().unwrap_err().to_string();
        assert!(
            err.contains(&format!("peer process {pid} (died mid-transfer)"))
                && err.contains("killed by signal 9"),
            "{}: {err}",
            encoding.name()
        );
        // It stays an error, and says so again.
        assert!(echo.round_trip().is_err());
        assert_cleaned_up(echo);
    }
    assert!(workers().is_empty(), "{:?}", workers());
}

#[test]
fn a_worker_that_was_told_a_length_too_large_says_so() {
    let _one = serial();
    // The binary worker reads a frame length first: a length no memory
    // holds is an error message and an exit, not an abort.
    let out = std::process::Command::new(exe())
        .args(["peer", "serial-binary"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(&u64::MAX.to_le_bytes())?;
            drop(stdin);
            child.wait_with_output()
        })
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not fit in memory"), "{err}");
}
