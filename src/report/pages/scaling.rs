//! The front page: for every CPU- and memory-bound workload the scaling
//! bench measured, speedup, efficiency and absolute time against the worker
//! count, each explained from its numbers; a summary table; `results.json`
//! and `results.csv`. IO-bound workloads have their own page (`io.rs`).

use std::path::Path;

use crate::error::Result;
use crate::report::chart::{self, LineChart, Mark, Point, Series, Unit};
use crate::report::compare::{self, Other};
use crate::report::explain::compare as compare_words;
use crate::report::explain::scaling::{self as explain, Curve, Timing};
use crate::report::explain::words;
use crate::report::pages::io;
use crate::report::pages::workload::{Workload, workers_chart};
use crate::report::results;
use crate::report::{Drawn, Figure, Page, PageOut, ReportInput, amdahl, html};
use crate::workloads::Kind;

/// The scaling page (`index.html`).
#[derive(Debug, Clone, Copy)]
pub struct Scaling;

pub const JSON_FILE: &str = results::JSON_FILE;
pub const CSV_FILE: &str = "results.csv";

impl Page for Scaling {
    fn name(&self) -> &'static str {
        "scaling"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let mut all_rows = Vec::new();
        let mut notes = Vec::new();
        let mut sections = String::new();
        let mut summary = Vec::new();
        let mut drawn = Drawn::new(out);
        for entry in crate::workloads::REGISTRY
            .iter()
            .filter(|e| e.kind != Kind::Io)
        {
            let (rows, workload_notes) =
                results::workload_rows(&input.scan, entry.name, &entry.kind.to_string());
            notes.extend(workload_notes);
            if rows.is_empty() {
                continue;
            }
            let w = Workload::new(entry.name, &rows, input.cores);
            sections.push_str(&w.section(entry.teaches, input.other.as_ref(), &mut drawn)?);
            summary.push(w.summary_row());
            all_rows.extend(rows);
        }
        if all_rows.is_empty() {
            return Ok(None);
        }
        let probes: Vec<(&str, _)> = crate::workloads::REGISTRY
            .iter()
            .filter(|e| all_rows.iter().any(|r| r.workload == e.name))
            .filter_map(|e| Some((e.name, input.scan.run(e.name)?.core_sharing.clone()?)))
            .collect();
        notes.extend(results::core_sharing_note(&probes));
        results::write_json(&all_rows, &out.join(JSON_FILE))?;
        results::write_csv(&all_rows, &out.join(CSV_FILE))?;
        if all_rows.iter().any(|r| r.quick) {
            notes.insert(
                0,
                "Measured in quick mode (smaller sizes, fewer samples): a first look, not \
                 figures to quote. Run `cargo bench` for the full measurement."
                    .into(),
            );
        }
        let mut body = format!(
            "<p>Each workload was run by every backend at several worker counts on this \
             machine's {} cores (<code>cargo bench --bench scaling</code>). Speedup is the \
             sequential time divided by the backend's time; efficiency is speedup per worker. \
             Every run's checksum matched the sequential one.</p>\n",
            input.cores
        );
        if io::present(input, out) {
            body.push_str(&format!(
                "<p>IO-bound workloads, swept past the core count, are on the \
                 <a href=\"{}\">IO-bound page</a>.</p>\n",
                io::FILE
            ));
        }
        if let Some(other) = &input.other {
            body.push_str(&compared(input, other, out));
        }
        body.push_str("<h2>Summary</h2>\n");
        body.push_str(&html::table(
            &[
                "workload",
                "kind",
                "size",
                "sequential",
                "best at the core count",
                "speedup",
                "efficiency",
                "scaling stops at",
                "gil at most",
            ],
            &summary,
        ));
        body.push_str(&format!(
            "<p>All numbers: <a href=\"{JSON_FILE}\">{JSON_FILE}</a>, \
             <a href=\"{CSV_FILE}\">{CSV_FILE}</a> (one row per workload, backend and worker \
             count; times in milliseconds).</p>\n"
        ));
        body.push_str(&sections);
        let figures = drawn.into_figures();
        Ok(Some(PageOut {
            claims: Vec::new(),
            file: "index.html".into(),
            title: "Threads vs processes: scaling on this machine".into(),
            nav: "Scaling".into(),
            body,
            notes,
            figures,
        }))
    }
}

