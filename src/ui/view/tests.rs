//! Each view rendered into a buffer and compared with its snapshot. The state is built
//! by folding events through the reducer, as the cockpit builds it.

use super::draw;
use crate::event::{Event, FileStatus, LedgerFile, Level, Outcome, PlanBatch, PlanFile, Stamped};
use crate::ui::state::{Action, Input, State};
use crate::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

pub(super) const T0: i64 = 1_795_000_000_000;

pub(super) fn file(version: &str, name: &str, sql: &str) -> PlanFile {
    PlanFile {
        version: version.into(),
        name: name.into(),
        file: format!("{version}_{}.sql", name.replace(' ', "_")),
        sql: sql.into(),
        note: None,
    }
}

pub(super) fn feed(s: &mut State, at: i64, e: Event) {
    s.apply(
        &Input::Engine(Stamped {
            at_ms: T0 + at,
            event: e,
        }),
        &mut Vec::new(),
    );
}

pub(super) fn act(s: &mut State, a: Action) {
    // Keys pressed at the screen's last known time, so the snapshots' stamps stay put.
    let at_ms = s.now_ms;
    s.apply(&Input::action(a, at_ms), &mut Vec::new());
}

/// A window in the middle of a migration: batch 1 applied, batch 2 running, batch 3 waiting.
pub(super) fn mid_migration() -> State {
    let mut s = State::default();
    opened(&mut s);
    midway(&mut s);
    s
}

/// The session, the plan and the ledger as a cockpit sees them when it opens.
pub(super) fn opened(s: &mut State) {
    feed(
        s,
        0,
        Event::SessionStarted {
            plan: "shop v2 cutover".into(),
            target: "postgres://ops@db.internal:5432/shop".into(),
            operator: "alice".into(),
            host: "ops-7".into(),
            version: "0.1.0".into(),
        },
    );
    let mut broken = file("0006", "backfill totals", "ALTER TABLE orders ADD COLUMN total_cents INTEGER;\nUPDATE orders SET total_cents = (\n    SELECT SUM(qty * price) FROM order_items i WHERE i.order_id = orders.id\n);\n");
    broken.note = Some(
        "runs outside a transaction: CREATE INDEX CONCURRENTLY cannot run inside a transaction"
            .into(),
    );
    feed(
        s,
        1,
        Event::PlanLoaded {
            batches: vec![
                PlanBatch {
                    name: "simple-replacements".into(),
                    risk: "low".into(),
                    files: vec![
                        file("0001", "baseline", "CREATE TABLE a (id INT);"),
                        file(
                            "0002",
                            "add phone",
                            "ALTER TABLE customers ADD COLUMN phone TEXT;",
                        ),
                    ],
                },
                PlanBatch {
                    name: "service-layer".into(),
                    risk: "medium".into(),
                    files: vec![
                        file(
                            "0005",
                            "order statuses",
                            "CREATE TABLE order_statuses (code TEXT);",
                        ),
                        broken,
                        file("0007", "totals view", "CREATE VIEW v AS SELECT 1;"),
                    ],
                },
                PlanBatch {
                    name: "complex".into(),
                    risk: "high".into(),
                    files: vec![file(
                        "0008",
                        "split names",
                        "UPDATE customers SET first = name;",
                    )],
                },
            ],
        },
    );
    feed(
        s,
        2,
        Event::LedgerLoaded {
            files: ["0001", "0002"]
                .iter()
                .map(|v| LedgerFile {
                    version: v.to_string(),
                    status: FileStatus::Applied,
                    applied_at: None,
                    applied_by: Some("alice".into()),
                    duration_ms: Some(1234.0),
                    checksum_ok: true,
                })
                .collect(),
        },
    );
}

/// A job in the second batch: one file applied, the next one running.
fn midway(s: &mut State) {
    feed(
        s,
        1000,
        Event::JobStarted {
            job: "apply".into(),
        },
    );
    feed(
        s,
        1001,
        Event::BatchStarted {
            batch: 2,
            name: "service-layer".into(),
        },
    );
    feed(
        s,
        1002,
        Event::FileStatus {
            version: "0005".into(),
            status: FileStatus::Applying,
            detail: None,
        },
    );
    feed(
        s,
        1100,
        Event::FileApplied {
            version: "0005".into(),
            duration_ms: 98.0,
        },
    );
    feed(
        s,
        1101,
        Event::FileStatus {
            version: "0005".into(),
            status: FileStatus::Applied,
            detail: None,
        },
    );
    feed(
        s,
        1102,
        Event::FileStatus {
            version: "0006".into(),
            status: FileStatus::Applying,
            detail: None,
        },
    );
    feed(
        s,
        1103,
        Event::StatementStarted {
            version: "0006".into(),
            index: 2,
            total: 2,
            line: 2,
        },
    );
    feed(
        s,
        1104,
        Event::Progress {
            job: "apply".into(),
            done: 1,
            total: 3,
        },
    );
    feed(
        s,
        61_000,
        Event::Log {
            level: Level::Warn,
            text: "0006_backfill_totals.sql: runs outside a transaction".into(),
        },
    );
}

