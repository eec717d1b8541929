//! Checks, batch verdicts, benchmarks and going on past a failed batch, folded from
//! synthetic events and keys.

use super::*;
use crate::event::Stamped;
use crate::event::{
    BatchVerdict, BenchResult, BenchVerdict, CheckResult, ColumnDiff, Event, FileStatus,
    LedgerFile, PlanBatch, PlanFile, RowDiff, RowDiffKind, Severity,
};

fn ev(s: &mut State, at_ms: i64, event: Event) -> Vec<Effect> {
    let mut fx = Vec::new();
    s.apply(&Input::Engine(Stamped { at_ms, event }), &mut fx);
    fx
}

/// The effects for the engine (the journal's notes are tested on their own).
fn key(s: &mut State, a: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    s.apply(&Input::action(a, 10), &mut fx);
    fx.retain(|e| !matches!(e, Effect::Note(_)));
    fx
}

fn typed(s: &mut State, word: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in word.chars() {
        fx.extend(key(s, Action::Type(c)));
    }
    fx.extend(key(s, Action::Submit));
    fx
}

/// Two batches: `one` (files 1, 2) applied, `two` (file 3) pending.
fn plan() -> State {
    let mut s = State::default();
    let f = |v: &str| PlanFile {
        version: v.into(),
        name: format!("f{v}"),
        file: format!("{v}.sql"),
        sql: "SELECT 1;".into(),
        note: None,
    };
    let batches = vec![
        PlanBatch {
            name: "one".into(),
            risk: "low".into(),
            files: vec![f("1"), f("2")],
        },
        PlanBatch {
            name: "two".into(),
            risk: "high".into(),
            files: vec![f("3")],
        },
    ];
    ev(&mut s, 1, Event::PlanLoaded { batches });
    let files = ["1", "2"]
        .iter()
        .map(|v| LedgerFile {
            version: v.to_string(),
            status: FileStatus::Applied,
            applied_at: None,
            applied_by: None,
            duration_ms: None,
            checksum_ok: true,
        })
        .collect();
    ev(&mut s, 2, Event::LedgerLoaded { files });
    s
}

pub(crate) fn check(
    file: Option<&str>,
    batch: Option<usize>,
    name: &str,
    severity: Severity,
    passed: bool,
) -> Event {
    Event::CheckFinished(Box::new(CheckResult {
        batch,
        file: file.map(str::to_string),
        check: name.into(),
        kind: "orphans".into(),
        table: Some("orders".into()),
        severity,
        passed,
        detail: if passed {
            "no orphans".into()
        } else {
            "2 rows of orders point nowhere".into()
        },
        rows: Vec::new(),
        elapsed_ms: 1.0,
    }))
}

#[test]
fn file_checks_count_by_name_and_keep_the_worst_finding() {
    let mut s = plan();
    ev(
        &mut s,
        3,
        check(Some("1"), Some(1), "integrity", Severity::Critical, true),
    );
    ev(
        &mut s,
        4,
        check(Some("1"), Some(1), "orphans a", Severity::Warning, false),
    );
    ev(
        &mut s,
        5,
        check(Some("1"), Some(1), "orphans b", Severity::Error, false),
    );
    let c = &s.files[0].checks;
    assert_eq!((c.passed(), c.total()), (1, 3));
    assert_eq!(c.worst(), Some(Severity::Error));
    let order: Vec<&str> = c.findings().map(|r| r.check.as_str()).collect();
    assert_eq!(order, ["orphans b", "orphans a"], "worst first");
    assert!(s
        .log
        .iter()
        .any(|l| l.text.contains("1: ✖ error orphans b")));
    // The same check again replaces its result: a second validation does not add up.
    ev(
        &mut s,
        6,
        check(Some("1"), Some(1), "orphans b", Severity::Error, true),
    );
    let c = &s.files[0].checks;
    assert_eq!(
        (c.passed(), c.total(), c.worst()),
        (2, 3, Some(Severity::Warning))
    );
    // A check of the batch, and one of the database, are not a file's.
    ev(
        &mut s,
        7,
        check(None, Some(1), "row_count orders", Severity::Critical, false),
    );
    ev(
        &mut s,
        8,
        check(None, None, "integrity", Severity::Critical, true),
    );
    assert_eq!(s.files[0].checks.total(), 3);
    assert_eq!(s.batches[0].checks.total(), 1);
    assert_eq!(s.db_checks.total(), 1);
    // Applying the file again starts its checks over.
    ev(
        &mut s,
        9,
        Event::FileStatus {
            version: "1".into(),
            status: FileStatus::Applying,
            detail: None,
        },
    );
    assert_eq!(s.files[0].checks.total(), 0);
}