impl Workload<'_> {
    /// The other machine's best speedup on this workload as a dashed line
    /// in `chart`, its core count marked, and the sentence comparing the
    /// two best speedups; nothing when it did not measure this workload.
    fn beside(&self, other: &Other, speedups: &[Curve], chart: &mut LineChart) -> Vec<String> {
        let Some((backend, points)) = other.best_speedup(self.name) else {
            return vec![format!(
                "{} did not measure {}.",
                words::capitalise(&other.name()),
                self.name
            )];
        };
        let other_cores = other.machine.logical_cores;
        chart.series.push(Series::dashed(
            format!("{backend}, other machine"),
            chart::lighter(chart::backend_color(&backend)),
            points
                .iter()
                .map(|&(w, s)| Point::new(w as f64, s))
                .collect(),
        ));
        if other_cores != self.cores {
            let mut mark = Mark::cores(other_cores, "the other machine");
            mark.color = chart::REFERENCE;
            chart.marks.push(mark);
        }
        let best_here = speedups
            .iter()
            .flat_map(|c| c.points.iter().map(move |&(w, s)| (c, w, s)))
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let best_there = points.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        match (best_here, best_there) {
            (Some((c, w, s)), Some(&(ow, os))) => vec![compare_words::speedups(
                self.name,
                &compare_words::Best {
                    backend: c.backend.clone(),
                    speedup: s,
                    workers: w,
                    cores: self.cores,
                },
                &compare_words::Best {
                    backend,
                    speedup: os,
                    workers: ow,
                    cores: other_cores,
                },
                "the other machine",
            )],
            _ => Vec::new(),
        }
    }

    /// The backend fastest at the comparison point and its Amdahl fit.
    fn fit(&self, speedups: &[Curve]) -> Option<(String, f64)> {
        let at = explain::comparison_point(speedups, self.cores)?;
        let best = speedups
            .iter()
            .filter(|c| c.at(at).is_some())
            .max_by(|a, b| a.at(at).unwrap_or(0.0).total_cmp(&b.at(at).unwrap_or(0.0)))?;
        amdahl::fit_serial_fraction(&best.points, self.cores).map(|f| (best.backend.clone(), f))
    }

    fn section(&self, teaches: &str, other: Option<&Other>, drawn: &mut Drawn) -> Result<String> {
        let name = self.name;
        let speedups = self.curves(|r| r.speedup);
        let efficiencies = self.curves(|r| r.efficiency);
        let fit = self.fit(&speedups);
        let counts = self.worker_counts();
        let mut s = self.intro(teaches);
        if self.sequential.is_some() {
            // Speedup.
            let mut series = self.speedup_series();
            let ideal = counts
                .iter()
                .map(|&w| Point::new(w as f64, w.min(self.cores) as f64))
                .collect();
            series.push(Series::dashed(
                format!("ideal ({} cores)", self.cores),
                chart::REFERENCE,
                ideal,
            ));
            if let Some((backend, f)) = &fit {
                let pts = counts
                    .iter()
                    .map(|&w| Point::new(w as f64, amdahl::speedup(*f, w, self.cores)))
                    .collect();
                series.push(Series::dashed(
                    format!("Amdahl fit, {backend}: serial {:.1}%", 100.0 * f),
                    chart::backend_color(backend),
                    pts,
                ));
            }
            let fit_ref = fit.as_ref().map(|(b, f)| (b.as_str(), *f));
            let all_points: Vec<(usize, f64)> = speedups
                .iter()
                .flat_map(|c| c.points.iter().copied())
                .collect();
            let core_counts = amdahl::core_counts(&all_points, self.cores);
            let spread = |r: &&crate::report::results::ResultRow| {
                (r.median_ms > 0.0).then(|| r.spread_of_median())
            };
            let cell_spreads: Vec<(String, usize, f64)> = self
                .rows
                .iter()
                .filter(|r| r.backend != "sequential")
                .filter_map(|r| Some((r.backend.clone(), r.workers, spread(&r)?)))
                .collect();
            let cx = explain::SpeedupContext {
                fit: fit_ref,
                core_counts: &core_counts,
                baseline_spread: self.sequential.and_then(|r| spread(&r)),
                spread: cell_spreads.iter().map(|c| c.2).reduce(f64::max),
                kind: &self.rows[0].kind,
                cell_spreads: &cell_spreads,
                speed_change: self.rows.iter().find_map(|r| r.speed_change),
                core_sharing: self.rows.iter().find_map(|r| r.core_sharing.as_ref()),
            };
            let mut sentences = explain::speedup(self.cores, &speedups, &cx);
            let mut chart = workers_chart(
                name,
                "speedup over sequential",
                Unit::Plain,
                series,
                self.cores,
            );
            if let Some(other) = other {
                sentences.extend(self.beside(other, &speedups, &mut chart));
            }
            s.push_str(
                &drawn.add(
                    Figure::new(
                        format!("speedup/{name}"),
                        format!("scaling-{name}-speedup.svg"),
                        format!("{name}: speedup by workers"),
                        chart,
                    )
                    .with_sentences(sentences)
                    .with_claims(explain::speedup_claims(self.cores, &speedups, &cx)),
                )?,
            );
            // Efficiency.
            let mut series =
                self.backend_series(|r| Point::new(r.workers as f64, r.efficiency.unwrap_or(0.0)));
            let full = counts.iter().map(|&w| Point::new(w as f64, 1.0)).collect();
            series.push(Series::dashed("100%", chart::REFERENCE, full));
            s.push_str(
                &drawn.add(
                    Figure::new(
                        format!("efficiency/{name}"),
                        format!("scaling-{name}-efficiency.svg"),
                        format!("{name}: efficiency by workers"),
                        workers_chart(
                            name,
                            "efficiency (speedup / workers)",
                            Unit::Percent,
                            series,
                            self.cores,
                        ),
                    )
                    .with_sentences(explain::efficiency(self.cores, &efficiencies))
                    .with_claims(explain::efficiency_claims(
                        self.cores,
                        &efficiencies,
                        &speedups,
                        &cx,
                    )),
                )?,
            );
        }
        // Absolute time with confidence intervals.
        let mut series = self.backend_series(|r| Point {
            x: r.workers as f64,
            y: r.median_ms,
            err: Some((r.ci_low_ms, r.ci_high_ms)),
        });
        if let Some(seq) = self.sequential {
            let line = counts
                .iter()
                .map(|&w| Point::new(w as f64, seq.median_ms))
                .collect();
            series.push(Series::dashed(
                format!("sequential, {}", words::ms(seq.median_ms)),
                chart::backend_color("sequential"),
                line,
            ));
        }
        let timings: Vec<Timing> = self
            .rows
            .iter()
            .map(|r| Timing {
                backend: r.backend.clone(),
                workers: r.workers,
                median_ms: r.median_ms,
                low_ms: r.ci_low_ms,
                high_ms: r.ci_high_ms,
                previous_change: r.previous_change,
            })
            .collect();
        s.push_str(
            &drawn.add(
                Figure::new(
                    format!("time/{name}"),
                    format!("scaling-{name}-time.svg"),
                    format!("{name}: time per run by workers"),
                    workers_chart(
                        name,
                        "time per run (median and CI)",
                        Unit::Millis,
                        series,
                        self.cores,
                    ),
                )
                .with_sentences(explain::times(&timings)),
            )?,
        );
        s.push_str(&self.table(&counts));
        Ok(s)
    }

    fn summary_row(&self) -> Vec<String> {
        let first = &self.rows[0];
        let speedups = self.curves(|r| r.speedup);
        let at = explain::comparison_point(&speedups, self.cores);
        let best = at.and_then(|at| {
            speedups
                .iter()
                .filter_map(|c| c.at(at).map(|s| (c, s)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(c, s)| (c, s, at))
        });
        let gil = speedups
            .iter()
            .find(|c| c.backend == "gil")
            .and_then(Curve::max);
        vec![
            self.name.to_string(),
            first.kind.clone(),
            first.size.map_or_else(|| "-".into(), words::thousands),
            self.sequential
                .map_or_else(|| "-".into(), |r| words::ms(r.median_ms)),
            best.map_or_else(
                || "-".into(),
                |(c, _, at)| format!("{} ({at} workers)", c.backend),
            ),
            best.map_or_else(|| "-".into(), |(_, s, _)| format!("{s:.2}x")),
            best.map_or_else(
                || "-".into(),
                |(_, s, at)| format!("{:.0}%", 100.0 * s / at as f64),
            ),
            best.map_or_else(
                || "-".into(),
                |(c, _, _)| match explain::scaling_stops(&c.points) {
                    Some(k) => words::workers(k),
                    None => "not within the sweep".into(),
                },
            ),
            gil.map_or_else(|| "-".into(), |(_, s)| format!("{s:.2}x")),
        ]
    }
}

