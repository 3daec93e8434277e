//! A claim is data, not prose: a sentence that compares, ranks or gives a
//! direction, kept with the numbers it is about and the relation it
//! expects, so the page can only say what those numbers show.
//!
//! A [`Claim`] holds the measured [`Value`]s (each with its run-to-run
//! spread when known), the [`Expect`]ed relation between them, a tolerance
//! below which a difference counts as none, the mechanism to name when the
//! numbers agree and the likely reasons to name when they do not. Its
//! [`Claim::sentence`] is computed from those: "As expected, ..." with the
//! numbers, or "Expected ..., measured ..." with the reasons the caller
//! could support from data. [`Claim::check`] is what the tests run on every
//! rendered claim of every page: the sentence names each number and its
//! verdict is the one the numbers give.
//!
//! Why here and not in `explain/`: a claim is a value the pages publish
//! beside their figures (see [`crate::report::Figure::claims`]), like the
//! figure's numbers; the `explain/` files build claims from plain numbers.
//! Only the mechanism (`because`) and the expectation's wording are typed
//! into the source, and neither may hold a digit.

use crate::report::explain::words;

/// How a number reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// Milliseconds.
    Ms,
    /// Nanoseconds.
    Ns,
    /// A speedup: "1.87x".
    Speedup,
    /// A fraction shown as a percentage.
    Percent,
    /// Bytes per second.
    BytesPerSec,
    /// Operations per second.
    OpsPerSec,
    /// A plain ratio: "3.1x".
    Ratio,
    /// Memory in kilobytes (1024 bytes): "9.5 kB", "3.1 MB".
    Kilobytes,
}

impl Unit {
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Ms => words::ms(v),
            Unit::Ns => words::ns(v),
            Unit::Speedup => words::speedup(Some(v)),
            Unit::Percent => words::percent(v),
            Unit::BytesPerSec => words::bytes_per_sec(v),
            Unit::OpsPerSec => words::ops_per_sec(v),
            Unit::Ratio => words::ratio(v),
            Unit::Kilobytes => words::kilobytes(v),
        }
    }
}

/// One measured number a claim names.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// What it is: "threads at 2 workers".
    pub label: String,
    pub value: f64,
    pub unit: Unit,
    /// The run-to-run spread, as a share of the value (half the width of
    /// criterion's confidence interval over the median, see
    /// [`crate::report::criterion::Benchmark::spread`]), when known.
    pub spread: Option<f64>,
}

impl Value {
    pub fn new(label: impl Into<String>, value: f64, unit: Unit) -> Self {
        Value {
            label: label.into(),
            value,
            unit,
            spread: None,
        }
    }

    pub fn with_spread(mut self, spread: Option<f64>) -> Self {
        self.spread = spread;
        self
    }

    /// "threads at 2 workers 1.87x".
    pub fn text(&self) -> String {
        format!("{} {}", self.label, self.unit.format(self.value))
    }
}

/// The relation a claim expects between its values, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// Each value is larger than the next (a ranking, largest first).
    Descending,
    /// Each value is smaller than the next.
    Ascending,
    /// The first value is at most the second (plus the tolerance): a
    /// speedup at most its worker count, an efficiency at most 100%.
    AtMost,
    /// All values are the same within the tolerance.
    Level,
}

/// What the numbers say about the expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every step goes the expected way by more than the noise.
    Agrees,
    /// No step goes the wrong way by more than the noise, but some step
    /// is within it: this run cannot tell.
    WithinNoise,
    /// Some step goes the other way by more than the noise.
    Contradicts,
}

/// A comparing sentence as data. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The expectation in words, without numbers: "threads finish before
    /// process".
    pub expected: String,
    pub values: Vec<Value>,
    pub expect: Expect,
    /// A relative difference below this counts as none, even when the
    /// values' spreads are smaller.
    pub tolerance: f64,
    /// The mechanism, said when the numbers agree.
    pub because: String,
    /// Likely reasons, said when they do not: only those the caller's data
    /// supports (noise is added by the claim itself when it applies).
    pub reasons: Vec<String>,
}