#[test]
fn batch_verdicts_and_overrides_fold_with_who_and_why() {
    let mut s = plan();
    let validated = |verdict| Event::BatchValidated {
        batch: 1,
        verdict,
        passed: 2,
        total: 3,
    };
    ev(&mut s, 3, validated(BatchVerdict::Failed));
    let v = s.batches[0].validation.clone().expect("a verdict");
    assert_eq!((v.verdict, v.passed, v.total), (BatchVerdict::Failed, 2, 3));
    assert!(s.log.iter().any(|l| l.text.contains("FAILED validation")));
    ev(
        &mut s,
        4,
        Event::ProgressForced {
            batch: 1,
            operator: "alice".into(),
            reason: "known orphan rows".into(),
        },
    );
    let v = s.batches[0].validation.clone().expect("a verdict");
    assert_eq!(v.verdict, BatchVerdict::Forced);
    assert_eq!(
        v.forced,
        Some(Forced {
            operator: "alice".into(),
            reason: "known orphan rows".into()
        })
    );
    // A batch the plan does not have changes nothing.
    let before = s.batches.clone();
    assert!(!s.apply(
        &Input::Engine(Stamped {
            at_ms: 5,
            event: Event::BatchValidated {
                batch: 9,
                verdict: BatchVerdict::Passed,
                passed: 0,
                total: 0
            }
        }),
        &mut Vec::new()
    ));
    assert_eq!(s.batches, before);
}

#[test]
fn v_and_b_become_jobs_for_all_or_the_selected_batch() {
    let mut s = plan();
    assert_eq!(key(&mut s, Action::Validate), [Effect::Validate(None)]);
    assert_eq!(key(&mut s, Action::Bench), [Effect::Bench(None)]);
    key(&mut s, Action::Down);
    assert_eq!(
        key(&mut s, Action::ValidateBatch),
        [Effect::Validate(Some(2))]
    );
    assert_eq!(key(&mut s, Action::BenchBatch), [Effect::Bench(Some(2))]);
    // Not while a job runs, not in a replay.
    ev(
        &mut s,
        3,
        Event::JobStarted {
            job: "bench".into(),
        },
    );
    assert!(key(&mut s, Action::Validate).is_empty());
    assert!(key(&mut s, Action::Bench).is_empty());
    let mut replay = plan();
    replay.read_only = true;
    assert!(key(&mut replay, Action::Bench).is_empty());
}

#[test]
fn applying_past_a_failed_batch_asks_for_its_name_and_records_a_wrong_one() {
    let mut s = plan();
    ev(
        &mut s,
        3,
        check(Some("2"), Some(1), "orphans x", Severity::Critical, false),
    );
    ev(
        &mut s,
        4,
        Event::BatchValidated {
            batch: 1,
            verdict: BatchVerdict::Failed,
            passed: 0,
            total: 1,
        },
    );
    // `a` would start batch two: the dialog opens instead, listing the finding.
    assert!(key(&mut s, Action::ApplyNext).is_empty());
    let Some(Overlay::Force(d)) = &s.overlay else {
        panic!("no dialog: {:?}", s.overlay)
    };
    assert_eq!(d.confirm.expected, "one");
    assert!(
        d.findings[0].contains("2: ✖ critical orphans x"),
        "{:?}",
        d.findings
    );
    // A wrong word: nothing sent, the dialog stays, the log says so.
    assert!(typed(&mut s, "two").is_empty());
    assert!(matches!(s.overlay, Some(Overlay::Force(_))));
    assert!(s
        .log
        .iter()
        .any(|l| l.text.contains("wrong word typed, nothing done")));
    // The right one: the apply goes with the reason.
    assert_eq!(
        typed(&mut s, "one"),
        [Effect::ApplyForced {
            to: Some("3".into()),
            batch: None,
            reason: "confirmed in the cockpit by typing one".into()
        }]
    );
    assert!(s.overlay.is_none());
    assert!(s.log.iter().any(|l| l.text.contains("confirmed by")));
    // `A` on batch two asks too; Esc stops there.
    key(&mut s, Action::Down);
    assert!(key(&mut s, Action::ApplyBatch).is_empty());
    assert!(matches!(s.overlay, Some(Overlay::Force(_))));
    assert!(key(&mut s, Action::No).is_empty());
    assert!(s.overlay.is_none());
    assert!(s
        .log
        .iter()
        .any(|l| l.text.contains("cancelled: nothing applied")));
    // Once forced (the engine says so), applying asks nothing.
    ev(
        &mut s,
        5,
        Event::ProgressForced {
            batch: 1,
            operator: "alice".into(),
            reason: "r".into(),
        },
    );
    assert_eq!(key(&mut s, Action::ApplyBatch), [Effect::ApplyBatch(2)]);
}

