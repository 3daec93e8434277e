//! Sentences on the exchange (compute, then all-reduce B bytes, every step),
//! written from measured numbers: where communication overtakes compute on
//! each transport, which transport was fastest at the largest buffer, and
//! what a bandwidth limit between hosts cost. Pure: numbers in, text out.

use crate::report::explain::words;

/// One transport's time per step at every buffer size it was measured at.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// What it is, for a reader ("MPI ranks, shared memory").
    pub label: String,
    /// Measured with a bandwidth limit on the links between hosts.
    pub limited: bool,
    /// Across (simulated) hosts.
    pub across_hosts: bool,
    /// (buffer bytes, seconds per step, seconds of it computing), by size.
    pub points: Vec<(u64, f64, f64)>,
}

/// Where communication (a step minus its compute) first took longer than
/// the compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crossover {
    /// At the smallest buffer already.
    Always { bytes: u64 },
    /// At `bytes`, and not at `below`, the size before it.
    At { bytes: u64, below: u64 },
    /// Not up to the largest buffer.
    Never { largest: u64 },
}

impl Line {
    /// Where communication overtook compute, or `None` with no points.
    pub fn crossover(&self) -> Option<Crossover> {
        let over = |&(_, step, compute): &(u64, f64, f64)| step - compute > compute;
        let first = self.points.iter().position(over);
        Some(match first {
            Some(0) => Crossover::Always {
                bytes: self.points[0].0,
            },
            Some(i) => Crossover::At {
                bytes: self.points[i].0,
                below: self.points[i - 1].0,
            },
            None => Crossover::Never {
                largest: self.points.last()?.0,
            },
        })
    }

    fn at(&self, bytes: u64) -> Option<(f64, f64)> {
        self.points
            .iter()
            .find(|p| p.0 == bytes)
            .map(|&(_, step, compute)| (step, compute))
    }
}

/// The share of a step spent communicating, 0 to 1.
pub fn communication_share(step: f64, compute: f64) -> f64 {
    if step <= 0.0 {
        0.0
    } else {
        ((step - compute) / step).clamp(0.0, 1.0)
    }
}

fn secs(s: f64) -> String {
    words::ns(s * 1e9)
}

/// Where communication overtook compute on `line`, as one sentence.
pub fn crossover_sentence(line: &Line) -> Option<String> {
    let label = words::capitalise(&line.label);
    let step = |bytes| {
        let (step, compute) = line.at(bytes)?;
        Some(format!(
            "{} a step, {} of it computing",
            secs(step),
            secs(compute)
        ))
    };
    Some(match line.crossover()? {
        Crossover::Always { bytes } => format!(
            "{}: communication took longer than compute from the smallest buffer, {} ({}).",
            label,
            words::bytes(bytes),
            step(bytes)?
        ),
        Crossover::At { bytes, below } => format!(
            "{}: communication overtook compute at {} ({}); at {} it was {} of the step.",
            label,
            words::bytes(bytes),
            step(bytes)?,
            words::bytes(below),
            {
                let (s, c) = line.at(below)?;
                words::percent(communication_share(s, c))
            }
        ),
        Crossover::Never { largest } => format!(
            "{}: compute took longer than communication at every size up to {} ({}).",
            label,
            words::bytes(largest),
            step(largest)?
        ),
    })
}

/// The buffer size at which communication overtook compute, for ordering:
/// `Always` is 0, `Never` past every size.
fn crossover_bytes(line: &Line) -> Option<u64> {
    Some(match line.crossover()? {
        Crossover::Always { .. } => 0,
        Crossover::At { bytes, .. } => bytes,
        Crossover::Never { .. } => u64::MAX,
    })
}

