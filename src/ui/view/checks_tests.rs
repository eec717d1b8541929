//! The checks and benchmarks views rendered into buffers: the files table's checks
//! column, the batches' verdicts, a file's findings, the benchmarks' sparklines, a
//! benchmark's detail, and the confirmation to go on past a failed batch. The state is
//! folded from events, as the cockpit folds it.

use super::draw;
use super::tests::{act, feed, mid_migration, render};
use crate::event::{
    BatchVerdict, BenchResult, BenchVerdict, CheckResult, ColumnDiff, Event, FileStatus, RowDiff,
    RowDiffKind, Severity,
};
use crate::ui::state::{Action, State};
use crate::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn check(file: Option<&str>, batch: usize, name: &str, sev: Severity, ok: bool) -> CheckResult {
    CheckResult {
        batch: Some(batch),
        file: file.map(str::to_string),
        check: name.into(),
        kind: "orphans".into(),
        table: Some("orders".into()),
        severity: sev,
        passed: ok,
        detail: if ok {
            "ok".into()
        } else {
            "2 rows point at no customer".into()
        },
        rows: Vec::new(),
        elapsed_ms: 2.0,
    }
}

/// Batch 1 validated with a failed critical checksum on 0002 (one row differs) and a
/// warning on 0001; batch 2 running.
fn validated() -> State {
    let mut s = mid_migration();
    let mut at = 62_000;
    let mut put = |s: &mut State, r: CheckResult| {
        at += 1;
        feed(s, at, Event::CheckFinished(Box::new(r)));
    };
    put(
        &mut s,
        check(Some("0001"), 1, "integrity", Severity::Critical, true),
    );
    put(
        &mut s,
        check(
            Some("0001"),
            1,
            "orphans orders.customer_id -> customers",
            Severity::Warning,
            false,
        ),
    );
    put(
        &mut s,
        check(Some("0002"), 1, "integrity", Severity::Critical, true),
    );
    let mut sum = check(
        Some("0002"),
        1,
        "checksum orders",
        Severity::Critical,
        false,
    );
    sum.kind = "checksum".into();
    sum.detail = "1 row differs from the checkpoint".into();
    sum.rows = vec![RowDiff {
        key: "id=4711".into(),
        kind: RowDiffKind::Changed,
        columns: vec![ColumnDiff {
            column: "total_cents".into(),
            source: Some("1999".into()),
            target: None,
        }],
    }];
    put(&mut s, sum);
    put(
        &mut s,
        check(Some("0005"), 2, "integrity", Severity::Critical, true),
    );
    feed(
        &mut s,
        63_000,
        Event::BatchValidated {
            batch: 1,
            verdict: BatchVerdict::Failed,
            passed: 2,
            total: 4,
        },
    );
    s
}

fn bench_result(name: &str, p95: f64, verdict: BenchVerdict) -> BenchResult {
    BenchResult {
        bench: name.into(),
        batch: 2,
        query: "SELECT * FROM orders WHERE customer_id = 42".into(),
        runs: 50,
        concurrency: 1,
        p50_ms: p95 / 2.0,
        p95_ms: p95,
        max_ms: p95 * 2.0,
        throughput_qps: 1000.0 / p95,
        threshold_ms: Some(50.0),
        baseline_p95_ms: Some(30.0),
        regression_pct: 10.0,
        change_pct: Some((p95 - 30.0) / 30.0 * 100.0),
        verdict,
        detail: format!("p95 {p95}ms against a threshold of 50ms"),
        plan: "SCAN orders\nUSE TEMP B-TREE FOR ORDER BY".into(),
        full_scan: true,
        suggestion: Some("CREATE INDEX orders_customer_id ON orders (customer_id)".into()),
        baseline_saved: false,
    }
}

/// Two benchmarks: one done and over its threshold, one still running.
fn benched() -> State {
    let mut s = mid_migration();
    let sample = |bench: &str, run: u32, ms: f64| Event::BenchSample {
        bench: bench.into(),
        batch: 2,
        run,
        connection: 0,
        ms,
    };
    for run in 0..50 {
        let ms = 20.0 + f64::from(run % 7) * 6.0 + f64::from(run);
        feed(
            &mut s,
            62_000 + i64::from(run),
            sample("orders of one customer", run, ms),
        );
    }
    feed(
        &mut s,
        62_100,
        Event::BenchSummary(Box::new(bench_result(
            "orders of one customer",
            68.0,
            BenchVerdict::OverThreshold,
        ))),
    );
    for run in 0..12 {
        let ms = 3.0 + f64::from(run % 4);
        feed(
            &mut s,
            62_200 + i64::from(run),
            sample("totals by day", run, ms),
        );
    }
    s
}