/// The "beside another machine" section: which report, and what differs
/// between the two machines and why.
fn compared(input: &ReportInput, other: &Other, out: &Path) -> String {
    let sentences = compare_words::differences(
        &compare::facts(&input.machine),
        &compare::facts(&other.machine),
        "the other machine",
    );
    let items: String = sentences
        .iter()
        .map(|s| format!("<li>{}</li>", html::escape(s)))
        .collect();
    format!(
        "<h2 id=\"compared\">Beside {name}</h2>\n<p>Compared with the report in \
         <code>{dir}</code> ({cpu}, {cores} logical cores, measured {date}, revision \
         <code>{rev}</code>): each speedup chart below draws its best backend as a lighter \
         dashed line and marks its core count, and every other page with numbers draws its \
         figures beside this run's. {alike}</p>\n<p>What differs and why:</p>\n<ul>{items}</ul>\n",
        alike = html::escape(&crate::report::beside::like_for_like(input, other, out)),
        name = html::escape(&other.name()),
        dir = html::escape(&other.dir.display().to_string()),
        cpu = html::escape(&other.machine.cpu_brand),
        cores = other.machine.logical_cores,
        date = html::escape(&other.machine.date),
        rev = html::escape(&other.machine.git_revision),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Claim;
    use crate::report::claim::Outcome;
    use crate::report::criterion::Benchmark;
    use crate::report::datasets;

    /// The reference fixture's scaling page, its stream cells changed by
    /// `change` first; the first claim under each workload's speedup chart.
    fn speedup_claims(change: impl Fn(&mut Benchmark)) -> Vec<(String, Claim)> {
        let set = datasets::reference();
        let mut benchmarks = set.scan.benchmarks.clone();
        benchmarks
            .iter_mut()
            .filter(|b| b.group == "stream")
            .for_each(change);
        let mut input = ReportInput::made_up(benchmarks, set.scan.runs.clone());
        input.cores = set.cores;
        let dir = tempfile::tempdir().unwrap();
        let page = Scaling.build(&input, dir.path()).unwrap().unwrap();
        page.figures
            .iter()
            .filter(|f| f.id.starts_with("speedup/"))
            .map(|f| (f.id.clone(), f.claims[0].clone()))
            .collect()
    }

    fn claim<'a>(claims: &'a [(String, Claim)], id: &str) -> &'a Claim {
        &claims.iter().find(|(i, _)| i == id).unwrap().1
    }

    fn scale(b: &mut Benchmark, by: f64) {
        b.median_ns *= by;
        b.mean_ns *= by;
        b.ci_low_ns *= by;
        b.ci_high_ns *= by;
    }

    #[test]
    fn the_reference_speedups_name_the_reasons_their_data_supports() {
        let claims = speedup_claims(|_| {});
        // monte_carlo: process 2.06x on 2 cores, within the sequential
        // run's own interval: noise, and no cache on CPU-bound work.
        let mc = claim(&claims, "speedup/monte_carlo");
        assert_eq!(mc.outcome(), Outcome::WithinNoise, "{}", mc.sentence());
        assert!(!mc.sentence().contains("caches"), "{}", mc.sentence());
        assert_eq!(claim(&claims, "speedup/stream").outcome(), Outcome::Agrees);

        // stream's parallel cells twice as fast (3.56x on 2 cores), its
        // one-worker cells as before: the gain came with splitting the
        // memory-bound data, so caches, and no slowed baseline or noise.
        let split = speedup_claims(|b| {
            if b.value.as_deref() != Some("1") {
                scale(b, 0.5)
            }
        });
        let s = claim(&split, "speedup/stream").sentence();
        assert!(s.contains("process at 2 workers 3.5"), "{s}");
        assert!(s.contains("Likely reasons: caches"), "{s}");
        assert!(!s.contains("slowed") && !s.contains("noise"), "{s}");

        // stream's sequential run twice as slow: every one-worker cell now
        // beats it by far, so the baseline was slowed, and the split gained
        // nothing beyond that, so no caches.
        let slowed = speedup_claims(|b| {
            if b.function.as_deref() == Some("sequential") {
                scale(b, 2.0)
            }
        });
        let s = claim(&slowed, "speedup/stream").sentence();
        assert!(s.contains("a slowed sequential run"), "{s}");
        assert!(!s.contains("caches") && !s.contains("noise"), "{s}");
    }

    #[test]
    fn one_note_names_every_group_whose_probe_found_the_core_shared() {
        use crate::sweep::core_sharing::{CoreSharing, CpuProbe};
        let set = datasets::reference();
        let mut runs = set.scan.runs.clone();
        let probe = |independent_slowdown| CoreSharing {
            cpus: vec![CpuProbe {
                cpu: Some(0),
                independent_slowdown,
                chain_slowdown: 0.02,
            }],
            rounds: 30,
        };
        for run in &mut runs {
            run.core_sharing = match run.group.as_str() {
                "primes" => Some(probe(0.03)),
                "monte_carlo" => Some(probe(0.25)),
                "stream" => Some(probe(0.14)),
                _ => None,
            };
        }
        let mut input = ReportInput::made_up(set.scan.benchmarks.clone(), runs);
        input.cores = set.cores;
        let dir = tempfile::tempdir().unwrap();
        let page = Scaling.build(&input, dir.path()).unwrap().unwrap();
        let notes: Vec<&String> = page
            .notes
            .iter()
            .filter(|n| n.contains("core-sharing probe"))
            .collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("After monte_carlo and stream, the independent ones"),
            "{}",
            notes[0]
        );
    }
}