/// The share below which a difference counts as none when nothing else is
/// known: differences of a few percent come and go between runs.
pub const TOLERANCE: f64 = 0.05;

/// A spread below this (half a percent) is not named as a reason: it
/// would print as "±0.0%".
const NAMED_SPREAD: f64 = 0.005;

impl Claim {
    pub fn new(expected: impl Into<String>, expect: Expect, values: Vec<Value>) -> Self {
        Claim {
            expected: expected.into(),
            values,
            expect,
            tolerance: TOLERANCE,
            because: String::new(),
            reasons: Vec::new(),
        }
    }

    pub fn because(mut self, mechanism: impl Into<String>) -> Self {
        self.because = mechanism.into();
        self
    }

    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Adds a likely reason for a disagreement; `None` (the data does not
    /// support it) adds nothing.
    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reasons.extend(reason);
        self
    }

    /// The noise between values `a` and `b`: the tolerance or the larger of
    /// their spreads, whichever is larger.
    fn noise(&self, a: &Value, b: &Value) -> f64 {
        let spread = a.spread.unwrap_or(0.0).max(b.spread.unwrap_or(0.0));
        self.tolerance.max(2.0 * spread)
    }

    /// What the values say about the expectation.
    pub fn outcome(&self) -> Outcome {
        let mut tie = false;
        let mut step = |a: &Value, b: &Value, up: bool| {
            let (x, y) = (a.value, b.value);
            let scale = x.abs().max(y.abs()).max(f64::MIN_POSITIVE);
            let diff = if up { y - x } else { x - y } / scale;
            let noise = self.noise(a, b);
            if diff < -noise {
                return true;
            }
            tie |= diff <= noise;
            false
        };
        let reversed = match self.expect {
            Expect::Descending => self.values.windows(2).any(|w| step(&w[0], &w[1], false)),
            Expect::Ascending => self.values.windows(2).any(|w| step(&w[0], &w[1], true)),
            Expect::AtMost => self.values.windows(2).take(1).any(|w| {
                let noise = self.noise(&w[0], &w[1]);
                // Above the bound, but by less than the noise: cannot tell.
                tie |= w[0].value > w[1].value;
                w[0].value > w[1].value * (1.0 + noise)
            }),
            Expect::Level => self.values.windows(2).any(|w| {
                let scale = w[0]
                    .value
                    .abs()
                    .max(w[1].value.abs())
                    .max(f64::MIN_POSITIVE);
                (w[0].value - w[1].value).abs() / scale > self.noise(&w[0], &w[1])
            }),
        };
        if reversed {
            Outcome::Contradicts
        } else if tie && self.expect != Expect::Level {
            Outcome::WithinNoise
        } else {
            Outcome::Agrees
        }
    }

    /// How far the values go the wrong way, as a share: the largest step
    /// against the expectation (for [`Expect::AtMost`], how far the first
    /// value is above the bound; for [`Expect::Level`], the largest step).
    /// Zero when nothing goes the wrong way.
    pub fn reversal(&self) -> f64 {
        let rel = |a: f64, b: f64| {
            let scale = a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
            (a - b) / scale
        };
        self.values
            .windows(2)
            .take(if self.expect == Expect::AtMost {
                1
            } else {
                usize::MAX
            })
            .map(|w| {
                let (x, y) = (w[0].value, w[1].value);
                match self.expect {
                    Expect::Descending => rel(y, x),
                    Expect::Ascending => rel(x, y),
                    Expect::AtMost if y > 0.0 => x / y - 1.0,
                    Expect::AtMost => 0.0,
                    Expect::Level => rel(x, y).abs(),
                }
            })
            .fold(0.0, f64::max)
    }