#[test]
fn files_table_shows_checks_and_batches_their_verdict_at_120x32() {
    let mut s = validated();
    act(&mut s, Action::Up);
    let screen = render(&s, 120, 32);
    assert!(screen.contains("✖ checks FAILED 2/4"), "{screen}");
    assert!(screen.contains("⚠1/2"), "{screen}");
    assert!(screen.contains("✖1/2"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn narrow_files_table_gets_its_checks_column_once_checks_ran_at_80x24() {
    let mut s = validated();
    act(&mut s, Action::Up);
    act(&mut s, Action::NextPanel);
    act(&mut s, Action::Down);
    let screen = render(&s, 80, 24);
    assert!(screen.contains("CHK"), "{screen}");
    assert!(screen.contains("✖1/2"), "{screen}");
    // Under the table, the file's worst finding.
    assert!(screen.contains("✖ critical checksum orders"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_failed_check_is_coloured_by_its_severity() {
    let mut s = validated();
    act(&mut s, Action::Up);
    let theme = Theme::load(
        Some("dark"),
        std::path::Path::new("."),
        crate::ui::theme::Depth::TrueColor,
    )
    .expect("dark theme");
    let mut term = Terminal::new(TestBackend::new(120, 32)).expect("terminal");
    term.draw(|f| draw(f, &s, &theme)).expect("draw");
    let buf = term.backend().buffer().clone();
    let find = |needle: &str| {
        (0..32u16).find_map(|y| {
            let row: String = (0..120u16)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            row.find(needle).map(|byte| {
                let x = row[..byte].chars().count() as u16;
                buf[(x, y)].style()
            })
        })
    };
    let crit = find("✖1/2").expect("the critical cell");
    let warn = find("⚠1/2").expect("the warning cell");
    assert_eq!(crit.fg, theme.error.fg);
    assert_eq!(warn.fg, theme.warn.fg);
}

#[test]
fn a_files_detail_lists_its_findings_with_the_differing_rows() {
    let mut s = validated();
    act(&mut s, Action::Up);
    act(&mut s, Action::NextPanel);
    act(&mut s, Action::Down);
    act(&mut s, Action::Open);
    let screen = render(&s, 100, 30);
    assert!(screen.contains("✖ checks: 1/2 passed"), "{screen}");
    assert!(
        screen.contains("id=4711 changed: total_cents 1999 → NULL"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn benchmarks_draw_sparklines_with_p95_against_threshold_at_120x32() {
    let s = benched();
    let screen = render(&s, 120, 32);
    assert!(screen.contains("✖ over"), "{screen}");
    assert!(screen.contains("⟳ 12"), "still running: {screen}");
    assert!(screen.contains("p95 68.0ms/50.0ms +127%"), "{screen}");
    assert!(screen.contains('█'), "a sparkline: {screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn benchmarks_fit_at_80x24() {
    let s = benched();
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn the_sparkline_grows_with_each_sample() {
    let mut s = mid_migration();
    let mut last = 0;
    for run in 0..10u32 {
        feed(
            &mut s,
            62_000 + i64::from(run),
            Event::BenchSample {
                bench: "q".into(),
                batch: 2,
                run,
                connection: 0,
                ms: 5.0,
            },
        );
        let screen = render(&s, 120, 32);
        let bars = screen.chars().filter(|c| "▁▂▃▄▅▆▇█".contains(*c)).count();
        assert!(
            bars > last,
            "run {run}: {bars} bars after {last}:\n{screen}"
        );
        last = bars;
    }
}

#[test]
fn a_benchmarks_detail_shows_its_plan_and_suggestion() {
    let mut s = benched();
    // The panel followed the running benchmark; the finished one is first.
    assert_eq!(s.selected_bench, 1);
    act(&mut s, Action::NextPanel);
    act(&mut s, Action::NextPanel);
    act(&mut s, Action::Top);
    act(&mut s, Action::Open);
    let screen = render(&s, 100, 30);
    assert!(screen.contains("SCAN orders"), "{screen}");
    assert!(
        screen.contains("suggested: CREATE INDEX orders_customer_id"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn going_on_past_a_failed_batch_asks_for_its_name() {
    let mut s = validated();
    // The apply job ends with batch 2's files left.
    feed(
        &mut s,
        64_000,
        Event::FileStatus {
            version: "0006".into(),
            status: FileStatus::Pending,
            detail: None,
        },
    );
    feed(
        &mut s,
        64_001,
        Event::JobFinished {
            job: "apply".into(),
            outcome: crate::event::Outcome::Failed,
        },
    );
    act(&mut s, Action::ApplyBatch);
    for c in "service".chars() {
        act(&mut s, Action::Type(c));
    }
    act(&mut s, Action::Submit);
    let screen = render(&s, 100, 30);
    assert!(
        screen.contains("Type simple-replacements and press Enter"),
        "{screen}"
    );
    assert!(
        screen.contains("\"service\" is not \"simple-replacements\""),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}
