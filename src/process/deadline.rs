//! How long the parent waits for a child: one [`Deadline`] per run, from
//! one place.
//!
//! Every wait of the process machinery has it: for a reply (the `process`
//! backend's children, a pool's task, a memory cell), and for a child to
//! exit after its last reply. A child that passes it is taken to hang: it
//! is killed and reaped, and the error says the deadline and where it came
//! from, so a user whose machine is just slow knows what to change.
//!
//! Where it comes from, first match wins:
//! 1. `--deadline` on the command line, or [`ENV`] (`TVP_DEADLINE=90s`);
//! 2. scaled from the job's expected time: [`SCALE`] times the sequential
//!    run's, and never under [`FLOOR`] (a sweep measures the sequential
//!    reference first, then scales its deadline with [`Deadline::scaled`]);
//! 3. before anything is measured, [`Deadline::DEFAULT`].
//!
//! A task of a process backend runs a chunk of the job, so it takes at most
//! about the whole job's time, stretched by time slicing when the workers
//! outnumber the cores: twenty times the sequential time is far past any
//! honest run, and well short of forever.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// The environment variable that sets the deadline, e.g. `TVP_DEADLINE=90s`.
pub const ENV: &str = "TVP_DEADLINE";

/// A scaled deadline is this many times the job's expected time...
pub const SCALE: u32 = 20;

/// ... and never less than this.
pub const FLOOR: Duration = Duration::from_secs(30);

/// Where a deadline came from: said in the error of a child that passed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Nothing measured yet: [`Deadline::DEFAULT`].
    Default,
    /// [`SCALE`] times this expected time, at least [`FLOOR`].
    Scaled(Duration),
    /// `--deadline` or [`ENV`].
    Asked,
    /// Set by the program itself (a test, a bench).
    Set,
}

/// How long the parent waits for a child, and why that long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub limit: Duration,
    pub source: Source,
}

impl Deadline {
    /// Ten minutes: the deadline before the job's time is known.
    pub const DEFAULT: Deadline = Deadline {
        limit: Duration::from_secs(600),
        source: Source::Default,
    };

    /// A deadline set by the program.
    pub const fn fixed(limit: Duration) -> Deadline {
        Deadline {
            limit,
            source: Source::Set,
        }
    }

    /// A deadline asked for by the user (`--deadline`, [`ENV`]).
    pub const fn asked(limit: Duration) -> Deadline {
        Deadline {
            limit,
            source: Source::Asked,
        }
    }

    /// This deadline, or one scaled from `expected` (the sequential run's
    /// time) when it is not the user's or the program's own choice.
    pub fn scaled(self, expected: Duration) -> Deadline {
        match self.source {
            Source::Default | Source::Scaled(_) => Deadline {
                limit: expected.saturating_mul(SCALE).max(FLOOR),
                source: Source::Scaled(expected),
            },
            Source::Asked | Source::Set => self,
        }
    }

    /// The deadline [`ENV`] asks for, if it is set and not empty.
    pub fn from_env() -> Result<Option<Deadline>> {
        match std::env::var(ENV) {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => parse(&text)
                .map(|d| Some(Deadline::asked(d)))
                .map_err(|e| Error::InvalidJob(format!("{ENV}={text}: {e}"))),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::InvalidJob(format!(
                "{ENV} is not valid text: set it to a duration such as 90s"
            ))),
        }
    }
}

impl From<Duration> for Deadline {
    fn from(limit: Duration) -> Self {
        Deadline::fixed(limit)
    }
}

/// "30s (20 x the sequential run's 1.2s, at least 30s; change it with
/// --deadline or TVP_DEADLINE)".
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = humantime::format_duration(round_ms(self.limit));
        write!(f, "{limit} (")?;
        match self.source {
            Source::Default => write!(f, "the default before anything is measured")?,
            Source::Scaled(expected) => write!(
                f,
                "{SCALE} x the sequential run's {}, at least {}",
                humantime::format_duration(round_ms(expected)),
                humantime::format_duration(FLOOR)
            )?,
            Source::Asked => write!(f, "as asked")?,
            Source::Set => write!(f, "set by the program")?,
        }
        write!(f, "; change it with --deadline or {ENV})")
    }
}

/// To the millisecond, so "1s 234ms 567us 890ns" reads "1s 234ms".
fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A deadline from the command line or [`ENV`]: a number of seconds
/// ("90", "2.5") or a duration with units ("90s", "500ms", "2m").
pub fn parse(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 1e9 => {
            Ok(Duration::from_secs_f64(secs))
        }
        Ok(_) => Err(()),
        Err(_) => humantime::parse_duration(text).map_err(|_| ()),
    };
    match parsed {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "`{text}` is not a deadline: give seconds (90) or a duration (90s, 500ms, 2m)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_deadline_follows_the_job_but_not_below_the_floor() {
        let quick = Deadline::DEFAULT.scaled(Duration::from_millis(100));
        assert_eq!(quick.limit, FLOOR);
        let slow = Deadline::DEFAULT.scaled(Duration::from_secs(10));
        assert_eq!(slow.limit, Duration::from_secs(10) * SCALE);
        let text = slow.to_string();
        assert!(text.contains("10s") && text.contains(ENV), "{text}");
        // The user's choice and the program's stay as they are.
        let asked = Deadline::asked(Duration::from_secs(2));
        assert_eq!(asked.scaled(Duration::from_secs(10)), asked);
        let set = Deadline::from(Duration::from_millis(500));
        assert_eq!(set.scaled(Duration::from_secs(10)), set);
        assert!(set.to_string().starts_with("500ms"), "{set}");
    }

    #[test]
    fn deadlines_parse_with_or_without_units() {
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse(" 500ms "), Ok(Duration::from_millis(500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        for bad in ["0", "-1", "soon", "", "nan", "1e300"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
