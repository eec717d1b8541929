//! The statistics of a benchmark: percentiles of its samples, and the regression test
//! against a stored baseline.
//!
//! # How a regression is judged (and why this way)
//!
//! Query timings on a shared machine are noisy and skewed: most runs sit near the
//! query's own cost, and a few are much slower because the scheduler, the page cache or
//! another process got in the way. Comparing two p95s (or two means) therefore raises
//! false alarms: with 30 runs, the p95 is the second slowest run, i.e. one unlucky
//! moment. So the verdict compares the two *distributions*, with two conditions that
//! must both hold:
//!
//! 1. **Confidently slower by more than `regression_pct`.** The shift between baseline
//!    and current is estimated on log-times (a slowdown is a ratio: 2 ms -> 2.4 ms is the
//!    same +20% as 20 ms -> 24 ms) with the Hodges-Lehmann estimator: the median of all
//!    pairwise differences `ln(current_i) - ln(baseline_j)`. Its distribution-free
//!    confidence interval is the one that inverts the Mann-Whitney U (rank-sum) test:
//!    the `k`-th smallest and `k`-th largest pairwise differences, `k` from the U
//!    statistic's normal approximation. Regressed requires the *lower* bound of the 99%
//!    interval to exceed `ln(1 + regression_pct/100)`: not merely "significantly
//!    slower" (a rank test alone flags a 2% shift given enough runs) and not merely
//!    "the medians differ by 10%" (which noise does on its own), but "slower by at
//!    least regression_pct, with 99% confidence". Rank-based, so a few wild outliers
//!    move it no more than any other slow run.
//! 2. **The fast quarter is slower too.** Noise on a loaded machine only ever adds
//!    time, so the fastest runs show the query's own cost best (the reason benchmark
//!    harnesses such as Julia's BenchmarkTools judge on minimums). If another process
//!    stole the CPU for part of the run, the slow runs move but the lower quartile
//!    stays; a real regression (an index dropped, more work per row) moves every run.
//!    So the current lower quartile must also exceed the baseline's by `regression_pct`.
//!
//! With too few runs for the interval (fewer than about 8 per side) no regression is
//! claimed, and the detail says so.

/// z for a two-sided 99% interval (its lower bound is a one-sided 99.5% bound).
const Z_99: f64 = 2.5758;

/// Timings are clamped here before logs are taken (a 0 ms sample from a coarse clock).
const FLOOR_MS: f64 = 1e-6;

/// The figures of one set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub p25: f64,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

/// The `q` quantile (0..=1) of sorted samples, interpolating linearly between ranks
/// (the common "type 7" definition); 0 for no samples.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

pub fn figures(samples: &[f64]) -> Figures {
    let s = sorted(samples);
    Figures {
        p25: quantile(&s, 0.25),
        p50: quantile(&s, 0.50),
        p95: quantile(&s, 0.95),
        max: s.last().copied().unwrap_or(0.0),
    }
}

/// The estimated slowdown of current against baseline, in percent (negative: faster),
/// with its 99% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    pub estimate_pct: f64,
    pub low_pct: f64,
    pub high_pct: f64,
}

fn pct(log_ratio: f64) -> f64 {
    (log_ratio.exp() - 1.0) * 100.0
}

/// The Hodges-Lehmann shift of log-times and its rank-based 99% interval; None with
/// too few samples for the interval.
pub fn shift(baseline: &[f64], current: &[f64]) -> Option<Shift> {
    let logs = |v: &[f64]| -> Vec<f64> { sorted(v).iter().map(|x| x.max(FLOOR_MS).ln()).collect() };
    let (b, c) = (logs(baseline), logs(current));
    let (n, m) = (c.len() as f64, b.len() as f64);
    let mut diffs: Vec<f64> = Vec::with_capacity(c.len() * b.len());
    for x in &c {
        diffs.extend(b.iter().map(|y| x - y));
    }
    diffs.sort_by(f64::total_cmp);
    let total = diffs.len();
    // The k-th smallest pairwise difference bounds the interval (Mann-Whitney's
    // critical value of U, normal approximation).
    let k = (n * m / 2.0 - Z_99 * (n * m * (n + m + 1.0) / 12.0).sqrt()).floor();
    if k < 1.0 || total == 0 {
        return None;
    }
    let k = k as usize;
    Some(Shift {
        estimate_pct: pct(quantile(&diffs, 0.5)),
        low_pct: pct(diffs[k - 1]),
        high_pct: pct(diffs[total - k]),
    })
}

