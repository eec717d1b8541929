//! The benchmarks panel: per benchmark a name line with its verdict, then a sparkline
//! of its p95 over time beside the current p95 against its threshold and baseline.

use super::super::state::{ms_text, verdict_mark, verdict_word, BenchView, Panel, State};
use super::super::theme::Theme;
use crate::event::BenchVerdict;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, SparklineBar, Wrap};
use ratatui::Frame;

/// Rows a benchmark takes: its name line and its sparkline.
const ROWS: u16 = 2;
/// The narrowest sparkline worth drawing.
const MIN_SPARK: u16 = 8;

pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let block = super::panel("Benchmarks", s, Some(Panel::Benches), t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if s.benches.is_empty() {
        let text = Line::from(Span::styled("none yet · b runs them", t.muted));
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
        return;
    }
    let per_page = (inner.height / ROWS).max(1) as usize;
    let first = super::window(s.selected_bench, s.benches.len(), per_page);
    for (n, (i, b)) in s
        .benches
        .iter()
        .enumerate()
        .skip(first)
        .take(per_page)
        .enumerate()
    {
        let y = inner.y + n as u16 * ROWS;
        if y + ROWS > inner.y + inner.height {
            break;
        }
        let sel = i == s.selected_bench;
        let focused = sel && s.focus == Panel::Benches && s.overlay.is_none();
        let top = Rect::new(inner.x, y, inner.width, 1);
        f.render_widget(
            Paragraph::new(name_line(b, sel, focused, inner.width, t)),
            top,
        );
        spark_row(f, Rect::new(inner.x, y + 1, inner.width, 1), b, t);
    }
}

/// `▶ orders of one customer   ✔ ok` — the verdict (or ⟳ while running) at the right.
fn name_line<'a>(b: &BenchView, sel: bool, focused: bool, width: u16, t: &Theme) -> Line<'a> {
    let (mark, style) = match (b.running, b.verdict()) {
        (true, _) => (format!("⟳ {}", b.samples), t.running),
        (false, Some(v)) => (
            format!("{} {}", verdict_mark(v), short_word(v)),
            verdict_style(v, t),
        ),
        (false, None) => ("·".to_string(), t.muted),
    };
    let marker = if sel { "▶ " } else { "  " };
    let room = (width as usize).saturating_sub(2 + mark.chars().count() + 1);
    let name = super::fit(&b.name, room);
    let pad = room.saturating_sub(name.chars().count());
    let mut line = Line::from(vec![
        Span::raw(marker),
        Span::styled(name, t.text),
        Span::raw(" ".repeat(pad + 1)),
        Span::styled(mark, style),
    ]);
    if focused {
        line = line.style(t.selected);
    }
    line
}

fn short_word(v: BenchVerdict) -> &'static str {
    match v {
        BenchVerdict::OverThreshold => "over",
        other => verdict_word(other),
    }
}

fn verdict_style(v: BenchVerdict, t: &Theme) -> Style {
    match v {
        BenchVerdict::Ok => t.ok,
        BenchVerdict::Regressed => t.warn,
        BenchVerdict::OverThreshold | BenchVerdict::Failed => t.error,
    }
}

/// The sparkline of p95 over time, then `12.3ms/50ms` (current against threshold) and
/// the baseline's change where one is stored.
fn spark_row(f: &mut Frame, area: Rect, b: &BenchView, t: &Theme) {
    // The sparkline keeps at least MIN_SPARK columns: the figures shorten first.
    let fits = |s: &String| s.chars().count() as u16 + 1 + 2 + MIN_SPARK <= area.width;
    let all = figures(b);
    let figures = all
        .iter()
        .find(|s| fits(s))
        .unwrap_or(&all[all.len() - 1])
        .clone();
    let text_w = figures.chars().count() as u16 + 1;
    let spark_w = area.width.saturating_sub(text_w + 2);
    let spark = Rect::new(area.x + 2, area.y, spark_w, 1);
    let over = b
        .threshold()
        .is_some_and(|th| b.current_p95().is_some_and(|p| p > th));
    let style = match b.verdict() {
        Some(v) => verdict_style(v, t),
        None if over => t.error,
        None => t.info,
    };
    if spark_w > 0 {
        f.render_widget(sparkline(b, spark_w as usize, t), spark);
    }
    let text = Rect::new(
        area.x + 2 + spark_w,
        area.y,
        area.width.saturating_sub(2 + spark_w),
        1,
    );
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(format!(" {figures}"), style))),
        text,
    );
}

/// `p95 12.3ms/50.0ms +21%`: current p95, the threshold if set, the change against the
/// baseline if one is stored; then shorter forms of it for a narrow panel.
fn figures(b: &BenchView) -> Vec<String> {
    let Some(p95) = b.current_p95() else {
        return vec!["-".into()];
    };
    let threshold = b
        .threshold()
        .map_or(String::new(), |th| format!("/{}", ms_text(th)));
    let change = b
        .baseline()
        .filter(|x| *x > 0.0)
        .map_or(String::new(), |base| {
            format!(" {:+.0}%", (p95 - base) / base * 100.0)
        });
    let now = ms_text(p95);
    vec![
        format!("p95 {now}{threshold}{change}"),
        format!("{now}{threshold}{change}"),
        format!("{now}{threshold}"),
        now,
    ]
}

/// The last `width` points of the p95 series, scaled to the highest, or to the
/// threshold when it is near (so a line close to the top is close to the threshold,
/// and one far under it still shows its shape); points over the threshold stand out.
fn sparkline<'a>(b: &BenchView, width: usize, t: &Theme) -> Sparkline<'a> {
    let skip = b.series.len().saturating_sub(width);
    let points: Vec<f64> = b.series.iter().skip(skip).copied().collect();
    let highest = points.iter().copied().fold(0.0_f64, f64::max);
    let top = match b.threshold() {
        Some(th) if th <= highest * 1.5 => highest.max(th),
        _ => highest,
    };
    // Microseconds, so that sub-millisecond queries still draw.
    let us = |ms: f64| (ms * 1000.0).round() as u64;
    let max = us(top).max(1);
    // One eighth of a row at least: a point is never invisible.
    let floor = max.div_ceil(8);
    let bars: Vec<SparklineBar> = points
        .iter()
        .map(|&p| {
            let bar = SparklineBar::from(us(p).max(floor));
            match b.threshold() {
                Some(th) if p > th => bar.style(Some(t.error)),
                _ => bar,
            }
        })
        .collect();
    Sparkline::default().data(bars).max(max).style(t.info)
}