/// Every sentence for the exchange chart: one per transport, the fastest
/// and slowest at the largest common buffer, the limit's cost, and whether
/// the order of the crossovers is the textbook's.
pub fn explain(lines: &[Line]) -> Vec<String> {
    let mut text: Vec<String> = lines.iter().filter_map(crossover_sentence).collect();
    let largest = lines
        .iter()
        .filter_map(|l| l.points.last().map(|p| p.0))
        .min();
    if let Some(largest) = largest {
        let at: Vec<(&Line, f64)> = lines
            .iter()
            .filter_map(|l| Some((l, l.at(largest)?.0)))
            .collect();
        let fastest = at.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        let slowest = at.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(f), Some(s)) = (fastest, slowest)
            && at.len() > 1
        {
            text.push(format!(
                "At {}, a step took {} on {} and {} on {}, {:.1}x as long.",
                words::bytes(largest),
                secs(f.1),
                f.0.label,
                secs(s.1),
                s.0.label,
                s.1 / f.1.max(1e-12)
            ));
        }
        let hosts = lines.iter().find(|l| l.across_hosts && !l.limited);
        let limited = lines.iter().find(|l| l.across_hosts && l.limited);
        if let (Some(h), Some(l)) = (hosts, limited)
            && let (Some((hs, _)), Some((ls, _))) = (h.at(largest), l.at(largest))
        {
            let ratio = ls / hs.max(1e-12);
            text.push(if ls > hs {
                format!(
                    "The bandwidth limit made a {} step across the simulated hosts {:.1}x as \
                     long ({} against {}){}.",
                    words::bytes(largest),
                    ratio,
                    secs(ls),
                    secs(hs),
                    if ratio >= 2.0 {
                        ": the link, not the protocol, set the pace"
                    } else {
                        ": the limit cost something, but the protocol and the machine took \
                         most of the step"
                    }
                )
            } else {
                format!(
                    "With the bandwidth limit a {} step across the simulated hosts took {} \
                     against {} without: not slower, so the limit did not bind here (the \
                     simulated link was no faster than the limit, or the run was noisy).",
                    words::bytes(largest),
                    secs(ls),
                    secs(hs)
                )
            });
        }
    }
    // The textbook: the cheaper the path, the larger the buffer before
    // communication overtakes compute; shared memory among threads last.
    let threads = lines
        .iter()
        .find(|l| !l.across_hosts && l.label.starts_with("threads"));
    let limited = lines.iter().find(|l| l.across_hosts && l.limited);
    if let (Some(t), Some(l)) = (threads, limited)
        && let (Some(tb), Some(lb)) = (crossover_bytes(t), crossover_bytes(l))
    {
        text.push(if tb == 0 && lb == 0 {
            "No order to read here: communication took longer than compute from the smallest \
             buffer on threads as well as across the limited link, so the step's fixed costs \
             (barriers, waiting for the other participants) outweighed its compute; a busy \
             machine does that. Run the bench again on a quiet machine."
                .to_string()
        } else if tb >= lb {
            "As expected, the cheaper the path, the larger the buffer before communication \
             overtakes compute: threads reading shared memory held out at least as long as \
             ranks behind a limited link."
                .to_string()
        } else {
            "Not what the textbook expects: communication overtook compute at a smaller buffer \
             among threads than across the limited link. Threads synchronise at two barriers a \
             step, which a busy machine stretches; run the bench again on a quiet machine."
                .to_string()
        });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, across: bool, limited: bool, points: &[(u64, f64, f64)]) -> Line {
        Line {
            label: label.into(),
            limited,
            across_hosts: across,
            points: points.to_vec(),
        }
    }

    #[test]
    fn the_crossover_is_the_first_size_where_communication_is_longer() {
        let l = line(
            "pipes",
            false,
            false,
            &[
                (8, 0.0011, 0.001),
                (1024, 0.0015, 0.001),
                (1 << 20, 0.003, 0.001),
            ],
        );
        assert_eq!(
            l.crossover(),
            Some(Crossover::At {
                bytes: 1 << 20,
                below: 1024
            })
        );
        let text = crossover_sentence(&l).unwrap();
        assert!(
            text.contains("overtook compute at 1 MiB (3.00 ms a step, 1.00 ms of it computing)"),
            "{text}"
        );
        assert!(text.contains("at 1 KiB it was 33% of the step"), "{text}");
        let never = line("threads", false, false, &[(8, 0.0011, 0.001)]);
        assert!(
            crossover_sentence(&never)
                .unwrap()
                .contains("at every size up to 8 B")
        );
        let always = line("limited", true, true, &[(8, 0.003, 0.001)]);
        assert!(
            crossover_sentence(&always)
                .unwrap()
                .contains("from the smallest buffer")
        );
        assert_eq!(line("x", false, false, &[]).crossover(), None);
    }

    #[test]
    fn the_largest_buffer_the_limit_and_the_textbook_order_are_named() {
        let lines = [
            line(
                "threads",
                false,
                false,
                &[(8, 0.001, 0.001), (64, 0.0012, 0.001)],
            ),
            line(
                "hosts",
                true,
                false,
                &[(8, 0.0012, 0.001), (64, 0.004, 0.001)],
            ),
            line(
                "hosts, limited",
                true,
                true,
                &[(8, 0.0025, 0.001), (64, 0.008, 0.001)],
            ),
        ];
        let text = explain(&lines).join(" ");
        for expected in [
            "At 64 B, a step took 1.20 ms on threads and 8.00 ms on hosts, limited, 6.7x as long.",
            "made a 64 B step across the simulated hosts 2.0x as long (8.00 ms against 4.00 ms)",
            "As expected",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
    }

    #[test]
    fn a_limit_that_does_not_slow_and_threads_that_lose_are_said_plainly() {
        let lines = [
            line("threads", false, false, &[(8, 0.003, 0.001)]),
            line("hosts", true, false, &[(8, 0.002, 0.001)]),
            line("hosts, limited", true, true, &[(8, 0.0015, 0.001)]),
        ];
        let text = explain(&lines).join(" ");
        assert!(text.contains("did not bind"), "{text}");
        assert!(text.contains("Not what the textbook expects"), "{text}");
        let both = [
            line("threads", false, false, &[(8, 0.003, 0.001)]),
            line("hosts, limited", true, true, &[(8, 0.003, 0.001)]),
        ];
        assert!(explain(&both).join(" ").contains("No order to read"));
    }
}
