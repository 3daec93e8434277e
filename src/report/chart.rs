//! Charts as SVG text, drawn with plotters (no system fonts needed).
//!
//! Three shapes cover the report: [`LineChart`] (several series over a
//! numeric x axis, optionally dashed, optionally with error bars),
//! [`LogChart`] (the same over two log axes, for sizes and times that span
//! decades) and [`BarChart`] (one bar per label, optionally with error
//! bars). Legends sit in a panel to the right of the plot so they never
//! hide a line.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

/// Chart size in pixels; the page scales it to fit.
pub const SIZE: (u32, u32) = (760, 430);
const LEGEND_WIDTH: u32 = 240;
const FONT: &str = "sans-serif";

/// Okabe-Ito colours, distinguishable with the common colour blindnesses,
/// and two of Paul Tol's (wine, teal) for the async backends, before black
/// and grey, which the MPI backends keep.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(136, 34, 85),   // wine
    RGBColor(68, 170, 153),  // teal
    RGBColor(0, 0, 0),       // black
    RGBColor(120, 120, 120), // grey
];

/// Grey for reference lines (the ideal speedup).
pub const REFERENCE: RGBColor = RGBColor(150, 150, 150);

/// A colour per backend, the same in every chart and in every build: its
/// place in the backend registry, then among the backends behind features
/// this build lacks (so `mpi` keeps its colour in a report written by a
/// `tvp` built without the feature). Unknown names are grey.
pub fn backend_color(name: &str) -> RGBColor {
    let built = crate::backends::REGISTRY.iter().map(|e| e.name);
    let gated = crate::backends::not_built().map(|g| g.name);
    match built.chain(gated).position(|n| n == name) {
        Some(i) => PALETTE[i % PALETTE.len()],
        None => PALETTE[PALETTE.len() - 1],
    }
}

/// `c` halfway to white: a second line of the same backend.
pub fn lighter(c: RGBColor) -> RGBColor {
    let half = |v: u8| v + (255 - v) / 2;
    RGBColor(half(c.0), half(c.1), half(c.2))
}

/// A colour by index, for charts that are not about backends.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One point; `err` is a (low, high) interval drawn as an error bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub err: Option<(f64, f64)>,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Point { x, y, err: None }
    }
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    /// Dashed, for fitted or reference lines; solid lines also get markers.
    pub dashed: bool,
    pub points: Vec<Point>,
}

impl Series {
    pub fn solid(label: impl Into<String>, color: RGBColor, points: Vec<Point>) -> Self {
        Series {
            label: label.into(),
            color,
            dashed: false,
            points,
        }
    }

    pub fn dashed(label: impl Into<String>, color: RGBColor, points: Vec<Point>) -> Self {
        Series {
            dashed: true,
            ..Series::solid(label, color, points)
        }
    }
}

/// Several series over a numeric x axis.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Show y as a percentage (0.5 -> "50%").
    pub y_percent: bool,
    /// Label x ticks only at whole numbers (worker counts). Whole numbers
    /// from 1 spanning 16x or more (1 to 64 workers) are drawn on a log2
    /// scale, so that 1, 2 and 4 do not crowd into the left edge.
    pub x_integer: bool,
    /// Shift each solid series a little sideways so that error bars at the
    /// same x do not hide each other.
    pub dodge: bool,
}

/// One bar of a [`BarChart`].
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub err: Option<(f64, f64)>,
    pub color: RGBColor,
}

/// One bar per label, starting from zero.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    pub title: String,
    pub y_label: String,
    pub bars: Vec<Bar>,
}

fn chart_error(title: &str) -> impl Fn(&dyn std::fmt::Display) -> Error + '_ {
    move |e| Error::Chart {
        chart: title.to_string(),
        message: e.to_string(),
    }
}

macro_rules! try_draw {
    ($title:expr, $e:expr) => {
        $e.map_err(|e| chart_error($title)(&e))?
    };
}

/// A y range that shows every value and error bar, starting at zero.
fn y_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let max = values.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    let top = if max > 0.0 { max * 1.12 } else { 1.0 };
    0.0..top
}