/// What the comparison with a baseline says.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub regressed: bool,
    /// The estimated slowdown (percent), when there were enough samples.
    pub change_pct: Option<f64>,
    /// In words, for the result's detail.
    pub detail: String,
}

/// Judges current against baseline samples (see the module comment).
pub fn regression(baseline: &[f64], current: &[f64], regression_pct: f64) -> Regression {
    let Some(s) = shift(baseline, current) else {
        let (b, c) = (figures(baseline).p50, figures(current).p50);
        let change = (b > 0.0).then(|| (c / b - 1.0) * 100.0);
        return Regression {
            regressed: false,
            change_pct: change,
            detail: format!(
                "too few runs to judge a regression ({} baseline, {} now; at least 8 each)",
                baseline.len(),
                current.len()
            ),
        };
    };
    let (bq, cq) = (figures(baseline).p25, figures(current).p25);
    let fast_change = if bq > 0.0 {
        (cq / bq - 1.0) * 100.0
    } else {
        0.0
    };
    let confident = s.low_pct > regression_pct;
    let fast_too = fast_change > regression_pct;
    let interval = format!(
        "{:+.1}% against the baseline (99% interval {:+.1}%..{:+.1}%; fastest quarter {:+.1}%)",
        s.estimate_pct, s.low_pct, s.high_pct, fast_change
    );
    let detail = match (confident, fast_too) {
        (true, true) => format!("regressed: {interval}, beyond the {regression_pct}% allowed"),
        (true, false) => format!(
            "{interval}: the slow runs moved but the fastest did not (noise), no regression"
        ),
        _ => format!("{interval}: within {regression_pct}% or noise, no regression"),
    };
    Regression {
        regressed: confident && fast_too,
        change_pct: Some(s.estimate_pct),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic skewed "timing" sample: base cost plus occasional stalls.
    fn noisy(base: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                let stall = if u > 0.9 { base * 3.0 * u } else { 0.0 };
                base * (1.0 + 0.08 * u) + stall
            })
            .collect()
    }

    #[test]
    fn quantiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&s, 0.5), 3.0);
        assert_eq!(quantile(&s, 0.25), 2.0);
        assert!((quantile(&s, 0.95) - 4.8).abs() < 1e-9);
        assert_eq!(quantile(&[], 0.5), 0.0);
        let f = figures(&[3.0, 1.0, 2.0]);
        assert_eq!((f.p50, f.max), (2.0, 3.0));
    }

    #[test]
    fn same_distribution_is_no_regression() {
        for seed in 0..200 {
            let r = regression(&noisy(2.0, 30, seed), &noisy(2.0, 30, seed + 1000), 10.0);
            assert!(!r.regressed, "seed {seed}: {}", r.detail);
        }
    }

    #[test]
    fn three_times_slower_is_a_regression() {
        let r = regression(&noisy(2.0, 30, 1), &noisy(6.0, 30, 2), 10.0);
        assert!(r.regressed, "{}", r.detail);
        let c = r.change_pct.expect("change");
        assert!(c > 150.0 && c < 250.0, "{c}");
    }

    #[test]
    fn slow_tail_alone_is_noise() {
        let base = noisy(2.0, 40, 3);
        // Half the runs hit a busy machine: the fastest quarter did not move.
        let mut now = noisy(2.0, 40, 4);
        for x in now.iter_mut().skip(20) {
            *x *= 3.0;
        }
        let r = regression(&base, &now, 10.0);
        assert!(!r.regressed, "{}", r.detail);
    }

    #[test]
    fn too_few_runs_claim_nothing() {
        let r = regression(&[1.0, 1.1, 1.0], &[5.0, 5.1, 5.0], 10.0);
        assert!(!r.regressed);
        assert!(r.detail.contains("too few"), "{}", r.detail);
    }
}
