//! Rendered buffers of checkpoints, rollback and rehearsal: the files table with its
//! checkpoint and rehearsal columns, the typed rollback dialog, the restore offer, the
//! automatic rollback's banner, and help at 80x24. The state is folded from events and
//! actions, as the cockpit folds it.

use super::tests::{act, feed, opened, render};
use crate::event::{
    CheckpointInfo, CheckpointState, Event, FileStatus, Outcome, RehearsalVerdict, RollbackPreview,
    RollbackScope, TableLoss, Undo, UndoFile,
};
use crate::ui::keymap::{self, HelpLine};
use crate::ui::state::{Action, Input, Panel, State};

fn sized(s: &mut State, width: u16, height: u16) {
    let at_ms = s.now_ms;
    s.apply(
        &Input::Resize {
            width,
            height,
            at_ms,
        },
        &mut Vec::new(),
    );
}

fn checkpoint(s: &mut State, at: i64, id: i64, version: Option<&str>, status: CheckpointState) {
    feed(
        s,
        at,
        Event::CheckpointCreated(CheckpointInfo {
            id,
            version: version.map(String::from),
            fingerprint: "f".repeat(64),
            status,
            backup: None,
        }),
    );
}

/// Batch 1 applied with its checkpoints; batch 2 rehearsed (0007's down is wrong), then
/// rolled back after 0005 and 0006 were applied: 0006 undone, 0005 undoing.
fn rolling_back() -> State {
    let mut s = State::default();
    opened(&mut s);
    checkpoint(&mut s, 10, 1, None, CheckpointState::Active);
    checkpoint(&mut s, 11, 2, Some("0001"), CheckpointState::Validated);
    checkpoint(&mut s, 12, 3, Some("0002"), CheckpointState::Validated);
    for (at, v, verdict, detail) in [
        (20, "0005", RehearsalVerdict::Reversible, None),
        (21, "0006", RehearsalVerdict::Reversible, None),
        (
            22,
            "0007",
            RehearsalVerdict::DownDiffers,
            Some("view customer_totals: still there after the down"),
        ),
    ] {
        feed(
            &mut s,
            at,
            Event::Rehearsed {
                version: v.into(),
                verdict,
                detail: detail.map(String::from),
            },
        );
    }
    checkpoint(&mut s, 30, 14, Some("0005"), CheckpointState::Created);
    checkpoint(&mut s, 31, 15, Some("0006"), CheckpointState::Created);
    let scope = RollbackScope::Batch { batch: "2".into() };
    feed(
        &mut s,
        40,
        Event::JobStarted {
            job: "rollback".into(),
        },
    );
    feed(
        &mut s,
        41,
        Event::RollbackStarted {
            scope,
            automatic: false,
            reason: None,
        },
    );
    for (at, v, st) in [
        (42, "0006", FileStatus::RolledBack),
        (43, "0005", FileStatus::RollingBack),
    ] {
        feed(
            &mut s,
            at,
            Event::FileStatus {
                version: v.into(),
                status: st,
                detail: None,
            },
        );
    }
    feed(
        &mut s,
        44,
        Event::StatementStarted {
            version: "0005".into(),
            index: 1,
            total: 2,
            line: 1,
        },
    );
    act(&mut s, Action::NextPanel);
    s
}

