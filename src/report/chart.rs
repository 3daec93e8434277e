//! Charts as SVG text, drawn with plotters (no system fonts needed).
//!
//! Two shapes cover the report: [`LineChart`] (several series over a
//! numeric x axis, optionally dashed, optionally with error bars) and
//! [`BarChart`] (one bar per label, optionally with error bars). Legends
//! sit in a panel to the right of the plot so they never hide a line.
//!
//! # Axes are chosen from the data
//! A chart says what its numbers are (a [`Unit`] per axis), never which
//! scale to draw them on: [`Axis::fit`] picks it from the values. An axis
//! whose positive values span more than [`DECADES`] decades is drawn on a
//! log scale (a 125 ns bar beside a 67 µs one stays visible); counts
//! (workers, contenders) go to powers of two once they span
//! [`COUNT_SPAN`] times, so that 1, 2, 4 and 8 do not crowd into the left
//! edge of a 64-core sweep, and to powers of ten past [`COUNT_DECADES`]
//! decades (1 to 10,000 concurrent waits). Ticks read in the unit (64 B, 4 KiB, 1 MiB;
//! 125 ns, 67 µs, 1.5 ms; 50%), and are thinned until no two labels
//! overlap at the chart's size. A [`Mark`] draws a vertical line at an x
//! such as the machine's core count, with a labelled tick and a legend
//! entry.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    /// What the x values are (how the ticks read; a count axis spanning
    /// [`COUNT_SPAN`] times gets powers of two).
    pub x_unit: Unit,
    /// What the y values are.
    pub y_unit: Unit,
    /// Vertical lines at given x values, e.g. the core count.
    pub marks: Vec<Mark>,
    /// Shift each solid series a little sideways so that error bars at the
    /// same x do not hide each other.
    pub dodge: bool,
}

/// A vertical line across a [`LineChart`] at `at`, with a tick there and
/// `label` in the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub at: f64,
    pub label: String,
    pub color: RGBColor,
}

impl Mark {
    /// The core count of the machine `whose` ("this machine").
    pub fn cores(cores: usize, whose: &str) -> Self {
        let noun = if cores == 1 { "core" } else { "cores" };
        Mark {
            at: cores as f64,
            label: format!("{cores} {noun}: {whose}"),
            color: MARK,
        }
    }
}

/// The colour of [`Mark`] lines.
pub const MARK: RGBColor = RGBColor(60, 60, 60);

/// One bar of a [`BarChart`].
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub err: Option<(f64, f64)>,
    pub color: RGBColor,
    /// The same quantity on another machine, drawn as an outline over the
    /// bar (`tvp report --compare`).
    pub reference: Option<f64>,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: f64, color: RGBColor) -> Self {
        Bar {
            label: label.into(),
            value,
            err: None,
            color,
            reference: None,
        }
    }
}

/// One bar per label.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    pub title: String,
    pub y_label: String,
    pub y_unit: Unit,
    pub bars: Vec<Bar>,
    /// Whose numbers the [`Bar::reference`] outlines are ("the other
    /// machine (64 cores)"), for the key drawn above the plot when any bar
    /// has one.
    pub reference_label: String,
}

/// The height of the key strip above a bar chart with reference outlines.
const KEY_HEIGHT: u32 = 30;

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

/// An axis whose positive values span more than this many decades is
/// drawn on a log scale.
pub const DECADES: f64 = 2.0;

/// A count axis (workers) from `lo` to at least this many times `lo` is
/// drawn in powers of two.
pub const COUNT_SPAN: f64 = 8.0;

/// A count axis spanning more than this many decades (1 to 10,000
/// concurrent waits) is ticked at powers of ten instead: powers of two
/// would leave most of its points between ticks.
pub const COUNT_DECADES: f64 = 3.0;

/// What the numbers on an axis are: how its ticks read, and which scales
/// it may take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Unit {
    /// A plain number (a speedup, GB/s): "0.5", "20", "15k".
    #[default]
    Plain,
    /// A fraction shown as a percentage (0.5 -> "50%"); always linear.
    Percent,
    /// Whole numbers (workers, contenders, cores, waits); powers of two
    /// when wide, of ten past [`COUNT_DECADES`]; "1,000" past a thousand.
    Count,
    /// Bytes: "64 B", "4 KiB", "1.5 MiB"; ticks at powers of two when log.
    Bytes,
    /// Nanoseconds: "125 ns", "67 µs", "1.5 ms", "2 s".
    Nanos,
    /// Microseconds, labelled as [`Unit::Nanos`] are.
    Micros,
    /// Milliseconds, labelled as [`Unit::Nanos`] are.
    Millis,
}

/// A number with at most three significant digits, no trailing zeros:
/// 1.5, 67, 0.25, 1000.
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