pub(super) fn render(s: &State, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| draw(f, s, &Theme::monochrome()))
        .expect("draw");
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn main_screen_mid_migration_at_80x24() {
    insta::assert_snapshot!(render(&mid_migration(), 80, 24));
}

#[test]
fn main_screen_mid_migration_at_120x32() {
    insta::assert_snapshot!(render(&mid_migration(), 120, 32));
}

#[test]
fn failed_file_detail_highlights_the_line() {
    let mut s = mid_migration();
    feed(
        &mut s,
        62_000,
        Event::FileFailed {
            version: "0006".into(),
            file: "0006_backfill_totals.sql".into(),
            line: 3,
            message: "column \"qty\" does not exist [42703]".into(),
        },
    );
    feed(
        &mut s,
        62_001,
        Event::FileStatus {
            version: "0006".into(),
            status: FileStatus::Failed,
            detail: None,
        },
    );
    feed(
        &mut s,
        62_002,
        Event::JobFinished {
            job: "apply".into(),
            outcome: Outcome::Failed,
        },
    );
    let list = render(&s, 100, 26);
    assert!(list.contains("✖ failed"), "{list}");
    insta::assert_snapshot!("failed_list", list);
    act(&mut s, Action::NextPanel);
    act(&mut s, Action::Open);
    let detail = render(&s, 100, 26);
    assert!(detail.contains("▶3 │"), "failing line marked: {detail}");
    assert!(
        detail.contains("│2 │ UPDATE"),
        "the failing statement is marked from its first line: {detail}"
    );
    assert!(
        detail.contains(" 1 │ ALTER"),
        "the statement before it is not: {detail}"
    );
    insta::assert_snapshot!("failed_detail", detail);
}

#[test]
fn help_lists_the_bindings() {
    let mut s = mid_migration();
    act(&mut s, Action::Help);
    insta::assert_snapshot!(render(&s, 100, 34));
}

#[test]
fn quit_while_running_asks() {
    let mut s = mid_migration();
    act(&mut s, Action::Quit);
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn too_small() {
    insta::assert_snapshot!(render(&mid_migration(), 60, 20));
}

#[test]
fn tiny_and_zero_sizes_never_panic() {
    let s = mid_migration();
    for (w, h) in [
        (0, 0),
        (1, 1),
        (80, 1),
        (1, 24),
        (79, 23),
        (80, 24),
        (300, 100),
    ] {
        render(&s, w, h);
    }
}

#[test]
fn idle_key_bar_offers_apply_and_hides_pause() {
    let mut s = mid_migration();
    feed(
        &mut s,
        70_000,
        Event::JobFinished {
            job: "apply".into(),
            outcome: Outcome::Cancelled,
        },
    );
    let screen = render(&s, 120, 30);
    let bar = screen
        .lines()
        .rev()
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string();
    assert!(
        bar.contains("apply next file") && !bar.contains("pause"),
        "{bar}"
    );
}

/// 0006 failed outside a transaction after its first statement: the ledger's `partial`.
fn with_partial_file() -> State {
    let mut s = mid_migration();
    feed(
        &mut s,
        62_000,
        Event::FileFailed {
            version: "0006".into(),
            file: "0006_backfill_totals.sql".into(),
            line: 2,
            message: "canceling statement due to user request [57014]".into(),
        },
    );
    feed(
        &mut s,
        62_001,
        Event::FileStatus {
            version: "0006".into(),
            status: FileStatus::Partial,
            detail: None,
        },
    );
    feed(
        &mut s,
        62_002,
        Event::JobFinished {
            job: "apply".into(),
            outcome: Outcome::Cancelled,
        },
    );
    act(&mut s, Action::NextPanel);
    s
}

#[test]
fn a_partial_file_shows_its_ledger_status_and_offers_resolve_not_apply() {
    let mut s = with_partial_file();
    let list = render(&s, 100, 26);
    assert!(
        list.contains("⚠ partial") && !list.contains("✖ failed"),
        "{list}"
    );
    assert!(list.contains("m resolve file"), "{list}");
    assert!(!list.contains("apply next file"), "{list}");
    act(&mut s, Action::Resolve);
    act(&mut s, Action::ResolvePending);
    let dialog = render(&s, 100, 26);
    assert!(dialog.contains("▶ p none of it remains"), "{dialog}");
    assert!(dialog.contains("y record it as pending"), "{dialog}");
    insta::assert_snapshot!("resolve_dialog", dialog);
}

#[test]
fn cancel_asks_first_and_names_the_statement() {
    let mut s = mid_migration();
    act(&mut s, Action::CancelStatement);
    let screen = render(&s, 80, 24);
    assert!(screen.contains("Cancel the running statement?"), "{screen}");
    insta::assert_snapshot!("cancel_dialog", screen);
}