#[test]
fn files_table_shows_checkpoints_rehearsal_and_rollback_at_80x24() {
    let s = rolling_back();
    let screen = render(&s, 80, 24);
    assert!(screen.contains("↺ rolled back"), "{screen}");
    assert!(
        screen.contains("↶ 1/2"),
        "statement progress while undoing: {screen}"
    );
    assert!(
        screen.contains("#14○"),
        "checkpoint id and state glyph: {screen}"
    );
    assert!(screen.contains("✗"), "0007 not reversible: {screen}");
    assert!(
        screen.contains("rolling back batch 2 service-layer"),
        "the header says what runs: {screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn files_table_shows_checkpoint_words_at_120x32() {
    let mut s = rolling_back();
    sized(&mut s, 120, 32);
    // The cursor on 0007: why its rehearsal failed shows under the table.
    act(&mut s, Action::Bottom);
    let screen = render(&s, 120, 32);
    assert!(screen.contains("CHECKPOINT"), "{screen}");
    assert!(screen.contains("#15 created"), "{screen}");
    assert!(
        screen.contains("✗ rehearsal: down leaves a different schema: view customer_totals"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    act(&mut s, Action::PrevPanel);
    act(&mut s, Action::Up);
    let batch1 = render(&s, 120, 32);
    assert!(
        batch1.contains("#2 validated") && batch1.contains("#3 validated"),
        "{batch1}"
    );
}

fn batch_preview() -> RollbackPreview {
    RollbackPreview {
        scope: RollbackScope::Batch { batch: "1".into() },
        files: vec![
            UndoFile {
                version: "0002".into(),
                name: "add phone".into(),
                undo: Undo::DownSql,
            },
            UndoFile {
                version: "0001".into(),
                name: "baseline".into(),
                undo: Undo::Restore {
                    checkpoint: 1,
                    taken_at: "2026-11-18 07:33:20 UTC".into(),
                },
            },
        ],
        losses: vec![
            TableLoss {
                table: "customers".into(),
                rows: 20_000,
            },
            TableLoss {
                table: "a".into(),
                rows: 3,
            },
        ],
        confirm: "simple-replacements".into(),
        notes: vec!["0001 has no down SQL: the window's backup is restored for it, so every write made since 07:33:20 is lost".into()],
    }
}

/// `R` on batch 1, the engine's preview, and a wrong word typed.
fn dialog_after_a_wrong_word(width: u16, height: u16) -> State {
    let mut s = State::default();
    opened(&mut s);
    sized(&mut s, width, height);
    act(&mut s, Action::Up);
    act(&mut s, Action::RollbackBatch);
    feed(&mut s, 5_000, Event::RollbackPreview(batch_preview()));
    for c in "simple".chars() {
        act(&mut s, Action::Type(c));
    }
    act(&mut s, Action::Submit);
    s
}

#[test]
fn rollback_dialog_lists_what_is_undone_and_refuses_a_wrong_word_at_80x24() {
    let s = dialog_after_a_wrong_word(80, 24);
    let screen = render(&s, 80, 24);
    for needle in [
        "Roll back batch 1 simple-replacements",
        "Undo 2 file(s), newest first:",
        "0002 add phone · down SQL",
        "restore checkpoint #1",
        "customers 20000 rows",
        "Type simple-replacements and press Enter",
        "\"simple\" is not \"simple-replacements\": nothing done",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn rollback_dialog_at_120x32() {
    insta::assert_snapshot!(render(&dialog_after_a_wrong_word(120, 32), 120, 32));
}

#[test]
fn a_long_preview_scrolls_and_the_field_always_shows_at_80x24() {
    let mut s = State::default();
    opened(&mut s);
    act(&mut s, Action::RollbackEmergency);
    let files = (1..=30)
        .rev()
        .map(|n| UndoFile {
            version: format!("{n:04}"),
            name: format!("file {n}"),
            undo: Undo::DownSql,
        })
        .collect();
    let preview = RollbackPreview {
        scope: RollbackScope::Emergency,
        files,
        losses: vec![],
        confirm: "EMERGENCY".into(),
        notes: vec!["the last note".into()],
    };
    feed(&mut s, 5_000, Event::RollbackPreview(preview));
    let top = render(&s, 80, 24);
    assert!(
        top.contains("0030 file 30") && !top.contains("the last note"),
        "{top}"
    );
    assert!(
        top.contains("more line(s) above"),
        "says there is more: {top}"
    );
    assert!(top.contains("Type EMERGENCY and press Enter"), "{top}");
    for _ in 0..3 {
        act(&mut s, Action::PageDown);
    }
    let bottom = render(&s, 80, 24);
    assert!(bottom.contains("• the last note"), "{bottom}");
    assert!(
        bottom.contains("Type EMERGENCY and press Enter"),
        "{bottom}"
    );
}

#[test]
fn restore_offer_after_a_failed_rollback() {
    let mut s = State::default();
    opened(&mut s);
    act(&mut s, Action::Up);
    act(&mut s, Action::RollbackBatch);
    feed(&mut s, 5_000, Event::RollbackPreview(batch_preview()));
    for c in "simple-replacements".chars() {
        act(&mut s, Action::Type(c));
    }
    act(&mut s, Action::Submit);
    let scope = RollbackScope::Batch { batch: "1".into() };
    feed(
        &mut s,
        6_000,
        Event::RollbackStarted {
            scope: scope.clone(),
            automatic: false,
            reason: None,
        },
    );
    feed(
        &mut s,
        7_000,
        Event::RollbackFinished {
            scope,
            outcome: Outcome::Failed,
            detail: Some("rollback failed at 0002: no such column: phone\n  the rollback was undone as one transaction: the database is as it was before it began\n  hint: restore the backup taken 2026-11-18 07:33:20 UTC (checkpoint #1): `cutover rollback --batch 1 --restore --yes`, or confirm the restore in the cockpit".into()),
            offers_restore: true,
        },
    );
    // The cockpit asked the engine what the restore undoes; its answer opens the dialog.
    let mut restore = batch_preview();
    for f in &mut restore.files {
        f.undo = Undo::Restore {
            checkpoint: 1,
            taken_at: "2026-11-18 07:33:20 UTC".into(),
        };
    }
    restore.notes.clear();
    feed(&mut s, 7_100, Event::RollbackPreview(restore));
    let screen = render(&s, 80, 24);
    assert!(
        screen.contains("Type RESTORE and press Enter to restore"),
        "{screen}"
    );
    assert!(
        screen.contains("✖ rollback failed at 0002: no such column: phone"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn automatic_rollback_banner_at_80x24() {
    let mut s = State::default();
    opened(&mut s);
    feed(
        &mut s,
        5_000,
        Event::JobStarted {
            job: "apply".into(),
        },
    );
    feed(
        &mut s,
        5_100,
        Event::RollbackStarted {
            scope: RollbackScope::Batch { batch: "2".into() },
            automatic: true,
            reason: Some("0006 failed; on_failure = rollback-batch".into()),
        },
    );
    let screen = render(&s, 80, 24);
    assert!(
        screen.contains("↶ AUTOMATIC ROLLBACK of batch 2 service-layer"),
        "{screen}"
    );
    assert!(screen.contains("Esc to dismiss"), "{screen}");
    assert!(
        screen.contains("why: 0006 failed; on_failure = rollback-batch"),
        "the reason shows whole at 80 columns: {screen}"
    );
    insta::assert_snapshot!(screen);
    act(&mut s, Action::Back);
    assert!(!render(&s, 80, 24).contains("AUTOMATIC ROLLBACK"));
}

#[test]
fn help_shows_every_binding_at_80x24_when_scrolled() {
    let mut s = State::default();
    opened(&mut s);
    act(&mut s, Action::Help);
    let first = render(&s, 80, 24);
    insta::assert_snapshot!(first);
    let mut seen = first.clone();
    for _ in 0..keymap::help_lines().len() {
        act(&mut s, Action::Down);
        seen.push_str(&render(&s, 80, 24));
    }
    let last = render(&s, 80, 24);
    assert!(last.contains("runs outside one transaction"), "{last}");
    for line in keymap::help_lines() {
        let needle = match line {
            HelpLine::Heading(h) => h.to_string(),
            HelpLine::Entry(label, desc) => format!("{label:<12}{desc}"),
        };
        assert!(seen.contains(&needle), "{needle:?} never shown at 80x24");
    }
    for key in ["r ", "R ", "E ", "t ", "m "] {
        assert!(seen.contains(&format!("  {key}")), "{key:?}");
    }
}

#[test]
fn the_key_bar_keeps_help_and_quit_at_80_columns() {
    let mut s = State::default();
    opened(&mut s);
    s.focus = Panel::Files;
    let screen = render(&s, 80, 24);
    let bar = screen.lines().nth(23).unwrap_or_default().to_string();
    assert!(bar.contains("? help") && bar.contains("q quit"), "{bar}");
    assert!(bar.contains("a apply next file"), "{bar}");
}