fn format_y(v: f64, percent: bool) -> String {
    if percent {
        format!("{:.0}%", v * 100.0)
    } else if v.abs() >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Characters per legend line (16 px text in the legend panel).
const LEGEND_CHARS: usize = 22;

/// Splits `text` at spaces into lines of at most `width` characters (a
/// longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Draws the legend panel: a sample of each line and its label.
fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    series: &[Series],
) -> Result<()> {
    let text = (FONT, 16).into_font().color(&BLACK);
    let mut y = 50;
    for Series {
        label,
        color,
        dashed,
        ..
    } in series
    {
        let style = ShapeStyle::from(color).stroke_width(3);
        if *dashed {
            for x in (4..36).step_by(10) {
                try_draw!(
                    title,
                    area.draw(&PathElement::new(vec![(x, y), (x + 6, y)], style))
                );
            }
        } else {
            try_draw!(
                title,
                area.draw(&PathElement::new(vec![(4, y), (36, y)], style))
            );
            try_draw!(title, area.draw(&Circle::new((20, y), 4, style.filled())));
        }
        for line in wrap(label, LEGEND_CHARS) {
            try_draw!(
                title,
                area.draw(&Text::new(line, (44, y - 9), text.clone()))
            );
            y += 20;
        }
        y += 8;
    }
    Ok(())
}

/// Renders a line chart to SVG text.
pub fn line_chart(chart: &LineChart) -> Result<String> {
    let title = chart.title.as_str();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        try_draw!(title, root.fill(&WHITE));
        let (plot, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let log2 = chart.x_integer && wide_range(&chart.series);
        let tx = move |x: f64| if log2 { x.log2() } else { x };
        let xs = chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| tx(p.x)));
        let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let (x_min, x_max) = if x_min.is_finite() {
            (x_min, x_max)
        } else {
            (0.0, 1.0)
        };
        let pad = ((x_max - x_min) * 0.05).max(0.2);
        let ys = chart.series.iter().flat_map(|s| {
            s.points
                .iter()
                .map(|p| p.err.map_or(p.y, |(_, hi)| hi.max(p.y)))
        });
        let mut ctx = try_draw!(
            title,
            ChartBuilder::on(&plot)
                .caption(title, (FONT, 22))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d((x_min - pad)..(x_max + pad), y_range(ys))
        );
        let percent = chart.y_percent;
        let integer = chart.x_integer;
        let x_fmt = move |x: &f64| {
            if !integer {
                format!("{x}")
            } else if (x - x.round()).abs() >= 1e-9 {
                String::new()
            } else if log2 {
                format!("{}", x.round().exp2())
            } else {
                format!("{}", x.round())
            }
        };
        let x_desc = if log2 {
            format!("{} (log scale)", chart.x_label)
        } else {
            chart.x_label.clone()
        };
        let x_ticks = if integer {
            ((x_max - x_min).round() as usize + 1).min(12)
        } else {
            8
        };
        try_draw!(
            title,
            ctx.configure_mesh()
                .x_desc(x_desc.as_str())
                .y_desc(chart.y_label.as_str())
                .x_labels(x_ticks)
                .y_labels(8)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&|v| format_y(*v, percent))
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 17))
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.08))
                .draw()
        );
        let solid = chart.series.iter().filter(|s| !s.dashed).count();
        let step = if chart.dodge {
            (x_max - x_min + 2.0 * pad) * 0.008
        } else {
            0.0
        };
        let mut solid_index = 0;
        for s in &chart.series {
            let style = ShapeStyle::from(&s.color).stroke_width(if s.dashed { 2 } else { 3 });
            let shift = if s.dashed {
                0.0
            } else {
                solid_index += 1;
                step * (solid_index as f64 - (solid as f64 + 1.0) / 2.0)
            };
            let line: Vec<(f64, f64)> = s.points.iter().map(|p| (tx(p.x) + shift, p.y)).collect();
            if s.dashed {
                try_draw!(
                    title,
                    ctx.draw_series(DashedLineSeries::new(line, 8, 6, style))
                );
            } else {
                try_draw!(title, ctx.draw_series(LineSeries::new(line.clone(), style)));
                try_draw!(
                    title,
                    ctx.draw_series(line.iter().map(|&p| Circle::new(p, 4, style.filled())))
                );
            }
            try_draw!(
                title,
                ctx.draw_series(s.points.iter().filter_map(|p| {
                    p.err.map(|(lo, hi)| {
                        ErrorBar::new_vertical(
                            tx(p.x) + shift,
                            lo,
                            p.y,
                            hi,
                            style.stroke_width(2),
                            10,
                        )
                    })
                }))
            );
        }
        draw_legend(&legend, title, &chart.series)?;
        try_draw!(title, root.present());
    }
    Ok(svg)
}

