//! Charts drawn as SVG on the server: nothing to hydrate, no chart script. Each chart is an
//! image with a title and a description that states its numbers; the same numbers follow in
//! a data table. Marks differ by shape and by a printed value, never by colour alone.
use crate::domain::insights::percent;
use crate::model::RateRow;
use leptos::prelude::*;

/// Drawing units of the dot-and-whisker chart. Each row's label sits on its own line above
/// its whisker, so long names never clip and the chart keeps a phone's width; the SVG
/// scales to its card up to a cap (CSS), which keeps its text near body size.
const WIDTH: f64 = 360.0;
const PLOT_START: f64 = 10.0;
const PLOT_END: f64 = 346.0;
const ROW_HEIGHT: f64 = 42.0;
const TOP: f64 = 30.0;

fn x_of(share: f64) -> f64 {
    PLOT_START + (PLOT_END - PLOT_START) * share.clamp(0.0, 1.0)
}

/// The chart's description: every row's rate, interval and n, or "too few".
pub fn describe(rows: &[RateRow], reference: &RateRow) -> String {
    let row_text = |row: &RateRow| match (row.estimate, row.lower, row.upper) {
        (Some(p), Some(l), Some(u)) => format!(
            "{} {} (95% interval {}–{}, n = {})",
            row.label,
            percent(p),
            percent(l),
            percent(u),
            row.n
        ),
        _ => format!("{} too few to show (n = {})", row.label, row.n),
    };
    let mut parts: Vec<String> = rows.iter().map(row_text).collect();
    parts.push(format!("overall: {}", row_text(reference)));
    parts.join("; ")
}

/// Rates with 95% intervals, one row each, against the overall rate (a dashed line).
#[component]
pub fn DotWhiskerChart(
    /// Unique on the page: it names the title and description elements.
    id: &'static str,
    title: String,
    rows: Vec<RateRow>,
    reference: RateRow,
) -> impl IntoView {
    let height = TOP + ROW_HEIGHT * rows.len().max(1) as f64 + 20.0;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let description = describe(&rows, &reference);
    let ticks = [0.0, 0.25, 0.5, 0.75, 1.0].map(|share| {
        let x = x_of(share);
        let anchor = match share {
            s if s <= 0.0 => "start",
            s if s >= 1.0 => "end",
            _ => "middle",
        };
        view! {
            <line class="grid" x1=x x2=x y1=TOP - 6.0 y2=height - 14.0/>
            <text class="tick" x=x y=TOP - 12.0 text-anchor=anchor>{percent(share)}</text>
        }
    });
    let reference_mark = reference.estimate.map(|p| {
        let x = x_of(p);
        // The label stays inside the chart whichever side of the middle the line is.
        let (label_x, anchor) = if p > 0.5 { (x - 4.0, "end") } else { (x + 4.0, "start") };
        view! {
            <line class="reference" x1=x x2=x y1=TOP - 6.0 y2=height - 14.0/>
            <text class="reference-label" x=label_x y=height - 2.0 text-anchor=anchor>{format!("All {}", percent(p))}</text>
        }
    });
    let marks = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let top = TOP + ROW_HEIGHT * i as f64;
            let y = top + 28.0;
            let shown = row.estimate.zip(row.lower).zip(row.upper);
            let label = match shown {
                Some(((p, _), _)) => format!("{} · {} (n = {})", row.label, percent(p), row.n),
                None => format!("{} · too few to show (n = {})", row.label, row.n),
            };
            let mark = shown.map(|((p, l), u)| {
                view! {
                    <line class="whisker" x1=x_of(l) x2=x_of(u) y1=y y2=y/>
                    <line class="whisker" x1=x_of(l) x2=x_of(l) y1=y - 5.0 y2=y + 5.0/>
                    <line class="whisker" x1=x_of(u) x2=x_of(u) y1=y - 5.0 y2=y + 5.0/>
                    <circle class="dot" cx=x_of(p) cy=y r="5"/>
                }
            });
            let label_class = if shown.is_some() {
                "row-label"
            } else {
                "row-label too-few"
            };
            view! {
                <text class=label_class x=PLOT_START y=top + 14.0>{label}</text>
                {mark}
            }
        })
        .collect_view();
    view! {
        // On a narrow screen the chart scrolls sideways: its frame takes keyboard focus.
        <div class="chart-frame" role="region" aria-label="Chart" tabindex="0">
            <svg class="chart dot-whisker" role="img" aria-labelledby=labelled_by
                viewBox=format!("0 0 {WIDTH} {height}") preserveAspectRatio="xMinYMin meet">
                <title id=title_id>{title}</title>
                <desc id=desc_id>{description}</desc>
                {ticks}
                {reference_mark}
                {marks}
            </svg>
        </div>
    }
}

