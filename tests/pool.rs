//! The process pool's lifecycle, as in Python's multiprocessing.Pool: close
//! lets queued tasks finish, terminate kills at once, drop terminates.

use std::path::Path;
use std::time::{Duration, Instant};

use tvp::process::pool::Pool;
use tvp::workloads::{Job, run_sequential};

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tvp"))
}

/// Whether a process with this pid still exists (a zombie counts).
fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A task that takes a long time in a worker: seconds of primes.
fn slow_job() -> Job {
    Job::new("primes").unwrap().with_size(2_000_000_000)
}

#[test]
fn close_then_join_finishes_every_queued_task() {
    let mut pool = Pool::new(exe(), 2).unwrap();
    let job = Job::new("primes").unwrap().with_size(20_000);
    let chunks = tvp::workloads::split(0..20_000, 10);
    for chunk in &chunks {
        pool.submit(&job, chunk.clone()).unwrap();
    }
    // More tasks than workers: most are still queued when we close.
    assert_eq!(pool.pending(), 10);
    pool.close();
    let pids = pool.pids();
    let results = pool.join().unwrap();
    assert_eq!(results.len(), 10, "every queued task ran to the end");
    let total: u64 = results.iter().map(|(_, sum)| sum).sum();
    assert_eq!(total, run_sequential(&job).unwrap());
    for pid in pids {
        assert!(!alive(pid), "worker {pid} was reaped after join");
    }
}

#[test]
fn submit_after_close_is_an_error() {
    let mut pool = Pool::new(exe(), 1).unwrap();
    pool.close();
    let err = pool
        .submit(&Job::new("primes").unwrap(), 0..10)
        .unwrap_err()
        .to_string();
    assert!(err.contains("closed"), "{err}");
    assert!(pool.join().unwrap().is_empty());
}

#[test]
fn join_before_close_is_an_error() {
    let mut pool = Pool::new(exe(), 1).unwrap();
    let err = pool.join().unwrap_err().to_string();
    assert!(err.contains("close()"), "{err}");
}

#[test]
fn terminate_kills_tasks_in_flight_promptly() {
    let mut pool = Pool::new(exe(), 2).unwrap();
    let pids = pool.pids();
    for _ in 0..4 {
        pool.submit(&slow_job(), 0..2_000_000_000).unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    pool.terminate();
    let took = start.elapsed();
    // Generous: terminate is a kill and a wait, not a wait for the tasks,
    // which would take minutes. This bounds a hang, not a speed.
    assert!(took < Duration::from_secs(10), "terminate took {took:?}");
    assert_eq!(pool.pending(), 0, "tasks in flight were dropped");
    for pid in pids {
        assert!(!alive(pid), "worker {pid} was killed and reaped");
    }
    assert!(
        pool.submit(&slow_job(), 0..1).is_err(),
        "a terminated pool takes no tasks"
    );
}

#[test]
fn dropping_a_pool_terminates_its_workers() {
    let pids = {
        let mut pool = Pool::new(exe(), 2).unwrap();
        pool.submit(&slow_job(), 0..2_000_000_000).unwrap();
        pool.pids()
    };
    for pid in pids {
        assert!(!alive(pid), "worker {pid} outlived its dropped pool");
    }
}

#[test]
fn results_come_back_for_every_task() {
    let mut pool = Pool::new(exe(), 3).unwrap();
    let job = Job::new("monte_carlo").unwrap().with_size(30_001);
    let ids: Vec<_> = tvp::workloads::split(0..30_001, 7)
        .into_iter()
        .map(|c| pool.submit(&job, c).unwrap())
        .collect();
    let mut got: Vec<_> = (0..ids.len()).map(|_| pool.recv().unwrap().0).collect();
    got.sort_unstable();
    assert_eq!(got, ids);
    assert!(
        pool.recv().is_err(),
        "recv with nothing pending is an error, not a hang"
    );
}

/// A job whose item 0 hangs inside a worker (see the `fault` workload).
fn hanging_job() -> Job {
    let mut job = Job::new("fault").unwrap().with_size(10);
    job.options.insert("fault".into(), "hang".into());
    job
}

#[test]
fn recv_timeout_kills_a_hung_worker_and_breaks_the_pool() {
    let mut pool = Pool::new(exe(), 2).unwrap();
    let pids = pool.pids();
    pool.submit(&hanging_job(), 0..10).unwrap();
    let err = pool
        .recv_timeout(Duration::from_millis(300))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("worker process {}", pids[0])) && err.contains("hung"),
        "{err}"
    );
    assert!(pool.is_broken());
    for pid in pids {
        assert!(!alive(pid), "worker {pid} was killed and reaped");
    }
}

#[test]
fn the_task_deadline_names_the_worker_that_ran_past_it() {
    let mut pool = Pool::new(exe(), 2).unwrap();
    pool.set_task_deadline(Some(Duration::from_millis(500)));
    let quick = Job::new("primes").unwrap().with_size(1_000);
    pool.submit(&quick, 0..1_000).unwrap();
    pool.submit(&hanging_job(), 0..10).unwrap();
    let hung = pool.pids()[1];
    assert_eq!(pool.recv().unwrap().1, 168, "the quick task still returns");
    let err = pool.recv().unwrap_err().to_string();
    assert!(
        err.contains(&format!("worker process {hung} (hung past the deadline)"))
            && err.contains("500ms"),
        "{err}"
    );
}

#[test]
fn a_broken_pool_refuses_submit_recv_and_join() {
    let mut pool = Pool::new(exe(), 1).unwrap();
    pool.submit(&hanging_job(), 0..10).unwrap();
    assert!(pool.recv_timeout(Duration::from_millis(100)).is_err());
    let job = Job::new("primes").unwrap();
    for err in [
        pool.submit(&job, 0..10).unwrap_err(),
        pool.recv().unwrap_err(),
        {
            pool.close();
            pool.join().unwrap_err()
        },
    ] {
        let err = err.to_string();
        assert!(err.contains("broken") && err.contains("new pool"), "{err}");
    }
    // terminate after a break, and then drop, are harmless.
    pool.terminate();
}

#[test]
fn dropping_a_pool_with_queued_and_running_tasks_is_prompt() {
    let mut pool = Pool::new(exe(), 2).unwrap();
    let pids = pool.pids();
    for _ in 0..6 {
        pool.submit(&hanging_job(), 0..10).unwrap();
    }
    let start = Instant::now();
    drop(pool);
    // Bounds a hang (the tasks never end), not a speed.
    assert!(start.elapsed() < Duration::from_secs(10));
    for pid in pids {
        assert!(!alive(pid), "worker {pid} outlived its dropped pool");
    }
}

#[test]
fn join_after_close_fails_cleanly_when_a_worker_dies() {
    let mut pool = Pool::new(exe(), 2).unwrap();
    let pids = pool.pids();
    let mut job = Job::new("fault").unwrap().with_size(10);
    job.options.insert("fault".into(), "exit".into());
    for _ in 0..4 {
        pool.submit(&job, 0..10).unwrap();
    }
    pool.close();
    let err = pool.join().unwrap_err().to_string();
    assert!(err.contains("exited with code 3"), "{err}");
    for pid in pids {
        assert!(!alive(pid), "worker {pid} was reaped");
    }
}