/// Whether every x is at least 1 and the largest is 16 or more times the
/// smallest: a range a linear axis would crowd at its left.
fn wide_range(series: &[Series]) -> bool {
    let mut xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.x));
    let Some(first) = xs.next() else {
        return false;
    };
    let (lo, hi) = xs.fold((first, first), |(lo, hi), x| (lo.min(x), hi.max(x)));
    lo >= 1.0 && hi >= 16.0 * lo
}

/// Renders a bar chart to SVG text.
pub fn bar_chart(chart: &BarChart) -> Result<String> {
    let title = chart.title.as_str();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        try_draw!(title, root.fill(&WHITE));
        let n = chart.bars.len().max(1);
        let ys = chart
            .bars
            .iter()
            .map(|b| b.err.map_or(b.value, |(_, hi)| hi.max(b.value)));
        let mut ctx = try_draw!(
            title,
            ChartBuilder::on(&root)
                .caption(title, (FONT, 22))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d((0..n).into_segmented(), y_range(ys))
        );
        let labels: Vec<String> = chart.bars.iter().map(|b| b.label.clone()).collect();
        let x_fmt = move |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        try_draw!(
            title,
            ctx.configure_mesh()
                .disable_x_mesh()
                .y_desc(chart.y_label.as_str())
                .x_labels(n)
                .y_labels(8)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&|v| format_y(*v, false))
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 17))
                .bold_line_style(BLACK.mix(0.08))
                .draw()
        );
        try_draw!(
            title,
            ctx.draw_series(chart.bars.iter().enumerate().map(|(i, b)| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), b.value),
                    ],
                    b.color.filled(),
                );
                bar.set_margin(0, 0, 14, 14);
                bar
            }))
        );
        try_draw!(
            title,
            ctx.draw_series(chart.bars.iter().enumerate().filter_map(|(i, b)| {
                b.err.map(|(lo, hi)| {
                    ErrorBar::new_vertical(
                        SegmentValue::CenterOf(i),
                        lo,
                        b.value,
                        hi,
                        BLACK.stroke_width(2),
                        12,
                    )
                })
            }))
        );
        try_draw!(title, root.present());
    }
    Ok(svg)
}

/// How a log axis labels its ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ticks {
    /// Numbers, ticks at powers of 10: "0.1", "1", "1,000", "10,000".
    #[default]
    Plain,
    /// Bytes, ticks at powers of 8 ("8 B", "512 B", "32 KiB", "2 MiB"), or
    /// of 2 on an axis that spans less than four powers of 8.
    Bytes,
    /// Nanoseconds, ticks at powers of 10: "1 ns", "100 ns", "10 µs".
    Nanos,
}

impl Ticks {
    /// The base of the ticks on an axis from `lo` to `hi`.
    fn base(self, range: &std::ops::Range<f64>) -> f64 {
        match self {
            Ticks::Bytes if range.end >= 4096.0 * range.start => 8.0,
            Ticks::Bytes => 2.0,
            Ticks::Plain | Ticks::Nanos => 10.0,
        }
    }

    /// The tick's label; none between the powers of `base` (plotters adds
    /// such ticks when an axis spans little).
    fn label(self, v: f64, base: f64) -> String {
        let power = v.ln() / base.ln();
        if (power - power.round()).abs() > 1e-6 {
            return String::new();
        }
        match self {
            Ticks::Plain => decade_label(power.round() as i32),
            Ticks::Bytes => crate::report::explain::words::bytes(v.round() as u64),
            Ticks::Nanos => crate::report::explain::words::ns(v),
        }
    }
}