/// One side of a paired row: its text (value and n, or "too few") and, when shown, its
/// value with its interval, on the chart's scale.
#[derive(Debug, Clone, PartialEq)]
pub struct PairMark {
    pub text: String,
    pub value: Option<(f64, Option<(f64, f64)>)>,
}

/// Two estimates side by side (certified and not, say) for one group.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedRow {
    pub label: String,
    pub first: PairMark,
    pub second: PairMark,
}

/// A round upper end for an axis that must reach `value`: 1, 2 or 5 times a power of ten.
pub fn nice_ceiling(value: f64) -> f64 {
    if value.is_nan() || value <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|end| *end >= value)
        .unwrap_or(10.0 * power)
}

/// The paired chart's description: each group's two values in words.
pub fn describe_pairs(names: (&str, &str), rows: &[PairedRow]) -> String {
    rows.iter()
        .map(|row| {
            format!(
                "{}: {} {}; {} {}",
                row.label, names.0, row.first.text, names.1, row.second.text
            )
        })
        .collect::<Vec<_>>()
        .join(". ")
}

const PAIR_ROW_HEIGHT: f64 = 74.0;

/// Two estimates per group, each with its 95% interval, on a shared axis from 0 to `max`:
/// the first a filled circle, the second a hollow square, each with its name and value
/// written above it (shape and text, not colour alone, tell them apart).
#[component]
pub fn PairedChart(
    id: &'static str,
    title: String,
    /// What the first and second marks are ("Certified", "Not certified").
    names: (&'static str, &'static str),
    rows: Vec<PairedRow>,
    max: f64,
    tick: fn(f64) -> String,
) -> impl IntoView {
    let height = TOP + PAIR_ROW_HEIGHT * rows.len().max(1) as f64 + 4.0;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let description = describe_pairs(names, &rows);
    let x = move |value: f64| x_of(if max > 0.0 { value / max } else { 0.0 });
    let ticks = [0.0, 0.25, 0.5, 0.75, 1.0].map(|share| {
        let anchor = match share {
            s if s <= 0.0 => "start",
            s if s >= 1.0 => "end",
            _ => "middle",
        };
        view! {
            <line class="grid" x1=x_of(share) x2=x_of(share) y1=TOP - 6.0 y2=height - 4.0/>
            <text class="tick" x=x_of(share) y=TOP - 12.0 text-anchor=anchor>{tick(share * max)}</text>
        }
    });
    let mark = move |name: &'static str, mark: PairMark, y: f64, square: bool| {
        let whisker = mark.value.and_then(|(_, interval)| interval).map(|(l, u)| {
            view! {
                <line class="whisker" x1=x(l) x2=x(u) y1=y y2=y/>
                <line class="whisker" x1=x(l) x2=x(l) y1=y - 4.0 y2=y + 4.0/>
                <line class="whisker" x1=x(u) x2=x(u) y1=y - 4.0 y2=y + 4.0/>
            }
        });
        let point = mark.value.map(|(value, _)| {
            if square {
                view! { <rect class="dot second" x=x(value) - 4.5 y=y - 4.5 width="9" height="9"/> }
                    .into_any()
            } else {
                view! { <circle class="dot" cx=x(value) cy=y r="5"/> }.into_any()
            }
        });
        let class = if mark.value.is_some() {
            "pair-label"
        } else {
            "pair-label too-few"
        };
        view! {
            <text class=class x=PLOT_START y=y - 8.0>{format!("{name}: {}", mark.text)}</text>
            {whisker}
            {point}
        }
    };
    let marks = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let top = TOP + PAIR_ROW_HEIGHT * i as f64;
            view! {
                <text class="row-label" x=PLOT_START y=top + 12.0>{row.label}</text>
                {mark(names.0, row.first, top + 36.0, false)}
                {mark(names.1, row.second, top + 64.0, true)}
            }
        })
        .collect_view();
    view! {
        <div class="chart-frame" role="region" aria-label="Chart" tabindex="0">
            <svg class="chart paired" role="img" aria-labelledby=labelled_by
                viewBox=format!("0 0 {WIDTH} {height}") preserveAspectRatio="xMinYMin meet">
                <title id=title_id>{title}</title>
                <desc id=desc_id>{description}</desc>
                {ticks}
                {marks}
            </svg>
        </div>
    }
}

