//! Folding benchmark events: per benchmark, a running p95 over its recent samples (the
//! sparkline's series), its last figures and verdict, and the detail its view shows
//! (figures, the query plan, the suggested index).
//!
//! Bounded: the window of recent samples and the series are ring buffers, so a long
//! benchmark (or many runs of one) never grows the state.

use super::dialog::rollback::Tone;
use super::{Panel, Ring, State};
use crate::event::{BenchResult, BenchVerdict, Level};

/// How many recent samples the running p95 is taken over.
pub const WINDOW: usize = 20;
/// How many points of the p95 series are kept (more than any panel is wide).
pub const HISTORY: usize = 240;

#[derive(Debug, Clone, PartialEq)]
pub struct BenchView {
    pub name: String,
    /// 1-based, as the events say.
    pub batch: usize,
    /// The latest samples (ms), for the running p95.
    pub recent: Ring<f64>,
    /// The running p95 (ms) after each sample of this run: the sparkline.
    pub series: Ring<f64>,
    /// Samples seen in this run.
    pub samples: u64,
    /// Samples came and the summary did not yet.
    pub running: bool,
    /// The last summary (kept while the next run goes, for its threshold and baseline).
    pub result: Option<BenchResult>,
    /// The summary belongs to the run the series shows.
    pub fresh: bool,
}

impl BenchView {
    fn new(name: &str, batch: usize) -> BenchView {
        BenchView {
            name: name.to_string(),
            batch,
            recent: Ring::new(WINDOW),
            series: Ring::new(HISTORY),
            samples: 0,
            running: false,
            result: None,
            fresh: false,
        }
    }

    fn sample(&mut self, ms: f64) {
        if !self.running {
            // A new run: its series starts over.
            self.recent.clear();
            self.series.clear();
            self.samples = 0;
            self.running = true;
            self.fresh = false;
        }
        self.recent.push(ms);
        self.samples += 1;
        let p95 = p95(self.recent.iter().copied());
        self.series.push(p95);
    }

    /// p95 now: the running one while it runs, else the summary's.
    pub fn current_p95(&self) -> Option<f64> {
        match (&self.result, self.fresh) {
            (Some(r), true) => Some(r.p95_ms),
            _ => self.series.last().copied(),
        }
    }

    pub fn threshold(&self) -> Option<f64> {
        self.result.as_ref().and_then(|r| r.threshold_ms)
    }

    pub fn baseline(&self) -> Option<f64> {
        self.result.as_ref().and_then(|r| r.baseline_p95_ms)
    }

    /// The verdict of the run shown; None while it runs (or when it never ended).
    pub fn verdict(&self) -> Option<BenchVerdict> {
        self.result
            .as_ref()
            .filter(|_| self.fresh && !self.running)
            .map(|r| r.verdict)
    }

    /// What its detail view shows: figures, verdict, the suggestion, the query and its
    /// plan; laid out here so the reducer clamps scrolling to exactly what is drawn.
    pub fn detail_lines(&self) -> Vec<(Tone, String)> {
        let mut out = vec![(
            Tone::Heading,
            format!("{} · batch {}", self.name, self.batch),
        )];
        let Some(r) = &self.result else {
            let text = if self.running {
                format!("running: {} samples so far", self.samples)
            } else {
                "no result yet: b runs the benchmarks".into()
            };
            out.push((Tone::Muted, text));
            return out;
        };
        if !self.fresh {
            out.push((
                Tone::Muted,
                "running again; the figures are the last run's".into(),
            ));
        }
        out.push((
            Tone::Text,
            format!(
                "{} runs · concurrency {} · p50 {} · p95 {} · max {} · {:.0} q/s",
                r.runs,
                r.concurrency,
                ms_text(r.p50_ms),
                ms_text(r.p95_ms),
                ms_text(r.max_ms),
                r.throughput_qps
            ),
        ));
        let threshold = r.threshold_ms.map_or("none".into(), ms_text);
        let baseline = match (r.baseline_p95_ms, r.change_pct) {
            (Some(b), Some(c)) => format!("{} ({c:+.0}%)", ms_text(b)),
            (Some(b), None) => ms_text(b),
            (None, _) => "none stored (cutover bench --baseline)".into(),
        };
        out.push((
            Tone::Text,
            format!(
                "threshold p95 {threshold} · baseline p95 {baseline} · regression above {:.0}%",
                r.regression_pct
            ),
        ));
        let tone = if r.verdict.failed() {
            Tone::Error
        } else {
            Tone::Text
        };
        out.push((
            tone,
            format!(
                "{} {}: {}",
                verdict_mark(r.verdict),
                verdict_word(r.verdict),
                r.detail
            ),
        ));
        if r.full_scan {
            out.push((
                Tone::Warn,
                "⚠ the plan reads a whole table (full scan)".into(),
            ));
        }
        if let Some(s) = &r.suggestion {
            out.push((Tone::Warn, format!("suggested: {s}")));
        }
        out.push((Tone::Heading, "Query:".into()));
        out.extend(r.query.lines().map(|l| (Tone::Text, format!("  {l}"))));
        out.push((Tone::Heading, "Plan (EXPLAIN):".into()));
        if r.plan.trim().is_empty() {
            out.push((Tone::Muted, "  (no plan kept)".into()));
        }
        out.extend(r.plan.lines().map(|l| (Tone::Text, format!("  {l}"))));
        out
    }
}