impl Unit {
    /// The tick label for the value `v`.
    pub fn label(self, v: f64) -> String {
        if v == 0.0 {
            // Zero is zero in any unit: "0", not "0 ns".
            return "0".into();
        }
        let scaled = |units: &[(f64, &str)]| {
            let (size, name) = units
                .iter()
                .rev()
                .find(|(size, _)| v.abs() >= *size * 0.9999)
                .unwrap_or(&units[0]);
            format!("{} {name}", num(v / size)).trim_end().to_string()
        };
        match self {
            Unit::Plain if v.abs() >= 1e4 => {
                scaled(&[(1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G")]).replace(' ', "")
            }
            Unit::Plain => num(v),
            Unit::Percent => format!("{}%", num(v * 100.0)),
            Unit::Count if v >= 1000.0 => {
                crate::report::explain::words::thousands(v.round() as u64)
            }
            Unit::Count => format!("{:.0}", v),
            Unit::Bytes => scaled(&[
                (1.0, "B"),
                (1024.0, "KiB"),
                (1024.0 * 1024.0, "MiB"),
                (1024.0 * 1024.0 * 1024.0, "GiB"),
            ]),
            Unit::Nanos => scaled(&[(1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s")]),
            Unit::Micros => Unit::Nanos.label(v * 1e3),
            Unit::Millis => Unit::Nanos.label(v * 1e6),
        }
    }

    /// The log base for values from `lo` to `hi`, or `None` for a linear
    /// axis.
    fn log_base(self, lo: f64, hi: f64) -> Option<f64> {
        if !(lo > 0.0 && hi.is_finite()) {
            return None;
        }
        let decades = hi.log10() - lo.log10();
        match self {
            Unit::Percent => None,
            Unit::Count if decades > COUNT_DECADES => Some(10.0),
            Unit::Count => (hi >= COUNT_SPAN * lo).then_some(2.0),
            Unit::Bytes => (decades > DECADES).then_some(2.0),
            Unit::Plain | Unit::Nanos | Unit::Micros | Unit::Millis => {
                (decades > DECADES).then_some(10.0)
            }
        }
    }

    /// The size linear ticks step in multiples of, below `hi`: 1024^k for
    /// bytes and 1000^k for times (so ticks read 256 KiB, 1.5 ms).
    fn step_unit(self, hi: f64) -> f64 {
        let (base, ns) = match self {
            Unit::Bytes => (1024.0, 1.0),
            Unit::Nanos => (1000.0, 1.0),
            Unit::Micros => (1000.0, 1e3),
            Unit::Millis => (1000.0, 1e6),
            Unit::Plain | Unit::Percent | Unit::Count => return 1.0,
        };
        let mut size = 1.0;
        while hi * ns >= size * base {
            size *= base;
        }
        size / ns
    }

    /// Log-axis exponent steps to try, fewest ticks last.
    fn log_steps(self) -> &'static [i64] {
        match self {
            // 1 B, 1 KiB, 1 MiB stay ticks at steps 1, 2, 5 and 10.
            Unit::Bytes => &[1, 2, 5, 10, 20],
            Unit::Count => &[1, 2, 3, 4, 5, 6, 8, 10],
            _ => &[1, 2, 3, 6, 9, 12],
        }
    }
}

/// Tick label font size, as given to plotters.
const LABEL_PX: f64 = 15.0;
/// plotters' SVG backend writes a font of size `s` as `font-size="s /
/// 1.24"`: the size the reader sees.
const SVG_FONT: f64 = 1.0 / 1.24;
/// The least room between two tick labels, in pixels.
const LABEL_GAP: f64 = 6.0;

/// The width in pixels a label of `text` takes at `px` (sans-serif: about
/// 0.6 em per character, a little over the digits' 0.56).
pub fn text_width(text: &str, px: f64) -> f64 {
    text.chars().count() as f64 * px * 0.6
}

/// How long an axis is on the page and which way its labels line up.
#[derive(Debug, Clone, Copy)]
pub struct Room {
    /// Length in pixels.
    pub pixels: f64,
    /// Labels side by side (an x axis), else stacked (a y axis).
    pub horizontal: bool,
}

/// One axis as drawn: its scale, range and ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub unit: Unit,
    /// `Some(base)` for a log axis.
    pub log_base: Option<f64>,
    /// The drawn range, in axis space (the logarithm on a log axis).
    pub range: std::ops::Range<f64>,
    /// The ticks, in axis space.
    pub ticks: Vec<f64>,
}

impl Axis {
    /// The axis for `values` (non-finite ones ignored; on a log axis, also
    /// those at or below zero) in `unit` with `room`. `from_zero` starts a
    /// linear axis of values at or above zero at zero (bars, speedups).
    /// `marks` become ticks too, winning over the ticks they would hide.
    pub fn fit(values: &[f64], unit: Unit, from_zero: bool, room: Room, marks: &[f64]) -> Axis {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let (lo, hi) = finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        if !lo.is_finite() {
            return Axis::linear(unit, 0.0, 1.0, from_zero, room, marks);
        }
        match unit.log_base(lo, hi) {
            Some(base) => Axis::log(unit, base, lo, hi, room, marks),
            None => Axis::linear(unit, lo, hi, from_zero, room, marks),
        }
    }

    fn linear(unit: Unit, lo: f64, hi: f64, from_zero: bool, room: Room, marks: &[f64]) -> Axis {
        let (mut lo, mut hi) = (lo, hi);
        if from_zero && lo >= 0.0 {
            lo = 0.0;
            hi = if hi > 0.0 { hi * 1.1 } else { 1.0 };
        } else {
            let least = if unit == Unit::Count { 0.2 } else { 0.0 };
            let pad = ((hi - lo) * 0.05).max(least);
            let pad = if pad > 0.0 {
                pad
            } else {
                (lo.abs() * 0.1).max(0.5)
            };
            lo -= pad;
            hi += pad;
        }
        let base = unit.step_unit(hi.abs().max(lo.abs()));
        let raw = (hi - lo) / base / 10.0;
        let mut magnitude = 10f64.powf(raw.log10().floor());
        let mut axis = Axis {
            unit,
            log_base: None,
            range: lo..hi,
            ticks: Vec::new(),
        };
        // Nice steps 1, 2, 5 x 10^k (whole for counts), growing until the
        // labels fit; two ticks at the least.
        for _ in 0..30 {
            for m in [1.0, 2.0, 5.0] {
                let mut step = m * magnitude * base;
                if unit == Unit::Count {
                    step = step.max(1.0).round();
                }
                let first = (lo / step).ceil() as i64;
                let last = (hi / step).floor() as i64;
                axis.ticks = (first..=last).map(|k| k as f64 * step).collect();
                if axis.ticks.len() <= 2 || axis.fits(&axis.ticks, room) {
                    axis.add_marks(marks, room);
                    return axis;
                }
            }
            magnitude *= 10.0;
        }
        axis.add_marks(marks, room);
        axis
    }

    fn log(unit: Unit, base: f64, lo: f64, hi: f64, room: Room, marks: &[f64]) -> Axis {
        let (tlo, thi) = (lo.log(base), hi.log(base));
        let pad = ((thi - tlo) * 0.05).max(0.1);
        let mut axis = Axis {
            unit,
            log_base: Some(base),
            range: (tlo - pad)..(thi + pad),
            ticks: Vec::new(),
        };
        let first = (axis.range.start - 1e-9).ceil() as i64;
        let last = (axis.range.end + 1e-9).floor() as i64;
        for &step in unit.log_steps() {
            axis.ticks = (first..=last)
                .filter(|e| e.rem_euclid(step) == 0)
                .map(|e| e as f64)
                .collect();
            if axis.ticks.len() <= 2 || axis.fits(&axis.ticks, room) {
                break;
            }
        }
        axis.add_marks(marks, room);
        axis
    }

    /// Adds each mark inside the range as a tick, removing the ticks whose
    /// labels it would overlap.
    fn add_marks(&mut self, marks: &[f64], room: Room) {
        for &m in marks {
            let t = self.to(m);
            if !self.range.contains(&t) || self.ticks.iter().any(|&k| (k - t).abs() < 1e-9) {
                continue;
            }
            let ticks = std::mem::take(&mut self.ticks);
            self.ticks = ticks
                .into_iter()
                .filter(|&k| !self.clash(k, t, room) || marks.iter().any(|&o| self.to(o) == k))
                .collect();
            self.ticks.push(t);
            self.ticks.sort_by(f64::total_cmp);
        }
    }

    /// The value `v` in axis space.
    pub fn to(&self, v: f64) -> f64 {
        match self.log_base {
            Some(base) => v.log(base),
            None => v,
        }
    }

    /// The value at `t` in axis space.
    pub fn from(&self, t: f64) -> f64 {
        match self.log_base {
            Some(base) => base.powf(t),
            None => t,
        }
    }

    /// The tick label at `t` (axis space).
    pub fn label(&self, t: f64) -> String {
        let v = self.from(t);
        // exp2/powf leave 63.99999 where 64 was meant.
        let v = if self.log_base.is_some() {
            let r = v.round();
            if (v - r).abs() < 1e-6 * v.abs().max(1.0) {
                r
            } else {
                v
            }
        } else if v.abs() < 1e-12 * (self.range.end - self.range.start).abs() {
            0.0
        } else {
            v
        };
        self.unit.label(v)
    }

    /// Where `t` lies along `room`, in pixels from the start.
    pub fn pixel(&self, t: f64, room: Room) -> f64 {
        (t - self.range.start) / (self.range.end - self.range.start) * room.pixels
    }

    /// Whether the labels at `a` and `b` would overlap.
    fn clash(&self, a: f64, b: f64, room: Room) -> bool {
        let apart = (self.pixel(a, room) - self.pixel(b, room)).abs();
        let px = LABEL_PX * SVG_FONT;
        let need = if room.horizontal {
            (text_width(&self.label(a), px) + text_width(&self.label(b), px)) / 2.0
        } else {
            px
        };
        apart < need + LABEL_GAP
    }

    /// Whether the labels at `ticks` (sorted) all fit side by side.
    fn fits(&self, ticks: &[f64], room: Room) -> bool {
        ticks.windows(2).all(|w| !self.clash(w[0], w[1], room))
    }

    /// The axis title: `label`, and "(log scale)" on a log axis.
    fn title(&self, label: &str) -> String {
        if self.log_base.is_some() {
            format!("{label} (log scale)")
        } else {
            label.to_string()
        }
    }
}

/// A linear plotters coordinate over an [`Axis`]'s range with the axis's
/// own ticks (plotters' `WithKeyPoints` would lose the label formatter).
struct Keyed {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl From<&Axis> for Keyed {
    fn from(axis: &Axis) -> Self {
        Keyed {
            range: axis.range.clone(),
            ticks: axis.ticks.clone(),
        }
    }
}

impl Ranged for Keyed {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let share = (v - self.range.start) / (self.range.end - self.range.start);
        let pixels = f64::from(limit.1 - limit.0);
        if !share.is_finite() {
            return limit.0 + (limit.1 - limit.0) / 2;
        }
        limit.0 + (pixels * share).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
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
        // An unlabelled line (one of many another entry names) has no entry.
        if label.is_empty() {
            continue;
        }
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

/// Space below the plot for the x tick labels and title, and left of it
/// for the y ones.
const X_AREA: u32 = 52;
const Y_AREA: u32 = 76;
const MARGIN: u32 = 12;

/// The chart frame on `area`: caption, margins and label areas.
fn frame<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, (FONT, 22))
        .margin(MARGIN)
        .x_label_area_size(X_AREA)
        .y_label_area_size(Y_AREA);
    builder
}

/// The plot area's size in pixels for a chart `width` wide, titled
/// `title`: the room for each axis.
fn rooms(width: u32, title: &str) -> Result<(Room, Room)> {
    let mut scratch = String::new();
    let root = SVGBackend::with_string(&mut scratch, (width, SIZE.1)).into_drawing_area();
    let ctx = try_draw!(
        title,
        frame(&root, title).build_cartesian_2d(0.0..1.0, 0.0..1.0)
    );
    let (x, y) = ctx.plotting_area().get_pixel_range();
    Ok((
        Room {
            pixels: f64::from(x.end - x.start),
            horizontal: true,
        },
        Room {
            pixels: f64::from(y.end - y.start),
            horizontal: false,
        },
    ))
}

/// A chart as drawn: its SVG, the plot area in pixels and its axes (what
/// the rendering tests check).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub svg: String,
    /// Left, top, right, bottom, in pixels of the whole chart.
    pub plot: (i32, i32, i32, i32),
    pub x: Option<Axis>,
    pub y: Axis,
}

/// Renders a line chart to SVG text.
pub fn line_chart(chart: &LineChart) -> Result<String> {
    Ok(render_line(chart)?.svg)
}

/// Renders a line chart.
pub fn render_line(chart: &LineChart) -> Result<Rendered> {
    let title = chart.title.as_str();
    let (x_room, y_room) = rooms(SIZE.0 - LEGEND_WIDTH, title)?;
    let points = || chart.series.iter().flat_map(|s| s.points.iter());
    let xs: Vec<f64> = points().map(|p| p.x).collect();
    let ys: Vec<f64> = points()
        .flat_map(|p| {
            let (lo, hi) = p.err.unwrap_or((p.y, p.y));
            [p.y, lo, hi]
        })
        .collect();
    let marks: Vec<f64> = chart.marks.iter().map(|m| m.at).collect();
    let x = Axis::fit(&xs, chart.x_unit, false, x_room, &marks);
    // A mark outside the data's range is not drawn: it would stretch the axis.
    let marks: Vec<&Mark> = chart
        .marks
        .iter()
        .filter(|m| x.range.contains(&x.to(m.at)))
        .collect();
    let y = Axis::fit(&ys, chart.y_unit, true, y_room, &[]);
    let fine = |p: &Point| {
        let ok = |v: f64, a: &Axis| v.is_finite() && (a.log_base.is_none() || v > 0.0);
        ok(p.x, &x) && ok(p.y, &y)
    };
    let mut svg = String::new();
    let plot;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        try_draw!(title, root.fill(&WHITE));
        let (area, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let mut ctx = try_draw!(
            title,
            frame(&area, title).build_cartesian_2d(Keyed::from(&x), Keyed::from(&y))
        );
        let (px, py) = ctx.plotting_area().get_pixel_range();
        plot = (px.start, py.start, px.end, py.end);
        try_draw!(
            title,
            ctx.configure_mesh()
                .x_desc(x.title(&chart.x_label))
                .y_desc(y.title(&chart.y_label))
                .x_label_formatter(&|t| x.label(*t))
                .y_label_formatter(&|t| y.label(*t))
                .label_style((FONT, LABEL_PX as u32))
                .axis_desc_style((FONT, 17))
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.08))
                .draw()
        );
        for m in &marks {
            let at = x.to(m.at);
            let line = vec![(at, y.range.start), (at, y.range.end)];
            let style = ShapeStyle::from(&m.color).stroke_width(2);
            try_draw!(
                title,
                ctx.draw_series(DashedLineSeries::new(line, 4, 4, style))
            );
        }
        let solid = chart.series.iter().filter(|s| !s.dashed).count();
        let step = if chart.dodge {
            (x.range.end - x.range.start) * 0.008
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
            let kept: Vec<&Point> = s.points.iter().filter(|p| fine(p)).collect();
            let line: Vec<(f64, f64)> = kept
                .iter()
                .map(|p| (x.to(p.x) + shift, y.to(p.y)))
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
            try_draw!(
                title,
                ctx.draw_series(kept.iter().filter_map(|p| {
                    p.err.map(|(lo, hi)| {
                        let floor = |v: f64| {
                            if y.log_base.is_some() && v <= 0.0 {
                                y.range.start
                            } else {
                                y.to(v)
                            }
                        };
                        ErrorBar::new_vertical(
                            x.to(p.x) + shift,
                            floor(lo),
                            y.to(p.y),
                            floor(hi),
                            style.stroke_width(2),
                            10,
                        )
                    })
                }))
            );
        }
        let mut entries = chart.series.clone();
        entries.extend(
            marks
                .iter()
                .map(|m| Series::dashed(m.label.clone(), m.color, Vec::new())),
        );
        draw_legend(&legend, title, &entries)?;
        try_draw!(title, root.present());
    }
    Ok(Rendered {
        svg,
        plot,
        x: Some(x),
        y,
    })
}

/// Renders a bar chart to SVG text.
pub fn bar_chart(chart: &BarChart) -> Result<String> {
    Ok(render_bars(chart)?.svg)
}

/// Renders a bar chart: bars from zero, or from the bottom of a log axis.
/// Bar labels too wide to sit side by side alternate between two rows.
pub fn render_bars(chart: &BarChart) -> Result<Rendered> {
    let title = chart.title.as_str();
    let (x_room, y_room) = rooms(SIZE.0, title)?;
    let n = chart.bars.len().max(1);
    let values: Vec<f64> = chart
        .bars
        .iter()
        .flat_map(|b| {
            let (lo, hi) = b.err.unwrap_or((b.value, b.value));
            [b.value, lo, hi, b.reference.unwrap_or(b.value)]
        })
        .collect();
    let mut y = Axis::fit(&values, chart.y_unit, true, y_room, &[]);
    if y.log_base.is_some() {
        // The shortest bar stands half a decade tall, not a sliver.
        let least = values
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        y.range.start = y.range.start.min(y.to(least) - 0.5);
    }
    let floor = y.range.start.max(if y.log_base.is_some() {
        f64::NEG_INFINITY
    } else {
        0.0
    });
    let to = |v: f64| {
        if y.log_base.is_some() && v <= 0.0 {
            y.range.start
        } else {
            y.to(v)
        }
    };
    let mut svg = String::new();
    let plot;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        try_draw!(title, root.fill(&WHITE));
        let keyed = chart.bars.iter().any(|b| b.reference.is_some());
        let (key, area) = root.split_vertically(if keyed { KEY_HEIGHT } else { 0 });
        if keyed {
            draw_bar_key(&key, title, &chart.reference_label)?;
        }
        let mut ctx = try_draw!(
            title,
            frame(&area, title).build_cartesian_2d((0..n - 1).into_segmented(), Keyed::from(&y))
        );
        let (px, py) = ctx.plotting_area().get_pixel_range();
        plot = (px.start, py.start, px.end, py.end);
        try_draw!(
            title,
            ctx.configure_mesh()
                .disable_x_mesh()
                .y_desc(y.title(&chart.y_label))
                .x_labels(n)
                .x_label_formatter(&|_| String::new())
                .y_label_formatter(&|t| y.label(*t))
                .label_style((FONT, LABEL_PX as u32))
                .axis_desc_style((FONT, 17))
                .bold_line_style(BLACK.mix(0.08))
                .draw()
        );
        try_draw!(
            title,
            ctx.draw_series(chart.bars.iter().enumerate().map(|(i, b)| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), floor),
                        (SegmentValue::Exact(i + 1), to(b.value)),
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
                let mut outline = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), floor),
                        (SegmentValue::Exact(i + 1), to(b.reference?)),
                    ],
                    MARK.stroke_width(2),
                );
                outline.set_margin(0, 0, 8, 8);
                Some(outline)
            }))
        );
        try_draw!(
            title,
            ctx.draw_series(chart.bars.iter().enumerate().filter_map(|(i, b)| {
                b.err.map(|(lo, hi)| {
                    ErrorBar::new_vertical(
                        SegmentValue::CenterOf(i),
                        to(lo),
                        to(b.value),
                        to(hi),
                        BLACK.stroke_width(2),
                        12,
                    )
                })
            }))
        );
        // The labels, on two rows when neighbours would overlap.
        let centre = |i: usize| {
            ctx.backend_coord(&(SegmentValue::CenterOf(i), y.range.start))
                .0
        };
        let slot = if n > 1 {
            f64::from(centre(1) - centre(0))
        } else {
            x_room.pixels
        };
        let font = LABEL_PX * SVG_FONT;
        let crowded = chart.bars.windows(2).any(|w| {
            (text_width(&w[0].label, font) + text_width(&w[1].label, font)) / 2.0 + LABEL_GAP > slot
        });
        let style = (FONT, LABEL_PX as u32)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, b) in chart.bars.iter().enumerate() {
            let cx = centre(i);
            let row = if crowded && i % 2 == 1 { 1 } else { 0 };
            let cy = py.end + 6 + row * (LABEL_PX as i32 + 4);
            try_draw!(
                title,
                root.draw(&Text::new(b.label.clone(), (cx, cy), style.clone()))
            );
        }
        try_draw!(title, root.present());
    }
    Ok(Rendered {
        svg,
        plot,
        x: None,
        y,
    })
}