/// One bar of a comparison: its name, its length on the chart's scale (none: nothing to
/// draw) and its value in words (for the description).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub name: String,
    pub value: Option<f64>,
    pub text: String,
}

/// A few horizontal bars on a shared scale from 0 to `max`, without text of their own (a
/// small multiple: the card around it prints the figures at reading size). The first bar
/// is solid, the others hatched, so they differ without colour.
#[component]
pub fn CompareBars(id: String, title: String, bars: Vec<Bar>, max: f64) -> impl IntoView {
    const BAR: f64 = 16.0;
    const GAP: f64 = 8.0;
    let height = (BAR + GAP) * bars.len().max(1) as f64;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let description = bars
        .iter()
        .map(|bar| format!("{}: {}", bar.name, bar.text))
        .collect::<Vec<_>>()
        .join("; ");
    // A fill attribute, not a style rule: the page's CSP allows no inline styles.
    let hatch = format!("url(#{id}-hatch)");
    let marks = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let top = (BAR + GAP) * i as f64;
            let fill = (i > 0).then(|| hatch.clone());
            let width = bar
                .value
                .map(|v| (WIDTH * if max > 0.0 { v / max } else { 0.0 }).clamp(2.0, WIDTH));
            let class = if i == 0 { "bar" } else { "bar other" };
            width.map(|w| view! { <rect class=class fill=fill x="0" y=top width=w height=BAR/> })
        })
        .collect_view();
    view! {
        <svg class="chart bars" role="img" aria-labelledby=labelled_by
            viewBox=format!("0 0 {WIDTH} {height}") preserveAspectRatio="none">
            <title id=title_id>{title}</title>
            <desc id=desc_id>{description}</desc>
            <defs>
                <pattern id=format!("{id}-hatch") width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <rect width="6" height="6" class="hatch-ground"/>
                    <line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/>
                </pattern>
            </defs>
            {marks}
        </svg>
    }
}

/// The trend's description: its range, its latest value and the gaps.
pub fn describe_trend(points: &[(String, Option<f64>)], unit: &str) -> String {
    let valued: Vec<(&String, f64)> = points
        .iter()
        .filter_map(|(label, value)| Some((label, (*value)?)))
        .collect();
    let Some(latest) = valued.last() else {
        return "No values in this window.".to_string();
    };
    let highest = valued
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(latest);
    let lowest = valued
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(latest);
    format!(
        "Highest {:.0} {unit} (week of {}); lowest {:.0} {unit} (week of {}); latest {:.0} {unit} (week of {}); {} of {} weeks without a value.",
        highest.1,
        highest.0,
        lowest.1,
        lowest.0,
        latest.1,
        latest.0,
        points.len() - valued.len(),
        points.len()
    )
}

