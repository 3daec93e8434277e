//! Numbers as words: the one place the report formats a time, a size, a
//! rate, a ratio or a count for a reader. Every explainer and page uses
//! these, so the same quantity reads the same on every page.

use std::time::Duration;

/// Milliseconds with sensible precision: "3.42 ms", "42.1 ms", "420 ms".
pub fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// A duration in milliseconds, as [`ms`] writes them.
pub fn duration_ms(d: Duration) -> String {
    ms(d.as_secs_f64() * 1e3)
}

/// Seconds in milliseconds, as [`ms`] writes them.
pub fn secs_as_ms(seconds: f64) -> String {
    ms(seconds * 1e3)
}

/// "850 ns", "12.3 µs", "4.56 ms", "1.20 s"; a negative value (a
/// difference of two times) keeps its unit: "-31.1 µs".
pub fn ns(ns: f64) -> String {
    if ns < 0.0 {
        return format!("-{}", self::ns(-ns));
    }
    let sig = |x: f64| {
        if x >= 100.0 {
            format!("{x:.0}")
        } else if x >= 10.0 {
            format!("{x:.1}")
        } else {
            format!("{x:.2}")
        }
    };
    if ns < 1e3 {
        format!("{} ns", sig(ns))
    } else if ns < 1e6 {
        format!("{} µs", sig(ns / 1e3))
    } else if ns < 1e9 {
        format!("{} ms", sig(ns / 1e6))
    } else {
        format!("{} s", sig(ns / 1e9))
    }
}

/// A fraction as a whole percentage: 0.873 -> "87%".
pub fn percent(fraction: f64) -> String {
    format!("{:.0}%", 100.0 * fraction)
}

/// How much longer `b` is than `a`, signed: "+12%", "-3%".
pub fn percent_more(a: Duration, b: Duration) -> String {
    let pct = 100.0 * (b.as_secs_f64() / a.as_secs_f64().max(1e-12) - 1.0);
    format!("{pct:+.0}%")
}

/// A speedup, or "n/a" when there is none: "1.87x".
pub fn speedup(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".into(), |s| format!("{s:.2}x"))
}

/// A ratio for a reader: "1.30x", "12.4x", "310x".
pub fn ratio(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}x")
    } else if v >= 10.0 {
        format!("{v:.1}x")
    } else {
        format!("{v:.2}x")
    }
}

/// A relative spread either side: 0.029 -> "±2.9%", 0.12 -> "±12%".
pub fn plus_minus(fraction: f64) -> String {
    let p = 100.0 * fraction;
    if p < 10.0 {
        format!("±{p:.1}%")
    } else {
        format!("±{p:.0}%")
    }
}

/// "350 MB/s", "2.10 GB/s" (decimal units).
pub fn bytes_per_sec(rate: f64) -> String {
    if rate >= 1e9 {
        format!("{:.2} GB/s", rate / 1e9)
    } else if rate >= 1e6 {
        format!("{:.0} MB/s", rate / 1e6)
    } else {
        format!("{:.0} kB/s", rate / 1e3)
    }
}

/// "64 B", "4 KiB", "1 MiB", "1 GiB".
pub fn bytes(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

/// A size rounded for a reader, in binary units: "512 B", "16 MiB",
/// "2.0 GiB".
pub fn bytes_approx(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 && value.fract() != 0.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Megabytes of memory: "640 kB" below one MB, else "4.2 MB".
pub fn megabytes(mb: f64) -> String {
    if mb.abs() < 1.0 {
        format!("{:.0} kB", mb * 1024.0)
    } else {
        format!("{mb:.1} MB")
    }
}

/// Kilobytes of memory with sensible precision: "0.41 kB", "9.5 kB",
/// "120 kB", and [`megabytes`] from 1,024 kB: "3.1 MB".
pub fn kilobytes(kb: f64) -> String {
    match kb.abs() {
        a if a < 10.0 => format!("{kb:.2} kB"),
        a if a < 100.0 => format!("{kb:.1} kB"),
        a if a < 1024.0 => format!("{kb:.0} kB"),
        _ => megabytes(kb / 1024.0),
    }
}

/// A ratio: "1.6x" below ten, "24x" above.
pub fn times(ratio: f64) -> String {
    if ratio.abs() < 10.0 {
        format!("{ratio:.1}x")
    } else {
        format!("{ratio:.0}x")
    }
}

/// A number to `digits` significant digits, no exponent: 0.947 -> "0.95",
/// 1.84 -> "1.8", 12.4 -> "12", 310 -> "310" (two digits).
pub fn significant(v: f64, digits: u32) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    // Rounding can carry into the next power of ten (0.996 -> "1.00"): the
    // digits are then counted from there.
    let text = format!("{v:.decimals$}");
    let rounded: f64 = text.parse().unwrap_or(v);
    if rounded.abs() >= 10f64.powi(magnitude + 1) && decimals > 0 {
        format!("{v:.prec$}", prec = decimals - 1)
    } else {
        text
    }
}

/// A ratio of two runs' numbers, two significant digits: "0.95x", "1.8x",
/// "12x", "310x" (a 5% difference reads as one, where [`times`] would round
/// 0.95 to "0.9x" or "1.0x").
pub fn ratio2(ratio: f64) -> String {
    format!("{}x", significant(ratio, 2))
}

/// A plain quantity (a speedup, a rate in the chart's own unit), three
/// significant digits with thousands separators past a thousand: "0.125",
/// "1.87", "42.5", "1,250".
pub fn plain(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let rounded = v.abs().round() as u64;
        format!("{}{}", if v < 0.0 { "-" } else { "" }, thousands(rounded))
    } else {
        significant(v, 3)
    }
}