fn summary(verdict: BenchVerdict, p95: f64) -> Event {
    Event::BenchSummary(Box::new(BenchResult {
        bench: "orders".into(),
        batch: 2,
        query: "SELECT * FROM orders WHERE customer_id = 42".into(),
        runs: 30,
        concurrency: 1,
        p50_ms: 1.0,
        p95_ms: p95,
        max_ms: 9.0,
        throughput_qps: 900.0,
        threshold_ms: Some(5.0),
        baseline_p95_ms: Some(2.0),
        regression_pct: 10.0,
        change_pct: Some(50.0),
        verdict,
        detail: "p95 above 5ms".into(),
        plan: "SCAN orders".into(),
        full_scan: true,
        suggestion: Some("CREATE INDEX ON orders (customer_id)".into()),
        baseline_saved: false,
    }))
}

fn sample(run: u32, ms: f64) -> Event {
    Event::BenchSample {
        bench: "orders".into(),
        batch: 2,
        run,
        connection: 0,
        ms,
    }
}

#[test]
fn bench_samples_make_a_running_p95_series_that_stays_bounded() {
    let mut s = plan();
    for run in 0..30 {
        ev(&mut s, 3, sample(run, f64::from(run)));
    }
    let b = &s.benches[0];
    assert!(b.running && b.verdict().is_none());
    assert_eq!(b.series.len(), 30);
    // After 30 samples 0..29, the window holds the last 20 (10..29): p95 is 28.
    assert_eq!(b.current_p95(), Some(28.0));
    assert_eq!(b.series.get(0), Some(&0.0));
    ev(&mut s, 4, summary(BenchVerdict::OverThreshold, 27.5));
    let b = &s.benches[0];
    assert!(!b.running);
    assert_eq!(b.verdict(), Some(BenchVerdict::OverThreshold));
    assert_eq!(
        (b.current_p95(), b.threshold(), b.baseline()),
        (Some(27.5), Some(5.0), Some(2.0))
    );
    let detail: Vec<String> = b.detail_lines().into_iter().map(|(_, l)| l).collect();
    assert!(
        detail.iter().any(|l| l.contains("SCAN orders")),
        "{detail:?}"
    );
    assert!(detail.iter().any(|l| l.contains("suggested: CREATE INDEX")));
    assert!(detail.iter().any(|l| l.contains("full scan")));
    // A second run starts its series over, keeps the threshold, hides the old verdict.
    ev(&mut s, 5, sample(0, 1.0));
    let b = &s.benches[0];
    assert_eq!(b.series.len(), 1);
    assert_eq!((b.verdict(), b.threshold()), (None, Some(5.0)));
    // However long it runs, memory stays bounded.
    for run in 0..10_000 {
        ev(&mut s, 6, sample(run, 1.0));
    }
    assert!(s.benches[0].series.len() <= bench::HISTORY);
    assert!(s.benches[0].recent.len() <= bench::WINDOW);
    // A job that ends without a summary leaves nothing running.
    ev(
        &mut s,
        7,
        Event::JobFinished {
            job: "bench".into(),
            outcome: crate::event::Outcome::Cancelled,
        },
    );
    assert!(!s.benches[0].running);
}