/// The key above a bar chart with reference outlines: a filled bar is this
/// run, an outline is `reference` (another run's value).
fn draw_bar_key(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    reference: &str,
) -> Result<()> {
    let text = (FONT, 16).into_font().color(&BLACK);
    let reference = if reference.is_empty() {
        "the other run"
    } else {
        reference
    };
    let y = 8;
    // Polygons and paths, not rectangles: a `<rect>` is a bar to
    // [`unreadable`], and the key sits outside the plot.
    try_draw!(
        title,
        area.draw(&Polygon::new(
            vec![(20, y), (34, y), (34, y + 16), (20, y + 16)],
            REFERENCE.filled()
        ))
    );
    try_draw!(
        title,
        area.draw(&Text::new("bar: this run", (42, y), text.clone()))
    );
    let x = 42 + text_width("bar: this run", 16.0 * SVG_FONT) as i32 + 30;
    try_draw!(
        title,
        area.draw(&PathElement::new(
            vec![
                (x, y - 2),
                (x + 16, y - 2),
                (x + 16, y + 18),
                (x, y + 18),
                (x, y - 2)
            ],
            MARK.stroke_width(2)
        ))
    );
    try_draw!(
        title,
        area.draw(&Text::new(
            format!("outline: {reference}"),
            (x + 24, y),
            text
        ))
    );
    Ok(())
}