    /// The largest noise between neighbouring values, for the sentence.
    fn widest_noise(&self) -> f64 {
        self.values
            .windows(2)
            .map(|w| self.noise(&w[0], &w[1]))
            .fold(self.tolerance, f64::max)
    }

    fn measured(&self) -> String {
        let texts: Vec<String> = self.values.iter().map(Value::text).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        words::and_list(&refs)
    }

    /// The sentence, from the numbers.
    pub fn sentence(&self) -> String {
        let measured = self.measured();
        let reasons = |extra: Option<String>| {
            let mut all: Vec<String> = extra.into_iter().collect();
            all.extend(self.reasons.iter().cloned());
            if all.is_empty() {
                " This run does not show why: measure again on a quiet machine.".to_string()
            } else {
                let refs: Vec<&str> = all.iter().map(String::as_str).collect();
                format!(" Likely reasons: {}.", words::and_list(&refs))
            }
        };
        match self.outcome() {
            Outcome::Agrees => {
                let because = if self.because.is_empty() {
                    String::new()
                } else {
                    format!(" {}", words::capitalise(&self.because))
                };
                let because = if because.is_empty() || because.ends_with('.') {
                    because
                } else {
                    format!("{because}.")
                };
                format!("As expected, {}: {measured}.{because}", self.expected)
            }
            Outcome::WithinNoise => {
                let why = if self.reasons.is_empty() {
                    String::new()
                } else {
                    let refs: Vec<&str> = self.reasons.iter().map(String::as_str).collect();
                    format!(" Possible causes: {}.", words::and_list(&refs))
                };
                // Past ±100% a number says less than words: these values
                // moved more between runs than they are apart.
                let noise = self.widest_noise();
                let noise = if noise >= 1.0 {
                    "these values moved by more than their own size between runs".to_string()
                } else {
                    words::plus_minus(noise)
                };
                format!(
                    "Expected that {}; measured {measured}: a difference within the noise ({noise}), \
                     so this run cannot tell.{why}",
                    self.expected,
                )
            }
            Outcome::Contradicts => {
                let spread = self
                    .values
                    .iter()
                    .filter_map(|v| v.spread)
                    .fold(0.0, f64::max);
                // Noise is a likely reason only for a reversal of the same
                // order as the measured noise (twice the spread, see
                // `noise`): a gap many times the intervals is not explained
                // by them, whatever the claim's tolerance. (A contradiction
                // needs a spread under 50%, so this never prints past ±100%.)
                let noise = (spread >= NAMED_SPREAD && self.reversal() <= 2.0 * (2.0 * spread))
                    .then(|| {
                        format!(
                            "run-to-run noise (up to {} here)",
                            words::plus_minus(spread)
                        )
                    });
                format!(
                    "Expected that {}, but measured otherwise: {measured}.{}",
                    self.expected,
                    reasons(noise)
                )
            }
        }
    }