/// The label of the decade `k` (10^k): "1", "10", "1,000", "0.01".
fn decade_label(k: i32) -> String {
    if k >= 0 {
        crate::report::explain::words::thousands(10u64.pow(k.unsigned_abs()))
    } else {
        format!("{:.*}", k.unsigned_abs() as usize, 10f64.powi(k))
    }
}

/// Several series over two log axes: every x and y must be above zero
/// (points that are not are left out).
#[derive(Debug, Clone, Default)]
pub struct LogChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub x_ticks: Ticks,
    pub y_ticks: Ticks,
}

/// The range `lo..hi` of the positive `values`, widened by `pad` times on
/// each side; 1..10 when there are none.
fn log_range(values: impl Iterator<Item = f64>, pad: f64) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo.is_finite() {
        (lo / pad)..(hi * pad)
    } else {
        1.0..10.0
    }
}

/// Renders a log-log chart to SVG text.
pub fn log_chart(chart: &LogChart) -> Result<String> {
    use plotters::coord::combinators::IntoLogRange;
    let title = chart.title.as_str();
    let positive = |p: &&Point| p.x > 0.0 && p.y > 0.0 && p.x.is_finite() && p.y.is_finite();
    let points = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter(positive))
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        try_draw!(title, root.fill(&WHITE));
        let (plot, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let x = log_range(points().map(|p| p.x), 1.3);
        let y = log_range(points().map(|p| p.y), 1.5);
        let (x_base, y_base) = (chart.x_ticks.base(&x), chart.y_ticks.base(&y));
        let (x, y) = (x.log_scale().base(x_base), y.log_scale().base(y_base));
        let mut ctx = try_draw!(
            title,
            ChartBuilder::on(&plot)
                .caption(title, (FONT, 22))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(72)
                .build_cartesian_2d(x, y)
        );
        let (x_ticks, y_ticks) = (chart.x_ticks, chart.y_ticks);
        try_draw!(
            title,
            ctx.configure_mesh()
                .x_desc(format!("{} (log scale)", chart.x_label))
                .y_desc(format!("{} (log scale)", chart.y_label))
                .x_labels(12)
                .y_labels(8)
                .x_label_formatter(&|v| x_ticks.label(*v, x_base))
                .y_label_formatter(&|v| y_ticks.label(*v, y_base))
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 17))
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.08))
                .draw()
        );
        for s in &chart.series {
            let style = ShapeStyle::from(&s.color).stroke_width(if s.dashed { 2 } else { 3 });
            let line: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter(positive)
                .map(|p| (p.x, p.y))
                .collect();
            if s.dashed {
                try_draw!(
                    title,
                    ctx.draw_series(DashedLineSeries::new(line.clone(), 8, 6, style))
                );
            } else {
                try_draw!(title, ctx.draw_series(LineSeries::new(line.clone(), style)));
            }
            try_draw!(
                title,
                ctx.draw_series(line.iter().map(|&p| Circle::new(p, 4, style.filled())))
            );
        }
        draw_legend(&legend, title, &chart.series)?;
        try_draw!(title, root.present());
    }
    Ok(svg)
}