/// Writes SVG text to `path`.
pub fn write_svg(path: &Path, svg: &str) -> Result<()> {
    super::write_atomic(path, svg.as_bytes())
}

/// What a reader could not read in a rendered chart: overlapping tick
/// labels on an axis, a data point (marker or bar top) outside the plot
/// area. Read from the SVG's own `<text>`, `<circle>` and `<rect>`
/// elements, so it checks what was drawn, not what was meant. Empty when
/// the chart reads.
pub fn unreadable(r: &Rendered) -> Vec<String> {
    let (left, top, right, bottom) = r.plot;
    let mut problems = Vec::new();
    let attr = |el: &str, name: &str| -> Option<f64> {
        let start = el.find(&format!(" {name}=\""))? + name.len() + 3;
        el[start..].split('"').next()?.parse().ok()
    };
    // Tick labels: the smallest text (plotters scales every font by the
    // same factor), in the label areas below and left of the plot.
    let tick_size = r
        .svg
        .split("<text")
        .skip(1)
        .filter_map(|el| attr(el.split('>').next()?, "font-size"))
        .fold(f64::INFINITY, f64::min);
    let mut below: Vec<(f64, f64, String)> = Vec::new();
    let mut beside: Vec<(f64, String)> = Vec::new();
    for el in r.svg.split("<text").skip(1) {
        let Some((head, rest)) = el.split_once('>') else {
            continue;
        };
        let text = rest.split("</text>").next().unwrap_or_default().trim();
        let (Some(x), Some(y), Some(size)) =
            (attr(head, "x"), attr(head, "y"), attr(head, "font-size"))
        else {
            continue;
        };
        if text.is_empty() || (size - tick_size).abs() > 0.01 {
            continue;
        }
        let width = text_width(text, size);
        let centre = if head.contains("text-anchor=\"end\"") {
            x - width / 2.0
        } else if head.contains("text-anchor=\"middle\"") {
            x
        } else {
            x + width / 2.0
        };
        if y >= f64::from(bottom) {
            below.push((centre, width, text.to_string()));
        } else if x <= f64::from(left) {
            beside.push((y, text.to_string()));
        }
    }
    // Bar labels sit on two rows: compare labels on the same row only.
    below.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (i, a) in below.iter().enumerate() {
        for b in below.iter().skip(i + 1) {
            if b.0 - a.0 < (a.1 + b.1) / 2.0 && same_row(&r.svg, &a.2, &b.2) {
                problems.push(format!("x labels \"{}\" and \"{}\" overlap", a.2, b.2));
            }
        }
    }
    beside.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in beside.windows(2) {
        if w[1].0 - w[0].0 < tick_size {
            problems.push(format!(
                "y labels \"{}\" and \"{}\" overlap",
                w[0].1, w[1].1
            ));
        }
    }
    // Markers: the circles left of the legend panel.
    let inside = |x: f64, y: f64| {
        x >= f64::from(left) - 1.0
            && x <= f64::from(right) + 1.0
            && y >= f64::from(top) - 1.0
            && y <= f64::from(bottom) + 1.0
    };
    for el in r.svg.split("<circle").skip(1) {
        let head = el.split('>').next().unwrap_or_default();
        if let (Some(x), Some(y)) = (attr(head, "cx"), attr(head, "cy"))
            && x < f64::from(SIZE.0 - LEGEND_WIDTH)
            && !inside(x, y)
        {
            problems.push(format!(
                "a point at ({x}, {y}) is outside the plot {:?}",
                r.plot
            ));
        }
    }
    // Bars: every filled rectangle but the background.
    for el in r.svg.split("<rect").skip(1) {
        let head = el.split('>').next().unwrap_or_default();
        let (Some(x), Some(y), Some(w), Some(h)) = (
            attr(head, "x"),
            attr(head, "y"),
            attr(head, "width"),
            attr(head, "height"),
        ) else {
            continue;
        };
        if w >= f64::from(SIZE.0) - 1.0 || x >= f64::from(SIZE.0 - LEGEND_WIDTH) && r.x.is_some() {
            continue;
        }
        if !inside(x, y) || !inside(x + w, y + h) {
            problems.push(format!(
                "a bar from ({x}, {y}) to ({}, {}) leaves the plot {:?}",
                x + w,
                y + h,
                r.plot
            ));
        }
    }
    problems
}

