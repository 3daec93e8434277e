//! How a process starts, seen from outside: every method answers with the
//! payload's checksum, a fork child's write to a copy-on-write page leaves
//! the parent's page unchanged, and no server or child is left behind, also
//! when the server dies.

mod common;

use common::{assert_reaped, children_of, exe};
use tvp::costs::spawn::LargeParent;
use tvp::costs::start::{self, CowProbe, Method, Starter, checksum, payload};

#[test]
fn a_fork_childs_write_leaves_the_parents_page_unchanged() {
    let mut pages = vec![7u8; 4 * 4096];
    let probe = start::cow_probe(&mut pages[4096..], 99).unwrap();
    assert_eq!(
        probe,
        CowProbe {
            child_saw: 7,
            child_after_write: 99,
            parent_after: 7,
        },
        "the child read the parent's byte, wrote its own, and the parent kept 7"
    );
    assert!(
        pages.iter().all(|&b| b == 7),
        "no byte of the parent changed"
    );
}

#[test]
fn every_method_answers_with_the_payloads_checksum() {
    for method in Method::ALL {
        for bytes in [0, 1, 100_003, 4 << 20] {
            let mut starter = Starter::new(method, bytes, Some(exe())).unwrap();
            for _ in 0..3 {
                assert_eq!(
                    starter.start().unwrap(),
                    checksum(&payload(bytes)),
                    "{} with {bytes} B",
                    method.name()
                );
            }
            let server = starter.server_pid();
            assert_eq!(
                server.is_some(),
                matches!(method, Method::Forkserver | Method::Pool)
            );
            drop(starter);
            if let Some(pid) = server {
                assert_reaped(pid, method.name());
            }
        }
    }
    // Spawned children and forked ones were reaped as they answered.
    let mine = std::process::id();
    let left: Vec<_> = children_of(mine)
        .into_iter()
        .filter(|&(pid, _)| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains("start-"))
        })
        .collect();
    assert!(left.is_empty(), "start peers left behind: {left:?}");
}

#[test]
fn a_large_parent_forks_and_its_child_reads_the_payload_in_place() {
    let big = LargeParent::new(64 << 20).unwrap();
    let mut fork = Starter::new(Method::Fork, 1 << 20, None).unwrap();
    assert_eq!(fork.start().unwrap(), checksum(&payload(1 << 20)));
    drop(big);
}

#[test]
fn a_fork_server_that_dies_is_a_clear_error_and_is_reaped() {
    for method in [Method::Forkserver, Method::Pool] {
        let mut starter = Starter::new(method, 64, Some(exe())).unwrap();
        starter.start().unwrap();
        let pid = starter.server_pid().unwrap();
        // SAFETY: kill(2) on our own child, still unreaped.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        let err = starter.start().unwrap_err().to_string();
        assert!(err.contains(&pid.to_string()), "{err}");
        assert!(
            err.contains("no answer") && err.contains("signal 9"),
            "{err}"
        );
        assert_reaped(pid, method.name());
    }
}

#[test]
fn a_parents_record_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(start::PARENTS_FILE);
    let parents = vec![
        start::Parent {
            touched_mib: 0,
            resident_mib: 30.5,
        },
        start::Parent {
            touched_mib: 256,
            resident_mib: 290.0,
        },
    ];
    start::write_parents(&path, &parents).unwrap();
    assert_eq!(start::read_parents(&path).unwrap(), parents);
    std::fs::write(&path, "{}").unwrap();
    let err = start::read_parents(&path).unwrap_err().to_string();
    assert!(err.contains("rerun the start-methods bench"), "{err}");
}