    /// Checks a rendered `text` against this claim's numbers: it names every
    /// value as formatted, states the verdict the numbers give, and the
    /// expectation's wording holds no typed number. The error says what
    /// disagrees.
    pub fn check(&self, text: &str) -> Result<(), String> {
        if self.expected.chars().any(|c| c.is_ascii_digit()) {
            return Err(format!(
                "the expectation {:?} types a number",
                self.expected
            ));
        }
        if self.because.chars().any(|c| c.is_ascii_digit()) {
            return Err(format!("the mechanism {:?} types a number", self.because));
        }
        for v in &self.values {
            if !text.contains(&v.text()) {
                return Err(format!("{text:?} does not name {:?}", v.text()));
            }
        }
        let agrees = text.starts_with("As expected");
        let says_measured = text.starts_with("Expected") && text.contains("measured");
        match self.outcome() {
            Outcome::Agrees if agrees => Ok(()),
            Outcome::WithinNoise | Outcome::Contradicts if says_measured && !agrees => Ok(()),
            outcome => Err(format!("{text:?} does not read as {outcome:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(a: f64, b: f64) -> Claim {
        Claim::new(
            "threads finish before process",
            Expect::Ascending,
            vec![
                Value::new("threads", a, Unit::Ms),
                Value::new("process", b, Unit::Ms),
            ],
        )
        .because("a process pays its spawn")
        .reason(Some("the spawn is small on this machine".into()))
    }

    #[test]
    fn a_claim_says_what_its_numbers_say() {
        let agrees = claim(100.0, 150.0);
        assert_eq!(agrees.outcome(), Outcome::Agrees);
        let s = agrees.sentence();
        assert_eq!(
            s,
            "As expected, threads finish before process: threads 100 ms and process 150 ms. \
             A process pays its spawn."
        );
        agrees.check(&s).unwrap();

        let reversed = claim(150.0, 100.0);
        assert_eq!(reversed.outcome(), Outcome::Contradicts);
        let s = reversed.sentence();
        assert!(
            s.starts_with("Expected that threads finish before process, but measured"),
            "{s}"
        );
        assert!(s.contains("the spawn is small"), "{s}");
        assert!(!s.contains("spawn\n"));
        reversed.check(&s).unwrap();
        // The agreeing sentence does not pass for the reversed numbers.
        assert!(reversed.check(&agrees.sentence()).is_err());

        let tie = claim(100.0, 102.0);
        assert_eq!(tie.outcome(), Outcome::WithinNoise);
        tie.check(&tie.sentence()).unwrap();
        assert!(tie.sentence().contains("cannot tell"));
    }

    #[test]
    fn spread_widens_the_noise_and_is_named() {
        let mut c = claim(100.0, 115.0);
        assert_eq!(c.outcome(), Outcome::Agrees);
        c.values[1].spread = Some(0.1);
        assert_eq!(c.outcome(), Outcome::WithinNoise);
        // Reversed by a little more than the noise: noise is a likely reason.
        let mut c = claim(108.0, 100.0);
        c.values[0].spread = Some(0.02);
        assert_eq!(c.outcome(), Outcome::Contradicts);
        assert!(
            c.sentence().contains("run-to-run noise"),
            "{}",
            c.sentence()
        );
        // Reversed by many times the noise: it does not explain that.
        let mut c = claim(150.0, 100.0);
        c.values[0].spread = Some(0.02);
        assert!(
            !c.sentence().contains("run-to-run noise"),
            "{}",
            c.sentence()
        );
        // Noise past ±100% is said in words.
        let mut c = claim(100.0, 150.0);
        c.values[1].spread = Some(0.8);
        assert_eq!(c.outcome(), Outcome::WithinNoise);
        assert!(
            c.sentence().contains("moved by more than their own size"),
            "{}",
            c.sentence()
        );
        // A spread that would print as ±0.0% is never named.
        let mut c = claim(108.0, 100.0);
        c.values[0].spread = Some(0.001);
        assert!(!c.sentence().contains("noise"), "{}", c.sentence());
    }

    #[test]
    fn at_most_and_level() {
        let c = Claim::new(
            "a speedup is at most the worker count",
            Expect::AtMost,
            vec![
                Value::new("speedup", 2.3, Unit::Speedup),
                Value::new("workers", 2.0, Unit::Ratio),
            ],
        );
        assert_eq!(c.outcome(), Outcome::Contradicts);
        c.check(&c.sentence()).unwrap();
        let c = Claim::new(
            "x",
            Expect::Level,
            vec![
                Value::new("a", 1.0, Unit::Ratio),
                Value::new("b", 1.01, Unit::Ratio),
            ],
        );
        assert_eq!(c.outcome(), Outcome::Agrees);
    }

    #[test]
    fn a_typed_number_fails_the_check() {
        let c = Claim::new("about 50x slower", Expect::Ascending, vec![]);
        assert!(c.check(&c.sentence()).is_err());
    }
}