/// A series over time as a line with a dot per value; periods without a value break the
/// line (a gap, never a zero). The y axis runs from 0 to a round maximum.
#[component]
pub fn TrendLine(
    id: &'static str,
    title: String,
    /// (period label, value) in time order.
    points: Vec<(String, Option<f64>)>,
    /// The values' unit, for the axis and the description ("h").
    unit: &'static str,
) -> impl IntoView {
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 350.0;
    const TOP_Y: f64 = 16.0;
    const BOTTOM_Y: f64 = 150.0;
    const HEIGHT: f64 = 176.0;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let description = describe_trend(&points, unit);
    let max = nice_ceiling(points.iter().filter_map(|p| p.1).fold(0.0, f64::max));
    let step = (RIGHT - LEFT) / (points.len().max(2) - 1) as f64;
    let x = move |i: usize| LEFT + step * i as f64;
    let y = move |v: f64| BOTTOM_Y - (BOTTOM_Y - TOP_Y) * (v / max).clamp(0.0, 1.0);
    let mut path = String::new();
    let mut pen_down = false;
    for (i, (_, value)) in points.iter().enumerate() {
        match value {
            Some(v) => {
                path.push_str(&format!(
                    "{}{:.1} {:.1} ",
                    if pen_down { "L" } else { "M" },
                    x(i),
                    y(*v)
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let ticks = [0.0, 0.5, 1.0].map(|share| {
        let value = share * max;
        view! {
            <line class="grid" x1=LEFT x2=RIGHT y1=y(value) y2=y(value)/>
            <text class="tick" x=LEFT - 4.0 y=y(value) + 4.0 text-anchor="end">{format!("{value:.0} {unit}")}</text>
        }
    });
    let last = points.len().saturating_sub(1);
    let labels = [0, last / 2, last]
        .into_iter()
        .filter(|i| *i < points.len())
        .map(|i| {
            let anchor = if i == 0 { "start" } else if i == last { "end" } else { "middle" };
            view! { <text class="tick" x=x(i) y=HEIGHT - 6.0 text-anchor=anchor>{points[i].0.clone()}</text> }
        })
        .collect_view();
    let dots = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, value))| {
            value.map(|v| view! { <circle class="dot" cx=x(i) cy=y(v) r="3"/> })
        })
        .collect_view();
    view! {
        <div class="chart-frame" role="region" aria-label="Chart" tabindex="0">
            <svg class="chart trend" role="img" aria-labelledby=labelled_by
                viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="xMinYMin meet">
                <title id=title_id>{title}</title>
                <desc id=desc_id>{description}</desc>
                {ticks}
                <path class="trend-line" d=path/>
                {dots}
                {labels}
            </svg>
        </div>
    }
}

/// Counts split into parts, one horizontal stacked bar per row on a shared scale. Each
/// row's line of text states every part, and the parts differ by fill pattern as well as
/// colour (`stack-0`, `stack-1`, … in the style sheet).
#[component]
pub fn StackedBars(
    id: &'static str,
    title: String,
    /// The parts' names, in drawing order (left to right).
    parts: &'static [&'static str],
    /// (row label, one count per part).
    rows: Vec<(String, Vec<u64>)>,
    /// Each bar as shares of its own total (100% wide) instead of on a shared count scale.
    #[prop(optional)]
    normalised: bool,
    /// The parts' style classes are `<prefix>-0`, `<prefix>-1`, … ("stack" unless given).
    #[prop(optional)]
    class_prefix: Option<&'static str>,
    /// Prints only each row's label over its bar (the description still states every count).
    #[prop(optional)]
    plain_labels: bool,
) -> impl IntoView {
    let prefix = class_prefix.unwrap_or("stack");
    // Up to four legend entries share a line; more wrap three to a line.
    let per_line = if parts.len() > 4 {
        3
    } else {
        parts.len().max(1)
    };
    let legend_lines = parts.len().div_ceil(per_line).max(1);
    let top = TOP + 16.0 * (legend_lines - 1) as f64;
    let height = top + ROW_HEIGHT * rows.len().max(1) as f64;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let row_text = |label: &str, counts: &[u64]| {
        let listed: Vec<String> = parts
            .iter()
            .zip(counts)
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        if listed.is_empty() {
            format!("{label}: none")
        } else {
            format!("{label}: {}", listed.join(", "))
        }
    };
    let description = rows
        .iter()
        .map(|(label, counts)| row_text(label, counts))
        .collect::<Vec<_>>()
        .join("; ");
    let max = rows
        .iter()
        .map(|(_, counts)| counts.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let legend = parts
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let spacing = ((PLOT_END - PLOT_START) / per_line as f64).min(112.0);
            let x = PLOT_START + spacing * (i % per_line) as f64;
            let y = 4.0 + 16.0 * (i / per_line) as f64;
            view! {
                <rect class=format!("{prefix}-{i}") x=x y=y width="10" height="10"/>
                <text class="tick" x=x + 14.0 y=y + 9.0>{*name}</text>
            }
        })
        .collect_view();
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, counts))| {
            let top = top + ROW_HEIGHT * i as f64;
            let text = if plain_labels {
                label.clone()
            } else {
                row_text(&label, &counts)
            };
            let mut x = PLOT_START;
            let scale = if normalised {
                counts.iter().sum::<u64>().max(1) as f64
            } else {
                max
            };
            let segments = counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(part, n)| {
                    let width = (PLOT_END - PLOT_START) * *n as f64 / scale;
                    let segment = view! {
                        <rect class=format!("{prefix}-{part}") x=x y=top + 20.0 width=width height="14"/>
                    };
                    x += width;
                    segment
                })
                .collect_view();
            view! {
                <text class="row-label" x=PLOT_START y=top + 14.0>{text}</text>
                {segments}
            }
        })
        .collect_view();
    view! {
        <div class="chart-frame" role="region" aria-label="Chart" tabindex="0">
            <svg class="chart stacked" role="img" aria-labelledby=labelled_by
                viewBox=format!("0 0 {WIDTH} {height}") preserveAspectRatio="xMinYMin meet">
                <title id=title_id>{title}</title>
                <desc id=desc_id>{description}</desc>
                {legend}
                {bars}
            </svg>
        </div>
    }
}