#[test]
fn enter_on_a_benchmark_opens_its_detail_and_scrolling_stops_at_its_end() {
    let mut s = plan();
    ev(&mut s, 3, summary(BenchVerdict::Ok, 1.0));
    key(&mut s, Action::NextPanel);
    key(&mut s, Action::NextPanel);
    assert_eq!(s.focus, Panel::Benches);
    key(&mut s, Action::Open);
    assert_eq!(
        s.overlay,
        Some(Overlay::Bench {
            bench: 0,
            scroll: 0
        })
    );
    let lines = s.benches[0].detail_lines().len();
    for _ in 0..100 {
        key(&mut s, Action::Down);
    }
    assert_eq!(
        s.overlay,
        Some(Overlay::Bench {
            bench: 0,
            scroll: lines - 1
        })
    );
    key(&mut s, Action::Back);
    assert!(s.overlay.is_none());
    // Shift-Tab goes back the way Tab came.
    key(&mut s, Action::PrevPanel);
    assert_eq!(s.focus, Panel::Files);
}

#[test]
fn row_diffs_keep_the_key_and_both_values() {
    let mut s = plan();
    let mut r = match check(
        Some("1"),
        None,
        "checksum orders",
        Severity::Critical,
        false,
    ) {
        Event::CheckFinished(r) => r,
        _ => unreachable!(),
    };
    r.rows = vec![RowDiff {
        key: "id=7".into(),
        kind: RowDiffKind::Changed,
        columns: vec![ColumnDiff {
            column: "total".into(),
            source: Some("10".into()),
            target: None,
        }],
    }];
    ev(&mut s, 3, Event::CheckFinished(r));
    let f = s.files[0].checks.findings().next().expect("a finding");
    assert_eq!(f.rows[0].key, "id=7");
}

#[test]
fn a_recorded_validate_and_bench_session_refolds_to_the_same_state_through_json() {
    use crate::ui::record::{fold, refold, Recording};
    let mut live = plan();
    let opening = live.clone();
    let mut rec = Recording::default();
    let mut fx = Vec::new();
    let mut feed = |s: &mut State, input: Input| {
        fold(s, &mut rec, input, &mut fx).expect("in memory");
    };
    let engine = |at_ms, event| Input::Engine(Stamped { at_ms, event });
    feed(
        &mut live,
        engine(
            3,
            check(Some("2"), Some(1), "orphans x", Severity::Critical, false),
        ),
    );
    feed(
        &mut live,
        engine(
            4,
            Event::BatchValidated {
                batch: 1,
                verdict: BatchVerdict::Failed,
                passed: 0,
                total: 1,
            },
        ),
    );
    for run in 0..40 {
        feed(
            &mut live,
            engine(5 + i64::from(run), sample(run, f64::from(run % 9))),
        );
    }
    feed(&mut live, engine(50, summary(BenchVerdict::Regressed, 8.0)));
    feed(&mut live, Input::action(Action::ApplyNext, 51));
    for (i, c) in "on".chars().enumerate() {
        feed(&mut live, Input::action(Action::Type(c), 52 + i as i64));
    }
    assert!(matches!(live.overlay, Some(Overlay::Force(_))));
    // Through JSON, as a journal stores each input.
    let lines: Vec<Input> = rec
        .inputs
        .iter()
        .map(|i| serde_json::from_str(&serde_json::to_string(i).expect("json")).expect("back"))
        .collect();
    let mut replayed = opening;
    let mut none = Vec::new();
    for i in &lines {
        replayed.apply(i, &mut none);
    }
    assert_eq!(replayed, live);
    assert_eq!(refold(&rec.inputs).benches, live.benches);
}

#[test]
fn a_job_that_ends_closes_the_questions_about_it() {
    let mut s = plan();
    ev(
        &mut s,
        3,
        Event::JobStarted {
            job: "bench".into(),
        },
    );
    key(&mut s, Action::Quit);
    assert_eq!(s.overlay, Some(Overlay::ConfirmQuit));
    ev(
        &mut s,
        4,
        Event::JobFinished {
            job: "bench".into(),
            outcome: crate::event::Outcome::Succeeded,
        },
    );
    assert_eq!(s.overlay, None, "a yes would wait for a job that is gone");
    assert_eq!(key(&mut s, Action::Quit), [Effect::Quit]);
}