/// Mebibytes of memory, whole: "1050 MiB".
pub fn mebibytes(mib: f64) -> String {
    format!("{mib:.0} MiB")
}

/// "12.3 M ops/s", "850 k ops/s".
pub fn ops_per_sec(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.1} M ops/s", rate / 1e6)
    } else {
        format!("{:.0} k ops/s", rate / 1e3)
    }
}

/// 3000000 -> "3,000,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 worker", "4 workers".
pub fn workers(n: usize) -> String {
    if n == 1 {
        "1 worker".into()
    } else {
        format!("{n} workers")
    }
}

/// "4 threads", "1 process", "2 ranks": what `backend`'s workers are, from
/// its registry entry; "workers" for a name the registry does not know.
pub fn workers_of(backend: &str, n: usize) -> String {
    let (one, many) =
        crate::backends::entry(backend).map_or(("worker", "workers"), |e| e.worker.nouns());
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "a", "a and b", "a, b and c".
pub fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "rayon's", "threads'".
pub fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// "time slicing" -> "Time slicing".
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(and_list(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
        assert_eq!(possessive("rayon"), "rayon's");
        assert_eq!(possessive("threads"), "threads'");
    }

    #[test]
    fn times_in_ns_pick_a_unit_and_keep_the_sign() {
        assert_eq!(ns(850.0), "850 ns");
        assert_eq!(ns(12_345.0), "12.3 µs");
        assert_eq!(ns(-31_054.31), "-31.1 µs");
        assert_eq!(ns(1.2e9), "1.20 s");
    }

    #[test]
    fn sizes_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1200), "1,200");
        assert_eq!(thousands(40_000_000), "40,000,000");
    }

    #[test]
    fn times_keep_three_significant_figures_or_so() {
        assert_eq!(ms(3.421), "3.42 ms");
        assert_eq!(ms(42.14), "42.1 ms");
        assert_eq!(ms(420.4), "420 ms");
        assert_eq!(duration_ms(Duration::from_micros(1500)), "1.50 ms");
        assert_eq!(secs_as_ms(0.25), "250 ms");
        assert_eq!(ns(850.0), "850 ns");
        assert_eq!(ns(12_345.0), "12.3 µs");
        assert_eq!(ns(4_560_000.0), "4.56 ms");
    }

    #[test]
    fn memory_and_ratios_read_at_any_scale() {
        assert_eq!(kilobytes(0.412), "0.41 kB");
        assert_eq!(kilobytes(9.54), "9.54 kB");
        assert_eq!(kilobytes(12.34), "12.3 kB");
        assert_eq!(kilobytes(120.4), "120 kB");
        assert_eq!(kilobytes(3.1 * 1024.0), "3.1 MB");
        assert_eq!(times(1.62), "1.6x");
        assert_eq!(times(23.7), "24x");
    }

    #[test]
    fn ratios_of_two_runs_keep_two_significant_digits() {
        assert_eq!(ratio2(1.8 / 1.9), "0.95x");
        assert_eq!(ratio2(1.84), "1.8x");
        assert_eq!(ratio2(0.996), "1.0x");
        assert_eq!(ratio2(9.97), "10x");
        assert_eq!(ratio2(12.4), "12x");
        assert_eq!(ratio2(310.0), "310x");
        assert_eq!(ratio2(0.0123), "0.012x");
        assert_eq!(plain(0.125), "0.125");
        assert_eq!(plain(1.874), "1.87");
        assert_eq!(plain(42.46), "42.5");
        assert_eq!(plain(1250.4), "1,250");
    }

    #[test]
    fn sizes_round_to_a_readable_unit() {
        assert_eq!(bytes_approx(512), "512 B");
        assert_eq!(bytes_approx(16 << 20), "16 MiB");
        assert_eq!(bytes_approx(2 << 30), "2 GiB");
        assert_eq!(bytes_approx(3 << 29), "1.5 GiB");
    }

    #[test]
    fn workers_are_named_by_what_they_are() {
        assert_eq!(workers_of("threads", 4), "4 threads");
        assert_eq!(workers_of("pool", 1), "1 process");
        assert_eq!(workers_of("sequential", 1), "1 worker");
        assert_eq!(workers_of("no-such-backend", 2), "2 workers");
        assert_eq!(workers(1), "1 worker");
    }
}