/// One stage of a funnel: its name, how many reached it, and its share of the stage
/// before (`None` for the first stage, or where the share is withheld for too few).
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStage {
    pub name: String,
    pub count: u64,
    pub from_before: Option<f64>,
}

/// The funnel's description: every stage's count and its share of the stage before.
pub fn describe_funnel(stages: &[FunnelStage]) -> String {
    stages
        .iter()
        .map(|stage| match stage.from_before {
            Some(share) => format!(
                "{} {} ({} of the stage before)",
                stage.name,
                stage.count,
                percent(share)
            ),
            None => format!("{} {}", stage.name, stage.count),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A horizontal funnel: one centred bar per stage, its width the stage's count against the
/// first stage's, with the stage's name, count and conversion printed above it.
#[component]
pub fn FunnelChart(id: String, title: String, stages: Vec<FunnelStage>) -> impl IntoView {
    let height = TOP + ROW_HEIGHT * stages.len().max(1) as f64;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let description = describe_funnel(&stages);
    let first = stages.first().map_or(0, |s| s.count).max(1) as f64;
    let middle = (PLOT_START + PLOT_END) / 2.0;
    let bars = stages
        .into_iter()
        .enumerate()
        .map(|(i, stage)| {
            let top = TOP - 14.0 + ROW_HEIGHT * i as f64;
            // A stage with anyone in it stays visible however small its share.
            let width = match stage.count {
                0 => 0.0,
                n => ((PLOT_END - PLOT_START) * n as f64 / first).max(3.0),
            };
            let text = match stage.from_before {
                Some(share) => format!("{}: {} · {} of the stage before", stage.name, stage.count, percent(share)),
                None => format!("{}: {}", stage.name, stage.count),
            };
            view! {
                <text class="row-label" x=PLOT_START y=top + 14.0>{text}</text>
                <rect class="funnel-bar" x=middle - width / 2.0 y=top + 20.0 width=width height="14"/>
            }
        })
        .collect_view();
    view! {
        <div class="chart-frame" role="region" aria-label="Chart" tabindex="0">
            <svg class="chart funnel" role="img" aria-labelledby=labelled_by
                viewBox=format!("0 0 {WIDTH} {height}") preserveAspectRatio="xMinYMin meet">
                <title id=title_id>{title}</title>
                <desc id=desc_id>{description}</desc>
                {bars}
            </svg>
        </div>
    }
}

/// One curve of a step chart: the share that has had the event by each day.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSeries {
    pub label: String,
    /// (day, share so far), one per day the share rises.
    pub points: Vec<(f64, f64)>,
    /// The curve stops here (its longest follow-up).
    pub follow_up: f64,
    /// The panel's line of figures ("n = 120 · 45% by day 30").
    pub note: String,
}

/// The SVG path of a step curve from (0, 0), drawn no further than its follow-up.
fn step_path(
    series: &StepSeries,
    x: impl Fn(f64) -> f64,
    y: impl Fn(f64) -> f64,
    x_max: f64,
) -> String {
    let end = series.follow_up.min(x_max);
    let mut path = format!("M{:.1} {:.1}", x(0.0), y(0.0));
    for (day, share) in series.points.iter().filter(|(day, _)| *day <= end) {
        path.push_str(&format!(" H{:.1} V{:.1}", x(*day), y(*share)));
    }
    path.push_str(&format!(" H{:.1}", x(end)));
    path
}

/// Small multiples of step curves: one panel per group, each its own image with a title
/// and a description, the group's curve solid over everyone's (dashed) for reference.
/// Panels sit two or more to a row as the width allows.
#[component]
pub fn StepCurves(
    id: &'static str,
    /// What each panel's title says before the group's name ("Completed, assigned in").
    title: String,
    series: Vec<StepSeries>,
    reference: StepSeries,
    /// The x axis's last day.
    x_max: f64,
    /// The event, for the descriptions ("completed", "won a first deal").
    event: &'static str,
) -> impl IntoView {
    const PANEL_WIDTH: f64 = 240.0;
    const PANEL_HEIGHT: f64 = 150.0;
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 230.0;
    const TOP_Y: f64 = 26.0;
    const BOTTOM_Y: f64 = 124.0;
    let x = move |day: f64| LEFT + (RIGHT - LEFT) * (day / x_max).clamp(0.0, 1.0);
    let y = move |share: f64| BOTTOM_Y - (BOTTOM_Y - TOP_Y) * share.clamp(0.0, 1.0);
    let reference_path = step_path(&reference, x, y, x_max);
    let panels = series
        .into_iter()
        .enumerate()
        .map(|(i, series)| {
            let title_id = format!("{id}-{i}-title");
            let desc_id = format!("{id}-{i}-desc");
            let labelled_by = format!("{title_id} {desc_id}");
            let last = series.points.iter().rfind(|(d, _)| *d <= x_max).map_or(0.0, |p| p.1);
            let description = format!(
                "{}: {} of the group had {event} by day {:.0}, the last day it was followed to{}; {} for everyone. {}",
                series.label,
                percent(last),
                series.follow_up.min(x_max),
                if series.follow_up < x_max { " (a short curve: a recent group, not a low one)" } else { "" },
                reference.note,
                series.note,
            );
            let path = step_path(&series, x, y, x_max);
            let ticks = [0.0, 0.5, 1.0].map(|share| view! {
                <line class="grid" x1=LEFT x2=RIGHT y1=y(share) y2=y(share)/>
                <text class="tick" x=LEFT - 4.0 y=y(share) + 4.0 text-anchor="end">{percent(share)}</text>
            });
            let day_ticks = [0.0, x_max / 2.0, x_max].map(|day| view! {
                <text class="tick" x=x(day) y=BOTTOM_Y + 16.0 text-anchor="middle">{format!("{day:.0}")}</text>
            });
            view! {
                <figure class="panel">
                    <svg class="chart step" role="img" aria-labelledby=labelled_by
                        viewBox=format!("0 0 {PANEL_WIDTH} {PANEL_HEIGHT}") preserveAspectRatio="xMinYMin meet">
                        <title id=title_id>{format!("{title} {}", series.label)}</title>
                        <desc id=desc_id>{description}</desc>
                        <text class="row-label" x=LEFT y="14">{series.label.clone()}</text>
                        {ticks}
                        <path class="step-reference" d=reference_path.clone()/>
                        <path class="step-line" d=path/>
                        {day_ticks}
                        <text class="tick" x=RIGHT y=PANEL_HEIGHT - 2.0 text-anchor="end">"days"</text>
                    </svg>
                    <figcaption>{series.note}</figcaption>
                </figure>
            }
        })
        .collect_view();
    view! {
        <div class="panels" role="group" aria-label=title.clone()>{panels}</div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, x: u64, n: u64, shown: Option<(f64, f64, f64)>) -> RateRow {
        RateRow {
            label: label.into(),
            successes: x,
            n,
            estimate: shown.map(|s| s.0),
            lower: shown.map(|s| s.1),
            upper: shown.map(|s| s.2),
        }
    }

    #[test]
    fn the_description_states_every_number_and_the_small_rows() {
        let rows = [
            row("Gold", 10, 14, Some((0.7143, 0.4535, 0.8828))),
            row("Platinum", 3, 3, None),
        ];
        let all = row("All", 13, 17, Some((0.7647, 0.527, 0.9044)));
        assert_eq!(
            describe(&rows, &all),
            "Gold 71% (95% interval 45%–88%, n = 14); Platinum too few to show (n = 3); \
             overall: All 76% (95% interval 53%–90%, n = 17)"
        );
        assert_eq!(x_of(-1.0), PLOT_START);
        assert_eq!(nice_ceiling(0.0), 1.0);
        let points = vec![
            ("Nov 2".to_string(), Some(10.0)),
            ("Nov 9".to_string(), None),
            ("Nov 16".to_string(), Some(30.0)),
        ];
        assert_eq!(
            describe_trend(&points, "h"),
            "Highest 30 h (week of Nov 16); lowest 10 h (week of Nov 2); latest 30 h (week of Nov 16); 1 of 3 weeks without a value."
        );
        assert_eq!(
            describe_trend(&points[1..2], "h"),
            "No values in this window."
        );
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(1_234.0), 2_000.0);
        assert_eq!(nice_ceiling(50_000.0), 50_000.0);
        assert_eq!(nice_ceiling(50_001.0), 100_000.0);
        assert_eq!(x_of(2.0), PLOT_END);
        let stages = [
            FunnelStage {
                name: "Assigned".into(),
                count: 20,
                from_before: None,
            },
            FunnelStage {
                name: "Started".into(),
                count: 15,
                from_before: Some(0.75),
            },
        ];
        assert_eq!(
            describe_funnel(&stages),
            "Assigned 20; Started 15 (75% of the stage before)"
        );
    }
}
