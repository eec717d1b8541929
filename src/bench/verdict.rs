//! The verdict of a benchmark from its samples: over its `p95_ms` threshold, regressed
//! against its baseline (`stats::regression`), or ok. A threshold crossed is said first:
//! it is the plan's own limit, while a regression is relative to an earlier run (the
//! detail names both when both hold).

use super::stats::{self, Figures};
use super::Baseline;
use crate::event::BenchVerdict;

/// The judged part of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub verdict: BenchVerdict,
    pub detail: String,
    pub change_pct: Option<f64>,
}

pub fn judge(
    figs: &Figures,
    samples: &[f64],
    threshold_ms: Option<f64>,
    baseline: Option<&Baseline>,
    regression_pct: f64,
) -> Judged {
    let over = threshold_ms.filter(|t| figs.p95 > *t);
    let regression = baseline.map(|b| stats::regression(&b.samples_ms, samples, regression_pct));
    let mut parts = Vec::new();
    match (threshold_ms, over) {
        (Some(t), Some(_)) => parts.push(format!(
            "p95 {:.2} ms is over the {t} ms threshold",
            figs.p95
        )),
        (Some(t), None) => parts.push(format!("p95 {:.2} ms within {t} ms", figs.p95)),
        (None, _) => parts.push(format!("p95 {:.2} ms (no threshold)", figs.p95)),
    }
    match &regression {
        Some(r) => parts.push(r.detail.clone()),
        None => parts.push("no baseline stored (cutover bench --baseline stores one)".into()),
    }
    let regressed = regression.as_ref().is_some_and(|r| r.regressed);
    let verdict = if over.is_some() {
        BenchVerdict::OverThreshold
    } else if regressed {
        BenchVerdict::Regressed
    } else {
        BenchVerdict::Ok
    };
    Judged {
        verdict,
        detail: parts.join("; "),
        change_pct: regression.and_then(|r| r.change_pct),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figs(p95: f64) -> Figures {
        Figures {
            p25: 1.0,
            p50: 1.0,
            p95,
            max: p95,
        }
    }

    #[test]
    fn threshold_and_baseline() {
        let j = judge(&figs(60.0), &[60.0], Some(50.0), None, 10.0);
        assert_eq!(j.verdict, BenchVerdict::OverThreshold);
        assert!(j.detail.contains("over the 50 ms"), "{}", j.detail);
        let j = judge(&figs(10.0), &[10.0], Some(50.0), None, 10.0);
        assert_eq!(j.verdict, BenchVerdict::Ok);
        let base = Baseline {
            p50_ms: 1.0,
            p95_ms: 1.2,
            samples_ms: (0..30).map(|i| 1.0 + i as f64 / 100.0).collect(),
            created_at: String::new(),
        };
        let now: Vec<f64> = (0..30).map(|i| 3.0 + i as f64 / 100.0).collect();
        let j = judge(&figs(3.3), &now, None, Some(&base), 10.0);
        assert_eq!(j.verdict, BenchVerdict::Regressed, "{}", j.detail);
        assert!(j.change_pct.is_some_and(|c| c > 100.0));
    }
}