/// Nearest-rank p95 of a few samples.
pub fn p95(samples: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = samples.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = (v.len() as f64 * 0.95).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// A duration for a person: `0.42ms`, `12.3ms`, `1.25s`.
pub fn ms_text(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{ms:.2}ms")
    }
}

/// A verdict's glyph: meaning never rests on colour alone.
pub fn verdict_mark(v: BenchVerdict) -> &'static str {
    match v {
        BenchVerdict::Ok => "✔",
        BenchVerdict::OverThreshold => "✖",
        BenchVerdict::Regressed => "▲",
        BenchVerdict::Failed => "✖",
    }
}

pub fn verdict_word(v: BenchVerdict) -> &'static str {
    match v {
        BenchVerdict::Ok => "ok",
        BenchVerdict::OverThreshold => "over threshold",
        BenchVerdict::Regressed => "regressed",
        BenchVerdict::Failed => "failed",
    }
}

impl State {
    fn bench_mut(&mut self, name: &str, batch: usize) -> &mut BenchView {
        let i = match self
            .benches
            .iter()
            .position(|b| b.name == name && b.batch == batch)
        {
            Some(i) => i,
            None => {
                self.benches.push(BenchView::new(name, batch));
                self.benches.len() - 1
            }
        };
        &mut self.benches[i]
    }

    pub(super) fn bench_sample(&mut self, name: &str, batch: usize, ms: f64) -> bool {
        let b = self.bench_mut(name, batch);
        let starts = !b.running;
        b.sample(ms);
        // The panel follows the benchmark that runs, as the files table follows the
        // file, unless the operator is moving through the panel.
        if starts && self.focus != Panel::Benches {
            if let Some(i) = self
                .benches
                .iter()
                .position(|b| b.name == name && b.batch == batch)
            {
                self.selected_bench = i;
            }
        }
        true
    }

    pub(super) fn bench_summary(&mut self, at: i64, r: &BenchResult) -> bool {
        let b = self.bench_mut(&r.bench, r.batch);
        b.running = false;
        b.fresh = true;
        b.result = Some(r.clone());
        let level = if r.verdict.failed() {
            Level::Error
        } else {
            Level::Info
        };
        let threshold = r
            .threshold_ms
            .map_or(String::new(), |t| format!(" (threshold {})", ms_text(t)));
        let text = format!(
            "bench {}: p95 {}{threshold}: {} {}",
            r.bench,
            ms_text(r.p95_ms),
            verdict_mark(r.verdict),
            verdict_word(r.verdict)
        );
        self.log_line(at, level, text);
        if let Some(s) = &r.suggestion {
            self.log_line(at, Level::Warn, format!("bench {}: {s}", r.bench));
        }
        true
    }

    /// A job that ended without a benchmark's summary leaves no benchmark running.
    pub(super) fn benches_stopped(&mut self) {
        for b in &mut self.benches {
            b.running = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_nearest_rank() {
        assert_eq!(p95([].into_iter()), 0.0);
        assert_eq!(p95([3.0].into_iter()), 3.0);
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(p95(v.iter().copied()), 19.0);
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(p95(v.into_iter()), 95.0);
    }

    #[test]
    fn durations_read_for_people() {
        assert_eq!(ms_text(0.421), "0.42ms");
        assert_eq!(ms_text(12.34), "12.3ms");
        assert_eq!(ms_text(1250.0), "1.25s");
    }
}
