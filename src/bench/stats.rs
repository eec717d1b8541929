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
//! 3. **Not the machine being slower.** Both conditions above still fire when the whole
//!    machine is busier than when the baseline was taken (on a shared host every run,
//!    fastest included, slows down). So each run is followed by two controls, stored
//!    with the baseline: a query with no work (`SELECT 1`, on the same connection),
//!    whose slowdown is what the server and the connection add to any query at that
//!    moment, and arithmetic on this machine for as long as the query takes (its rate
//!    compared), whose slowdown is how much less CPU a computing query gets (`SELECT
//!    1` is too short to be preempted, so it misses that; measured on a loaded 2-core
//!    machine: a 3 ms SQLite scan +100..300% slower while `SELECT 1` moved +2..18%).
//!    The larger of the two is the machine's slowdown.
//!    The query's slowdown is discounted by the control's (its Hodges-Lehmann estimate
//!    from the interval's bound, its fastest-quarter change from the fastest quarter's;
//!    never discounted when the control got faster), and what remains must still
//!    exceed `regression_pct`. (The control's own interval is not used: `SELECT 1`
//!    takes a few tens of microseconds, so one scheduler hiccup stretches its upper
//!    bound by thousands of percent and would hide any regression.) A dropped index or
//!    a query made 3x slower moves the query, not `SELECT 1`.
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

/// One run's timings: the query's, and the control query's taken between them.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub query_ms: &'a [f64],
    pub control_ms: &'a [f64],
    /// The CPU control's (`runner::cpu_control`).
    pub cpu_ms: &'a [f64],
}

/// What the comparison with a baseline says.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub regressed: bool,
    /// The estimated slowdown (percent, before any discount), when there were enough
    /// samples.
    pub change_pct: Option<f64>,
    /// In words, for the result's detail.
    pub detail: String,
}

fn ratio_pct(then: f64, now: f64) -> f64 {
    if then > 0.0 {
        (now / then - 1.0) * 100.0
    } else {
        0.0
    }
}

/// `a` percent slower, discounted by the machine's `b` percent (only a slowdown is
/// discounted).
fn discounted(a: f64, b: f64) -> f64 {
    ((1.0 + a / 100.0) / (1.0 + b.max(0.0) / 100.0) - 1.0) * 100.0
}

/// How much slower the machine answered the control query: (the shift's estimate,
/// fastest-quarter change), zero without control timings on both sides.
fn machine(then: &[f64], now: &[f64]) -> (f64, f64) {
    match shift(then, now) {
        Some(c) => (
            c.estimate_pct,
            ratio_pct(figures(then).p25, figures(now).p25),
        ),
        None => (0.0, 0.0),
    }
}

/// Judges current against baseline samples (see the module comment).
/// The smallest slowdown at the median (ms) ever called a regression.
pub const MIN_EFFECT_MS: f64 = 1.0;

pub fn regression(then: &Sample<'_>, now: &Sample<'_>, regression_pct: f64) -> Regression {
    let Some(s) = shift(then.query_ms, now.query_ms) else {
        let change = Some(ratio_pct(
            figures(then.query_ms).p50,
            figures(now.query_ms).p50,
        ))
        .filter(|_| !then.query_ms.is_empty() && !now.query_ms.is_empty());
        return Regression {
            regressed: false,
            change_pct: change,
            detail: format!(
                "too few runs to judge a regression ({} baseline, {} now; at least 8 each)",
                then.query_ms.len(),
                now.query_ms.len()
            ),
        };
    };
    let fast = ratio_pct(figures(then.query_ms).p25, figures(now.query_ms).p25);
    // The machine's slowdown: the larger of what the two controls saw.
    let (lat_est, lat_fast) = machine(then.control_ms, now.control_ms);
    let (cpu_est, cpu_fast) = machine(then.cpu_ms, now.cpu_ms);
    let (machine_est, machine_fast) = (lat_est.max(cpu_est), lat_fast.max(cpu_fast));
    let confident = discounted(s.low_pct, machine_est) > regression_pct;
    let fast_too = discounted(fast, machine_fast) > regression_pct;
    let mut said = format!(
        "{:+.1}% against the baseline (99% interval {:+.1}%..{:+.1}%; fastest quarter {:+.1}%)",
        s.estimate_pct, s.low_pct, s.high_pct, fast
    );
    if machine_est > 0.0 || machine_fast > 0.0 {
        said.push_str(&format!(
            ", the machine {machine_est:+.1}% slower (controls: SELECT 1 {lat_est:+.1}%, CPU {cpu_est:+.1}%; fastest quarter {machine_fast:+.1}%)"
        ));
    }
    // A slowdown of a fraction of a millisecond is within what scheduling alone does to
    // a query on a shared machine (measured here: whole measurements of a 1 ms query
    // drifting +50-80% for seconds, unseen by the controls): too small to call.
    let added_ms = figures(now.query_ms).p50 - figures(then.query_ms).p50;
    let big_enough = added_ms >= MIN_EFFECT_MS;
    let detail = match (confident, fast_too) {
        (true, true) if !big_enough => format!(
            "{said}: {added_ms:.2} ms added at the median, under the {MIN_EFFECT_MS} ms this machine's scheduling noise reaches, no regression"
        ),
        (true, true) => format!("regressed: {said}, beyond the {regression_pct}% allowed"),
        (true, false) => format!(
            "{said}: the slow runs moved but not the fastest beyond what the machine explains, no regression"
        ),
        _ => format!("{said}: within {regression_pct}% or noise, no regression"),
    };
    Regression {
        regressed: confident && fast_too && big_enough,
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

    fn q(v: &[f64]) -> Sample<'_> {
        Sample {
            query_ms: v,
            control_ms: &[],
            cpu_ms: &[],
        }
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
            let (a, b) = (noisy(2.0, 30, seed), noisy(2.0, 30, seed + 1000));
            let r = regression(&q(&a), &q(&b), 10.0);
            assert!(!r.regressed, "seed {seed}: {}", r.detail);
        }
    }

    #[test]
    fn three_times_slower_is_a_regression() {
        let (a, b) = (noisy(2.0, 30, 1), noisy(6.0, 30, 2));
        let r = regression(&q(&a), &q(&b), 10.0);
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
        let r = regression(&q(&base), &q(&now), 10.0);
        assert!(!r.regressed, "{}", r.detail);
    }

    #[test]
    fn a_slower_machine_is_discounted() {
        let (a, b) = (noisy(2.0, 30, 5), noisy(6.0, 30, 6));
        let (ca, cb) = (noisy(0.1, 30, 7), noisy(0.3, 30, 8));
        let then = Sample {
            query_ms: &a,
            control_ms: &ca,
            cpu_ms: &[],
        };
        let now = Sample {
            query_ms: &b,
            control_ms: &cb,
            cpu_ms: &[],
        };
        let r = regression(&then, &now, 10.0);
        assert!(!r.regressed, "{}", r.detail);
        assert!(r.detail.contains("the machine"), "{}", r.detail);
        // The same control, and the query 3x slower: a regression.
        let now = Sample {
            query_ms: &b,
            control_ms: &ca,
            cpu_ms: &[],
        };
        assert!(regression(&then, &now, 10.0).regressed);
    }

    #[test]
    fn too_few_runs_claim_nothing() {
        let r = regression(&q(&[1.0, 1.1, 1.0]), &q(&[5.0, 5.1, 5.0]), 10.0);
        assert!(!r.regressed);
        assert!(r.detail.contains("too few"), "{}", r.detail);
    }
}
