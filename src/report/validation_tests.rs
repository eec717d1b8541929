use super::*;
use crate::event::{BenchVerdict, PlanBatch, Risk};

fn check(batch: Option<usize>, file: Option<&str>, sev: Severity, passed: bool) -> Event {
    Event::CheckFinished(Box::new(CheckResult {
        batch,
        file: file.map(String::from),
        check: format!("check {}", file.unwrap_or("batch")),
        kind: "orphans".into(),
        table: Some("orders".into()),
        severity: sev,
        passed,
        detail: if passed {
            "ok".into()
        } else {
            "3 orphan rows <&>".into()
        },
        rows: Vec::new(),
        elapsed_ms: 2.0,
    }))
}

fn bench(verdict: BenchVerdict) -> Event {
    Event::BenchSummary(Box::new(BenchResult {
        bench: "by id".into(),
        batch: 1,
        query: "SELECT 1".into(),
        runs: 10,
        concurrency: 1,
        p50_ms: 1.0,
        p95_ms: 2.0,
        max_ms: 3.0,
        throughput_qps: 900.0,
        threshold_ms: Some(50.0),
        baseline_p95_ms: None,
        regression_pct: 10.0,
        change_pct: None,
        verdict,
        detail: "p95 2.00 ms".into(),
        plan: String::new(),
        full_scan: false,
        suggestion: None,
        baseline_saved: false,
    }))
}

fn collector(events: &[Event]) -> Collector {
    let mut c = Collector::new();
    c.fold(&Event::PlanLoaded {
        batches: vec![PlanBatch {
            name: "first".into(),
            risk: Risk::Low,
            files: Vec::new(),
        }],
    });
    for e in events {
        c.fold(e);
    }
    c
}

#[test]
fn a_clean_run_passes_and_says_go_on() {
    let c = collector(&[
        check(Some(1), Some("0001"), Severity::Error, true),
        check(Some(1), None, Severity::Critical, true),
        Event::BatchValidated {
            batch: 1,
            verdict: BatchVerdict::Passed,
            passed: 2,
            total: 2,
        },
        bench(BenchVerdict::Ok),
    ]);
    let r = c.report();
    assert!(r.passed);
    assert_eq!((r.checks_total, r.checks_passed), (2, 2));
    assert_eq!(r.files_validated, vec!["0001".to_string()]);
    assert_eq!(r.batches[0].name, "first");
    assert!(
        r.recommendation.starts_with("go on"),
        "{}",
        r.recommendation
    );
    assert_eq!(r.counts.get("error"), Some(&0));
}

#[test]
fn warnings_do_not_fail_but_errors_and_benchmarks_do() {
    let warn = collector(&[check(None, Some("0002"), Severity::Warning, false)]).report();
    assert!(warn.passed);
    assert!(warn.files_validated.is_empty());
    assert_eq!(warn.counts.get("warning"), Some(&1));
    let err = collector(&[check(None, None, Severity::Error, false)]).report();
    assert!(!err.passed);
    assert!(err.recommendation.contains("--force-progress"));
    let crit = collector(&[check(Some(1), None, Severity::Critical, false)]).report();
    assert!(crit.recommendation.starts_with("stop"));
    let slow = collector(&[bench(BenchVerdict::Regressed)]).report();
    assert!(!slow.passed);
}

#[test]
fn a_forced_batch_says_who_and_why() {
    let c = collector(&[
        Event::BatchValidated {
            batch: 1,
            verdict: BatchVerdict::Failed,
            passed: 1,
            total: 2,
        },
        Event::ProgressForced {
            batch: 1,
            operator: "ana".into(),
            reason: "counts checked by hand".into(),
        },
    ]);
    let r = c.report();
    assert_eq!(r.batches[0].verdict, BatchVerdict::Forced);
    let text = summary(&r);
    assert!(
        text.contains("forced by ana: counts checked by hand"),
        "{text}"
    );
}

#[test]
fn junit_has_one_case_per_check_and_benchmark_with_failures_escaped() {
    let c = collector(&[
        check(Some(1), Some("0001"), Severity::Error, false),
        check(None, None, Severity::Warning, false),
        check(None, None, Severity::Info, true),
        bench(BenchVerdict::OverThreshold),
        Event::BatchValidated {
            batch: 1,
            verdict: BatchVerdict::Failed,
            passed: 0,
            total: 1,
        },
    ]);
    let xml = junit(&c.report()).expect("xml");
    assert_eq!(xml.matches("<testcase").count(), 4, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 2, "{xml}");
    assert!(xml.contains("3 orphan rows &lt;&amp;&gt;"), "{xml}");
    assert!(xml.contains("batch 1 first"), "{xml}");
    assert!(xml.contains("name=\"benchmarks\""), "{xml}");
}

#[test]
fn json_has_the_fields_the_issue_names() {
    let c = collector(&[
        check(Some(1), None, Severity::Critical, false),
        bench(BenchVerdict::Ok),
    ]);
    let v = serde_json::to_value(c.report()).expect("json");
    for key in [
        "timestamp",
        "passed",
        "counts",
        "findings",
        "benchmarks",
        "batches",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    let f = &v["findings"][0];
    for key in ["check", "table", "severity", "detail"] {
        assert!(f.get(key).is_some(), "{key} missing in a finding: {f}");
    }
    assert_eq!(v["benchmarks"][0]["verdict"], "ok");
}
