//! Time slicing: more runnable threads than cores, and the OS scheduler taking turns.
//!
//! Python: `threading.Thread` x (2 x os.cpu_count() + 1), each busy with CPU work (in
//! Python the GIL serialises them on top of this; here only the cores limit them).
//!
//! 2 x cores + 1 threads each run the same CPU loop and print their progress about every
//! 50 ms of wall time. A core runs one thread at a time, so the kernel gives each a few
//! milliseconds in turn: the threads advance together, each slower than alone.
//!
//! What to look for: the progress lines of all threads interleave and climb at the same
//! pace; each thread needs the CPU time of a thread alone but takes ~threads/cores times
//! as long in wall time. `--cores 1` confines the process (and so its threads) to one CPU
//! with `sched_setaffinity`: then one core time-slices them all.
//! Run: `cargo run --release --example time_slicing -- --cores 1`

use std::time::{Duration, Instant};

/// A pure CPU step, as in the gil example.
fn step(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..8 {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}

/// CPU time used so far by the calling thread (not wall time: waiting does not count).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `items` steps, printing progress every ~50 ms; returns (wall, cpu) time.
fn work(id: usize, items: u64, t0: Instant) -> (Duration, Duration) {
    let (start, cpu0) = (Instant::now(), thread_cpu());
    let (mut last, mut sum) = (start, 0u64);
    for batch in (0..items).step_by(4096) {
        sum = (batch..(batch + 4096).min(items))
            .map(step)
            .fold(sum, u64::wrapping_add);
        if last.elapsed() >= Duration::from_millis(50) {
            let pct = 100 * batch / items;
            println!("[{:5.2} s] thread {id}: {pct}%", t0.elapsed().as_secs_f64());
            last = Instant::now();
        }
    }
    std::hint::black_box(sum);
    (start.elapsed(), thread_cpu() - cpu0)
}

/// Confines this process to the first `k` CPUs it may use; returns the CPUs it is on.
#[cfg(target_os = "linux")]
fn confine(k: Option<usize>) -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; the calls get its true size and our own pid (0).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set);
        let mut cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect();
        if let Some(k) = k {
            cpus.truncate(k.max(1));
            libc::CPU_ZERO(&mut set);
            cpus.iter().for_each(|&c| libc::CPU_SET(c, &mut set));
            if libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) != 0 {
                eprintln!(
                    "sched_setaffinity failed: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
        cpus
    }
}

#[cfg(not(target_os = "linux"))]
fn confine(_k: Option<usize>) -> Vec<usize> {
    eprintln!("(--cores needs Linux's sched_setaffinity; running on all cores)");
    vec![]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let k = args
        .iter()
        .position(|a| a == "--cores")
        .and_then(|i| args.get(i + 1)?.parse().ok());
    let cpus = confine(k); // before spawning: threads inherit the affinity
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()); // sees the confinement
    let threads = 2 * cores + 1;
    let how = if k.is_some() {
        "pinned with sched_setaffinity to"
    } else {
        "may run on"
    };
    println!("{how} CPUs {cpus:?}: {cores} core(s), so {threads} threads must take turns");

    // Size the work to ~0.35 s of CPU per thread, whatever the build profile.
    let t = Instant::now();
    let mut items = 0;
    while t.elapsed() < Duration::from_millis(50) {
        std::hint::black_box((items..items + 4096).map(step).fold(0, u64::wrapping_add));
        items += 4096;
    }
    items *= 7;

    println!("-- one thread alone:");
    let (alone, _) = work(0, items, Instant::now());
    println!("-- {threads} threads at once:");
    let t0 = Instant::now();
    let times: Vec<(Duration, Duration)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|id| s.spawn(move || work(id, items, t0)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total = t0.elapsed();
    for (id, (wall, cpu)) in times.iter().enumerate() {
        let waited = 100.0 * (1.0 - cpu.as_secs_f64() / wall.as_secs_f64());
        println!(
            "thread {id}: cpu {:.2} s, wall {:.2} s: waited for a core {waited:.0}% of the time",
            cpu.as_secs_f64(),
            wall.as_secs_f64()
        );
    }
    println!(
        "time slicing: {threads} threads on {cores} core(s) took {:.2} s; one thread alone {:.2} s ({:.1}x, about {threads}/{cores} = {:.1}x expected)",
        total.as_secs_f64(),
        alone.as_secs_f64(),
        total.as_secs_f64() / alone.as_secs_f64(),
        threads as f64 / cores as f64
    );
}
