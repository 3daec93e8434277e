//! A message to a sleeping thread costs more when the thread must be woken on another
//! CPU: a ping-pong between two threads, free, pinned to one CPU, and pinned to two.
//!
//! Python:
//! ```python
//! requests, answers = queue.Queue(), queue.Queue()
//! threading.Thread(target=lambda: [answers.put(requests.get()) for _ in range(N)]).start()
//! for i in range(N): requests.put(i); answers.get()      # each get() sleeps until woken
//! ```
//! Each side blocks on its channel until the other sends, so every message wakes a
//! sleeping thread. The scheduler likes to wake it on an idle CPU; then the waker must
//! interrupt that CPU, which may have to leave a sleep state first, and on a virtual
//! machine both go through the hypervisor: tens of microseconds. On one CPU the woken
//! thread simply runs when the sender blocks: a context switch, about a microsecond.
//! The same holds for pipes, sockets and `multiprocessing.Queue` between processes (the
//! report's costs page measures those), and it is why a lone client and server on
//! loopback can be slower than two pairs.
//!
//! What to look for: "two CPUs" against "one CPU"; "any CPU" is whichever the scheduler
//! chose, and may change from round to round. On the 2-core reference VM two CPUs took
//! 56 us a round trip and one CPU 2.8 us (medians, 16:31 UTC); on a machine whose CPUs
//! wake each other quickly they are close.
//! Run: `cargo run --release --example wakeup`

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const ROUND_TRIPS: usize = 2_000;
/// Measurements of each kind, alternated.
const ROUNDS: usize = 3;

/// Where the sender and the peer may run: a CPU each, or `None` for anywhere.
type Placement = (Option<usize>, Option<usize>);

/// Pins the calling thread to `cpu`, or leaves it free with `None`.
fn pin(cpu: Option<usize>) {
    let Some(cpu) = cpu else { return };
    // SAFETY: cpu_set_t is plain data; sched_setaffinity(0, ..) sets this thread's mask.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) != 0 {
            panic!(
                "cannot pin to CPU {cpu}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Median round trip of `ROUND_TRIPS` ping-pongs through two channels, between a
/// sender pinned to `cpus.0` and a peer pinned to `cpus.1` (`None`: free).
fn ping_pong(cpus: Placement) -> Duration {
    thread::scope(|s| {
        s.spawn(|| {
            pin(cpus.0);
            let (to_peer, peer_inbox) = mpsc::channel::<usize>();
            let (to_sender, sender_inbox) = mpsc::channel::<usize>();
            let peer = s.spawn(move || {
                pin(cpus.1);
                for message in peer_inbox {
                    if to_sender.send(message).is_err() {
                        break;
                    }
                }
            });
            let mut times = Vec::with_capacity(ROUND_TRIPS);
            for i in 0..ROUND_TRIPS {
                let start = Instant::now();
                to_peer.send(i).expect("the peer is alive");
                let answer = sender_inbox.recv().expect("the peer answers");
                times.push(start.elapsed());
                assert_eq!(answer, i);
            }
            drop(to_peer); // The peer's loop ends, and so does its thread.
            peer.join().expect("the peer thread finished");
            median(times)
        })
        .join()
        .expect("the sender thread finished")
    })
}

fn main() {
    let usable = tvp::sweep::affinity::usable().expect("read this process's CPUs");
    let cpus = usable.cpus();
    let (a, b) = (cpus[0], cpus.get(1).copied());
    let kinds: Vec<(&str, Placement)> = [
        Some(("any CPU", (None, None))),
        Some(("one CPU", (Some(a), Some(a)))),
        b.map(|b| ("two CPUs", (Some(a), Some(b)))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); kinds.len()];
    // Alternate, so that whatever else the machine does touches every kind alike.
    for round in 1..=ROUNDS {
        let mut line = format!("round {round}:");
        for ((name, cpus), times) in kinds.iter().zip(&mut times) {
            let t = ping_pong(*cpus);
            times.push(t);
            line += &format!(" {name} {:.1} us,", micros(t));
        }
        println!("{} per round trip", line.trim_end_matches(','));
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let summary: Vec<String> = kinds
        .iter()
        .zip(&medians)
        .map(|((name, _), t)| format!("{name} {:.1} us", micros(*t)))
        .collect();
    println!("median: {}", summary.join(", "));
    match medians.get(2) {
        None => println!("Only one CPU here: every wake-up is a switch on it."),
        Some(&two) => {
            let one = medians[1];
            println!(
                "A wake-up on the other CPU cost {:.1}x a switch on the same one{}",
                two.as_secs_f64() / one.as_secs_f64().max(1e-12),
                if two > one * 2 {
                    ": most of the cost of a message here."
                } else {
                    ": this machine's CPUs wake each other quickly."
                }
            );
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