/// Whether the tick labels `a` and `b` sit on the same row (the same y).
fn same_row(svg: &str, a: &str, b: &str) -> bool {
    let y_of = |label: &str| -> Option<String> {
        svg.split("<text").skip(1).find_map(|el| {
            let (head, rest) = el.split_once('>')?;
            (rest.split("</text>").next()?.trim() == label).then(|| {
                head.split(" y=\"")
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .unwrap_or_default()
                    .to_string()
            })
        })
    };
    y_of(a) == y_of(b)
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

    /// The texts of an SVG, trimmed.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("</text>")
            .filter_map(|t| Some(t.rsplit_once('>')?.1.trim().to_string()))
            .collect()
    }

    fn workers(xs: &[f64], cores: usize) -> LineChart {
        LineChart {
            title: "latency: speedup".into(),
            x_label: "workers".into(),
            y_label: "speedup".into(),
            series: vec![Series::solid(
                "threads",
                backend_color("threads"),
                xs.iter()
                    .map(|&x| Point::new(x, x.min(cores as f64)))
                    .collect(),
            )],
            x_unit: Unit::Count,
            marks: vec![Mark::cores(cores, "this machine")],
            ..LineChart::default()
        }
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
            x_unit: Unit::Count,
            dodge: true,
            ..LineChart::default()
        };
        let rendered = render_line(&chart).unwrap();
        for text in ["primes: speedup", "workers", "rayon", "Amdahl fit", "<svg"] {
            assert!(rendered.svg.contains(text), "missing {text}");
        }
        assert_eq!(unreadable(&rendered), Vec::<String>::new());
    }

    #[test]
    fn workers_from_1_to_128_go_in_powers_of_two_with_the_cores_marked() {
        let xs: Vec<f64> = (0..8).map(|k| f64::from(1 << k)).collect();
        let rendered = render_line(&workers(&xs, 64)).unwrap();
        let labels = texts(&rendered.svg);
        for label in [
            "workers (log scale)",
            "1",
            "2",
            "4",
            "8",
            "16",
            "32",
            "64",
            "128",
        ] {
            assert!(
                labels.iter().any(|t| t == label),
                "no {label} in {labels:?}"
            );
        }
        assert!(
            labels.iter().any(|t| t.contains("64 cores: this")),
            "{labels:?}"
        );
        let x = rendered.x.clone().unwrap();
        assert_eq!(x.log_base, Some(2.0));
        // Evenly spaced: 1 to 8 take three eighths of the axis, not 7/127.
        let room = Room {
            pixels: 100.0,
            horizontal: true,
        };
        let share = (x.pixel(3.0, room) - x.pixel(0.0, room)) / x.pixel(7.0, room);
        assert!(share > 0.35, "{share}");
        assert_eq!(unreadable(&rendered), Vec::<String>::new());
        // A core count that is no power of two gets a tick of its own.
        let rendered = render_line(&workers(&xs, 48)).unwrap();
        assert!(texts(&rendered.svg).iter().any(|t| t == "48"));
        assert_eq!(unreadable(&rendered), Vec::<String>::new());
    }

    #[test]
    fn few_workers_stay_linear_and_one_core_is_marked() {
        let rendered = render_line(&workers(&[1.0, 2.0], 1)).unwrap();
        let labels = texts(&rendered.svg);
        assert!(labels.iter().any(|t| t == "workers"), "{labels:?}");
        assert!(
            labels.iter().any(|t| t.contains("1 core: this")),
            "{labels:?}"
        );
        assert_eq!(rendered.x.as_ref().unwrap().log_base, None);
        assert_eq!(unreadable(&rendered), Vec::<String>::new());
        let rendered = render_line(&workers(&[1.0, 2.0, 3.0, 4.0], 2)).unwrap();
        assert!(texts(&rendered.svg).iter().any(|t| t == "3"));
    }

    #[test]
    fn ticks_read_in_units() {
        assert_eq!(Unit::Bytes.label(64.0), "64 B");
        assert_eq!(Unit::Bytes.label(4096.0), "4 KiB");
        assert_eq!(Unit::Bytes.label(1.5 * 1048576.0), "1.5 MiB");
        assert_eq!(Unit::Nanos.label(125.0), "125 ns");
        assert_eq!(Unit::Nanos.label(67_000.0), "67 µs");
        assert_eq!(Unit::Nanos.label(1.5e6), "1.5 ms");
        assert_eq!(Unit::Micros.label(67.0), "67 µs");
        assert_eq!(Unit::Millis.label(0.5), "500 µs");
        assert_eq!(Unit::Millis.label(2000.0), "2 s");
        assert_eq!(Unit::Percent.label(0.25), "25%");
        assert_eq!(Unit::Plain.label(0.3), "0.3");
        assert_eq!(Unit::Plain.label(20000.0), "20k");
        assert_eq!(Unit::Count.label(64.0), "64");
    }

    #[test]
    fn the_scale_follows_the_span_of_the_values() {
        let room = Room {
            pixels: 320.0,
            horizontal: false,
        };
        // Two decades and less: linear from zero.
        let linear = Axis::fit(&[1.0, 50.0, 100.0], Unit::Nanos, true, room, &[]);
        assert_eq!(linear.log_base, None);
        assert_eq!(linear.range.start, 0.0);
        // 125 ns beside 67 µs: log, ticks at powers of ten.
        let log = Axis::fit(&[125.0, 67_000.0], Unit::Nanos, true, room, &[]);
        assert_eq!(log.log_base, Some(10.0));
        let labels: Vec<String> = log.ticks.iter().map(|&t| log.label(t)).collect();
        assert_eq!(labels, ["100 ns", "1 µs", "10 µs"], "{log:?}");
        // Bytes from 64 B to 1 MiB: powers of two, thinned to fit.
        let room = Room {
            pixels: 420.0,
            horizontal: true,
        };
        let bytes = Axis::fit(&[64.0, 1048576.0], Unit::Bytes, false, room, &[]);
        let labels: Vec<String> = bytes.ticks.iter().map(|&t| bytes.label(t)).collect();
        assert!(labels.contains(&"1 KiB".to_string()), "{labels:?}");
        assert!(labels.contains(&"1 MiB".to_string()), "{labels:?}");
        assert!(bytes.fits(&bytes.ticks, room), "{labels:?}");
        // A value at or below zero keeps an axis linear.
        let zero = Axis::fit(&[0.0, 1e6], Unit::Plain, true, room, &[]);
        assert_eq!(zero.log_base, None);
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
            y_unit: Unit::Percent,
            x_unit: Unit::Count,
            ..LineChart::default()
        };
        assert!(line_chart(&chart).unwrap().contains("empty"));
        let bars = BarChart {
            title: "none".into(),
            ..BarChart::default()
        };
        assert!(bar_chart(&bars).unwrap().contains("none"));
    }

    #[test]
    fn a_chart_over_decades_labels_sizes_and_times_on_log_axes() {
        let chart = LineChart {
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
                ],
            )],
            x_unit: Unit::Bytes,
            y_unit: Unit::Nanos,
            ..LineChart::default()
        };
        let rendered = render_line(&chart).unwrap();
        let labels = texts(&rendered.svg);
        for text in [
            "time per byte",
            "payload (log scale)",
            "binary",
            "1 KiB",
            "1 MiB",
            "1 ns",
            "100 ns",
        ] {
            assert!(
                labels.iter().any(|t| t == text),
                "missing {text} in {labels:?}"
            );
        }
        assert_eq!(unreadable(&rendered), Vec::<String>::new());
        assert!(line_chart(&LineChart::default()).unwrap().contains("<svg"));
    }

    #[test]
    fn bars_over_decades_get_a_log_axis_and_labels_that_do_not_overlap() {
        let names = [
            "pipe T",
            "pipe P",
            "unix-socket T",
            "unix-socket P",
            "tcp T",
            "tcp P",
            "shared-memory T",
            "shared-memory P",
            "mpsc",
            "crossbeam",
        ];
        let bars: Vec<Bar> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Bar::new(*n, if i < 6 { 67.0 } else { 0.125 }, color(i)))
            .collect();
        let chart = BarChart {
            title: "1-byte round trip".into(),
            y_label: "per round trip".into(),
            y_unit: Unit::Micros,
            bars,
            ..BarChart::default()
        };
        let rendered = render_bars(&chart).unwrap();
        assert_eq!(rendered.y.log_base, Some(10.0));
        let labels = texts(&rendered.svg);
        for text in [
            "100 ns",
            "10 µs",
            "shared-memory P",
            "per round trip (log scale)",
        ] {
            assert!(
                labels.iter().any(|t| t == text),
                "missing {text} in {labels:?}"
            );
        }
        assert_eq!(unreadable(&rendered), Vec::<String>::new());
        // A 125 ns bar is drawn taller than nothing.
        let bars_drawn = rendered.svg.matches("<rect").count();
        assert!(bars_drawn > names.len(), "{bars_drawn}");
    }

    #[test]
    fn reference_outlines_have_a_key_that_says_whose_they_are() {
        let mut bars = vec![
            Bar::new("threads", 20_000.0, color(0)),
            Bar::new("processes", 600_000.0, color(1)),
        ];
        bars[0].reference = Some(40_000.0);
        bars[1].reference = Some(300_000.0);
        let chart = BarChart {
            title: "spawn".into(),
            y_label: "per spawn".into(),
            y_unit: Unit::Nanos,
            bars,
            reference_label: "the other machine (64 cores)".into(),
        };
        let rendered = render_bars(&chart).unwrap();
        let labels = texts(&rendered.svg);
        for text in ["bar: this run", "outline: the other machine (64 cores)"] {
            assert!(labels.iter().any(|t| t == text), "{text}: {labels:?}");
        }
        // The outlines are drawn: one more rectangle per bar than without.
        let plain = BarChart {
            bars: chart
                .bars
                .iter()
                .map(|b| Bar {
                    reference: None,
                    ..b.clone()
                })
                .collect(),
            ..chart.clone()
        };
        let rects = |svg: &str| svg.matches("<rect").count();
        assert!(rects(&rendered.svg) >= rects(&bar_chart(&plain).unwrap()) + 2);
        assert_eq!(unreadable(&rendered), Vec::<String>::new());
    }
    #[test]
    fn the_checker_sees_overlapping_labels_and_points_outside() {
        let mut rendered = render_line(&workers(&[1.0, 2.0, 4.0], 2)).unwrap();
        assert!(unreadable(&rendered).is_empty());
        // Shrink the plot: the points now lie outside it.
        rendered.plot.2 = rendered.plot.0 + 10;
        assert!(
            unreadable(&rendered).iter().any(|p| p.contains("outside")),
            "{:?}",
            unreadable(&rendered)
        );
        let crowded = r#"<text x="100" y="400" font-size="15" text-anchor="middle">1000000</text><text x="110" y="400" font-size="15" text-anchor="middle">2000000</text>"#;
        let fake = Rendered {
            svg: crowded.into(),
            plot: (80, 20, 500, 380),
            x: None,
            y: rendered.y.clone(),
        };
        assert_eq!(unreadable(&fake).len(), 1, "{:?}", unreadable(&fake));
    }
}