/// Writes SVG text to `path`.
pub fn write_svg(path: &Path, svg: &str) -> Result<()> {
    super::write_atomic(path, svg.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_has_its_own_colour_built_or_not() {
        let mut names: Vec<&str> = crate::backends::REGISTRY
            .iter()
            .map(|e| e.name)
            .chain(crate::backends::GATED.iter().map(|g| g.name))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut colours: Vec<(u8, u8, u8)> = names
            .iter()
            .map(|n| {
                let c = backend_color(n);
                (c.0, c.1, c.2)
            })
            .collect();
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), names.len(), "{names:?}");
    }

    #[test]
    fn line_chart_has_its_title_labels_and_legend() {
        let chart = LineChart {
            title: "primes: speedup".into(),
            x_label: "workers".into(),
            y_label: "speedup".into(),
            series: vec![
                Series::solid(
                    "rayon",
                    backend_color("rayon"),
                    vec![
                        Point::new(1.0, 1.0),
                        Point {
                            x: 2.0,
                            y: 1.9,
                            err: Some((1.8, 2.0)),
                        },
                    ],
                ),
                Series::dashed(
                    "Amdahl fit",
                    REFERENCE,
                    vec![Point::new(1.0, 1.0), Point::new(2.0, 1.95)],
                ),
            ],
            y_percent: false,
            x_integer: true,
            dodge: true,
        };
        let svg = line_chart(&chart).unwrap();
        for text in ["primes: speedup", "workers", "rayon", "Amdahl fit", "<svg"] {
            assert!(svg.contains(text), "missing {text}");
        }
    }

    #[test]
    fn worker_counts_from_1_to_64_get_a_log_scale_labelled_with_the_counts() {
        let points = |xs: &[f64]| xs.iter().map(|&x| Point::new(x, x)).collect();
        let chart = |xs: &[f64]| LineChart {
            title: "latency: speedup".into(),
            x_label: "workers".into(),
            y_label: "speedup".into(),
            series: vec![Series::solid(
                "threads",
                backend_color("threads"),
                points(xs),
            )],
            y_percent: false,
            x_integer: true,
            dodge: false,
        };
        // The texts of an SVG, trimmed.
        let texts = |svg: String| -> Vec<String> {
            svg.split("</text>")
                .filter_map(|t| Some(t.rsplit_once('>')?.1.trim().to_string()))
                .collect()
        };
        let wide = texts(line_chart(&chart(&[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0])).unwrap());
        for label in ["workers (log scale)", "1", "2", "4", "8", "16", "32", "64"] {
            assert!(wide.iter().any(|t| t == label), "no {label} in {wide:?}");
        }
        let narrow = texts(line_chart(&chart(&[1.0, 2.0, 3.0, 4.0])).unwrap());
        assert!(narrow.iter().any(|t| t == "workers"), "{narrow:?}");
        assert!(narrow.iter().any(|t| t == "3"), "{narrow:?}");
    }

    #[test]
    fn long_legend_labels_wrap_at_spaces() {
        assert_eq!(
            wrap("Amdahl fit, pool: serial 10.0%", 22),
            vec!["Amdahl fit, pool:", "serial 10.0%"]
        );
        assert_eq!(wrap("short", 22), vec!["short"]);
        assert_eq!(
            wrap("averyveryverylongwordindeed x", 10),
            vec!["averyveryverylongwordindeed", "x"]
        );
    }

    #[test]
    fn empty_charts_still_render() {
        let chart = LineChart {
            title: "empty".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![],
            y_percent: true,
            x_integer: true,
            dodge: false,
        };
        assert!(line_chart(&chart).unwrap().contains("empty"));
        let bars = BarChart {
            title: "none".into(),
            y_label: "ms".into(),
            bars: vec![],
        };
        assert!(bar_chart(&bars).unwrap().contains("none"));
    }

    #[test]
    fn a_log_chart_labels_sizes_and_times_and_skips_what_a_log_cannot_show() {
        let chart = LogChart {
            title: "time per byte".into(),
            x_label: "payload".into(),
            y_label: "time per byte".into(),
            series: vec![Series::solid(
                "binary",
                color(0),
                vec![
                    Point::new(8.0, 2000.0),
                    Point::new(4096.0, 5.0),
                    Point::new(64.0 * 1024.0 * 1024.0, 0.3),
                    Point::new(0.0, 1.0),
                ],
            )],
            x_ticks: Ticks::Bytes,
            y_ticks: Ticks::Nanos,
        };
        let svg = log_chart(&chart).unwrap();
        for text in [
            "time per byte",
            "payload (log scale)",
            "binary",
            "8 B",
            "4 KiB",
            "16 MiB",
            "1.00 ns",
            "100 ns",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        let empty = LogChart::default();
        assert!(log_chart(&empty).unwrap().contains("<svg"));
    }

    #[test]
    fn bar_chart_labels_each_bar() {
        let chart = BarChart {
            title: "spawn cost".into(),
            y_label: "microseconds".into(),
            bars: vec![
                Bar {
                    label: "thread".into(),
                    value: 20.0,
                    err: Some((18.0, 25.0)),
                    color: color(0),
                },
                Bar {
                    label: "process".into(),
                    value: 900.0,
                    err: None,
                    color: color(1),
                },
            ],
        };
        let svg = bar_chart(&chart).unwrap();
        assert!(svg.contains("thread") && svg.contains("process") && svg.contains("spawn cost"));
    }
}
