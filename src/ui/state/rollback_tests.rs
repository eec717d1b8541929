//! Reducer tests for checkpoints, rollback and rehearsal: every path from a key or an
//! engine event to what the state shows and the effects it asks for.

use super::dialog::rollback::RESTORE_WORD;
use super::*;
use crate::event::Stamped;
use crate::event::{
    Event, FileStatus, LedgerFile, Outcome, PlanBatch, PlanFile, RollbackPreview, RollbackScope,
    TableLoss, Undo, UndoFile,
};

pub(super) fn ev(s: &mut State, at_ms: i64, event: Event) -> bool {
    s.apply(&Input::Engine(Stamped { at_ms, event }), &mut Vec::new())
}

/// Folds a key; `fx` gets the effects for the engine (the journal's notes are tested
/// on their own).
pub(super) fn key(s: &mut State, a: Action, fx: &mut Vec<Effect>) -> bool {
    let at = s.now_ms + 1;
    let changed = s.apply(&Input::action(a, at), fx);
    fx.retain(|e| !matches!(e, Effect::Note(_)));
    changed
}

fn typed(s: &mut State, word: &str, fx: &mut Vec<Effect>) {
    for c in word.chars() {
        key(s, Action::Type(c), fx);
    }
}

pub(super) fn last_log(s: &State) -> String {
    s.log
        .iter()
        .last()
        .map(|l| l.text.clone())
        .unwrap_or_default()
}

/// Two batches ("one": 1, 2; "two": 3), batch one applied, checkpoints before each.
pub(super) fn applied() -> State {
    let mut s = State::default();
    ev(
        &mut s,
        1,
        Event::SessionStarted {
            plan: "p".into(),
            target: "t".into(),
            operator: "dana".into(),
            host: "h".into(),
            version: "v".into(),
        },
    );
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
    ev(&mut s, 2, Event::PlanLoaded { batches });
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
    ev(&mut s, 3, Event::LedgerLoaded { files });
    s.selected_batch = 0;
    s
}

fn batch_one_preview() -> RollbackPreview {
    RollbackPreview {
        scope: RollbackScope::Batch { batch: "1".into() },
        files: vec![
            UndoFile {
                version: "2".into(),
                name: "f2".into(),
                undo: Undo::DownSql,
            },
            UndoFile {
                version: "1".into(),
                name: "f1".into(),
                undo: Undo::Restore {
                    checkpoint: 1,
                    taken_at: "2026-12-02T01:00:00Z".into(),
                },
            },
        ],
        losses: vec![TableLoss {
            table: "customers".into(),
            rows: 20_000,
        }],
        confirm: "one".into(),
        notes: vec![],
    }
}

/// R on batch one, and the engine's preview: the dialog is open.
fn dialog_open(s: &mut State, fx: &mut Vec<Effect>) {
    assert!(key(s, Action::RollbackBatch, fx));
    assert_eq!(
        *fx,
        [Effect::PreviewRollback(RollbackScope::Batch {
            batch: "1".into()
        })]
    );
    assert!(s.rollback.preparing.is_some(), "preparing rollback… shows");
    assert!(s.overlay.is_none(), "no dialog before the engine answers");
    fx.clear();
    ev(s, 10, Event::RollbackPreview(batch_one_preview()));
    assert!(s.rollback.preparing.is_none());
    assert!(
        matches!(&s.overlay, Some(Overlay::Rollback(d)) if d.confirm.expected == "one" && !d.restore)
    );
}

#[test]
fn a_wrong_word_does_nothing_and_says_so_and_the_right_one_rolls_back() {
    let mut s = applied();
    let mut fx = Vec::new();
    dialog_open(&mut s, &mut fx);
    typed(&mut s, "two", &mut fx);
    key(&mut s, Action::Submit, &mut fx);
    assert!(fx.is_empty(), "a wrong word sends nothing");
    let Some(Overlay::Rollback(d)) = &s.overlay else {
        panic!("the dialog stays open: {:?}", s.overlay);
    };
    assert_eq!(
        d.confirm.error.as_deref(),
        Some("\"two\" is not \"one\": nothing done")
    );
    assert!(last_log(&s).contains("wrong word typed, nothing done"));
    // Keys of the main screen are letters here.
    typed(&mut s, "one", &mut fx);
    assert!(fx.is_empty());
    key(&mut s, Action::Submit, &mut fx);
    assert_eq!(
        fx,
        [Effect::Rollback {
            scope: RollbackScope::Batch { batch: "1".into() },
            restore: false
        }]
    );
    assert!(s.overlay.is_none());
    assert!(
        last_log(&s).contains("rollback of batch 1 one confirmed by dana (typed one)"),
        "{}",
        last_log(&s)
    );
}

#[test]
fn esc_cancels_the_rollback_dialog() {
    let mut s = applied();
    let mut fx = Vec::new();
    dialog_open(&mut s, &mut fx);
    typed(&mut s, "one", &mut fx);
    key(&mut s, Action::No, &mut fx);
    assert!(fx.is_empty() && s.overlay.is_none());
    assert!(last_log(&s).contains("cancelled: nothing changed"));
}

#[test]
fn an_empty_preview_says_there_is_nothing_to_undo_instead_of_asking() {
    let mut s = applied();
    let mut fx = Vec::new();
    s.selected_batch = 1;
    key(&mut s, Action::RollbackBatch, &mut fx);
    ev(
        &mut s,
        10,
        Event::RollbackPreview(RollbackPreview {
            scope: RollbackScope::Batch { batch: "2".into() },
            files: vec![],
            losses: vec![],
            confirm: "two".into(),
            notes: vec!["already rolled back".into()],
        }),
    );
    assert!(s.overlay.is_none());
    assert!(s.rollback.preparing.is_none());
    assert_eq!(
        last_log(&s),
        "nothing to roll back for batch 2 two: no applied file to undo; already rolled back"
    );
}

#[test]
fn r_asks_for_the_selected_file_and_e_for_everything() {
    let mut s = applied();
    let mut fx = Vec::new();
    s.selected_file = 1;
    key(&mut s, Action::RollbackFile, &mut fx);
    key(&mut s, Action::RollbackEmergency, &mut fx);
    assert_eq!(
        fx,
        [
            Effect::PreviewRollback(RollbackScope::File {
                version: "2".into()
            }),
            Effect::PreviewRollback(RollbackScope::Emergency),
        ]
    );
    assert!(last_log(&s).contains("preparing rollback of everything (emergency)"));
}

#[test]
fn rollback_and_rehearse_keys_are_withheld_while_a_job_runs() {
    let mut s = applied();
    let mut fx = Vec::new();
    ev(
        &mut s,
        5,
        Event::JobStarted {
            job: "apply".into(),
        },
    );
    for a in [
        Action::RollbackFile,
        Action::RollbackBatch,
        Action::RollbackEmergency,
        Action::Rehearse,
    ] {
        assert!(!key(&mut s, a, &mut fx), "{a:?}");
        assert!(!crate::ui::keymap::available(a, &s), "{a:?} in the key bar");
    }
    assert!(fx.is_empty());
    // A preview nobody asked for opens no dialog.
    ev(&mut s, 6, Event::RollbackPreview(batch_one_preview()));
    assert!(s.overlay.is_none());
    ev(
        &mut s,
        7,
        Event::JobFinished {
            job: "apply".into(),
            outcome: Outcome::Succeeded,
        },
    );
    assert!(crate::ui::keymap::available(Action::RollbackBatch, &s));
    assert!(crate::ui::keymap::available(Action::RollbackEmergency, &s));
    assert!(
        !crate::ui::keymap::available(Action::Rehearse, &s),
        "batch one has nothing pending to rehearse"
    );
}

#[test]
fn progress_streams_per_file_and_a_manual_rollback_shows_without_a_banner() {
    let mut s = applied();
    let mut fx = Vec::new();
    dialog_open(&mut s, &mut fx);
    typed(&mut s, "one", &mut fx);
    key(&mut s, Action::Submit, &mut fx);
    let scope = RollbackScope::Batch { batch: "1".into() };
    ev(
        &mut s,
        20,
        Event::JobStarted {
            job: "rollback".into(),
        },
    );
    ev(
        &mut s,
        21,
        Event::RollbackStarted {
            scope: scope.clone(),
            automatic: false,
            reason: None,
        },
    );
    assert!(s.rollback.running.as_ref().is_some_and(|r| !r.automatic));
    assert!(
        s.rollback.banner.is_none(),
        "a manual rollback has no banner"
    );
    s.selected_batch = 1;
    for (at, v, st) in [
        (22, "2", FileStatus::RollingBack),
        (23, "2", FileStatus::RolledBack),
        (24, "1", FileStatus::RollingBack),
    ] {
        ev(
            &mut s,
            at,
            Event::FileStatus {
                version: v.into(),
                status: st,
                detail: None,
            },
        );
    }
    assert_eq!(s.files[1].status, FileStatus::RolledBack);
    assert_eq!(s.files[0].status, FileStatus::RollingBack);
    assert_eq!(
        (s.selected_batch, s.cursor_file()),
        (0, Some(0)),
        "the cursor follows the rollback"
    );
    ev(
        &mut s,
        25,
        Event::RollbackFinished {
            scope,
            outcome: Outcome::Succeeded,
            detail: None,
            offers_restore: false,
        },
    );
    assert!(s.rollback.running.is_none());
    assert_eq!(last_log(&s), "rollback of batch 1 one finished");
    assert!(s.overlay.is_none(), "success offers nothing");
}

#[test]
fn an_automatic_rollback_shows_a_banner_until_esc_or_the_next_job() {
    let mut s = applied();
    let mut fx = Vec::new();
    let scope = RollbackScope::File {
        version: "3".into(),
    };
    ev(
        &mut s,
        5,
        Event::JobStarted {
            job: "apply".into(),
        },
    );
    ev(
        &mut s,
        6,
        Event::RollbackStarted {
            scope: scope.clone(),
            automatic: true,
            reason: Some("3.sql failed (on_failure = rollback-file)".into()),
        },
    );
    let b = s.rollback.banner.clone().expect("a banner");
    assert_eq!(
        b.reason.as_deref(),
        Some("3.sql failed (on_failure = rollback-file)")
    );
    assert!(last_log(&s).starts_with("automatic rollback of file 3 f3: 3.sql failed"));
    ev(
        &mut s,
        7,
        Event::RollbackFinished {
            scope: scope.clone(),
            outcome: Outcome::Succeeded,
            detail: None,
            offers_restore: false,
        },
    );
    assert_eq!(
        s.rollback.banner.as_ref().and_then(|b| b.outcome),
        Some(Outcome::Succeeded),
        "the banner stays, with the outcome"
    );
    ev(
        &mut s,
        8,
        Event::JobFinished {
            job: "apply".into(),
            outcome: Outcome::Failed,
        },
    );
    assert!(s.rollback.banner.is_some(), "still there after the job");
    s.focus = Panel::Files;
    assert!(key(&mut s, Action::Back, &mut fx));
    assert!(s.rollback.banner.is_none(), "Esc acknowledged it");
    assert_eq!(s.focus, Panel::Files, "and did nothing else");
    // Another one; the next job ends it.
    ev(
        &mut s,
        9,
        Event::RollbackStarted {
            scope,
            automatic: true,
            reason: None,
        },
    );
    assert!(s.rollback.banner.is_some());
    ev(
        &mut s,
        10,
        Event::JobStarted {
            job: "apply".into(),
        },
    );
    assert!(s.rollback.banner.is_none());
}

#[test]
fn a_failed_rollback_offers_the_restore_behind_its_own_word() {
    let mut s = applied();
    let mut fx = Vec::new();
    dialog_open(&mut s, &mut fx);
    typed(&mut s, "one", &mut fx);
    key(&mut s, Action::Submit, &mut fx);
    fx.clear();
    let scope = RollbackScope::Batch { batch: "1".into() };
    ev(
        &mut s,
        20,
        Event::RollbackStarted {
            scope: scope.clone(),
            automatic: false,
            reason: None,
        },
    );
    let failed = |s: &mut State, at, fx: &mut Vec<Effect>| {
        let event = Event::RollbackFinished {
            scope: scope.clone(),
            outcome: Outcome::Failed,
            detail: Some(
                "rollback failed at 2: no such table: x\n  hint: restore the backup taken 01:00 (checkpoint #1): `cutover rollback --batch 1 --restore --yes`, or confirm the restore in the cockpit"
                    .into(),
            ),
            offers_restore: true,
        };
        s.apply(&Input::Engine(Stamped { at_ms: at, event }), fx)
    };
    failed(&mut s, 21, &mut fx);
    // The engine is asked what the restore would undo; nothing opens before it answers.
    assert_eq!(fx, [Effect::PreviewRestore(scope.clone())]);
    assert!(s.overlay.is_none());
    fx.clear();
    let mut restore = batch_one_preview();
    for f in &mut restore.files {
        f.undo = Undo::Restore {
            checkpoint: 1,
            taken_at: "2026-12-02T01:00:00Z".into(),
        };
    }
    ev(&mut s, 22, Event::RollbackPreview(restore));
    let Some(Overlay::Rollback(d)) = &s.overlay else {
        panic!("a restore is offered: {:?}", s.overlay);
    };
    assert!(d.restore);
    assert_eq!(d.confirm.expected, RESTORE_WORD);
    assert_eq!(d.failure.as_deref().map(|f| f.lines().count()), Some(2));
    let body: Vec<String> = d.body(0).into_iter().map(|(_, l)| l).collect();
    assert!(
        body.iter()
            .any(|l| l.contains("restore checkpoint #1 taken")),
        "the restore's own preview: {body:?}"
    );
    // The rollback's own word does not restore.
    typed(&mut s, "one", &mut fx);
    key(&mut s, Action::Submit, &mut fx);
    assert!(fx.is_empty());
    typed(&mut s, RESTORE_WORD, &mut fx);
    key(&mut s, Action::Submit, &mut fx);
    assert_eq!(
        fx,
        [Effect::Rollback {
            scope: scope.clone(),
            restore: true
        }]
    );
    assert!(last_log(&s).contains("restore after the failed rollback of batch 1 one confirmed"));
    // A restore that fails in turn offers nothing more.
    fx.clear();
    failed(&mut s, 30, &mut fx);
    assert!(s.overlay.is_none() && fx.is_empty());
}

#[test]
fn a_failure_that_offers_no_restore_opens_nothing() {
    let mut s = applied();
    ev(
        &mut s,
        20,
        Event::RollbackFinished {
            scope: RollbackScope::Emergency,
            outcome: Outcome::Failed,
            detail: Some("rollback failed at 1: boom\n  hint: no backup was taken at or before these files: fix the down script and run the rollback again".into()),
            offers_restore: false,
        },
    );
    assert!(s.overlay.is_none());
    assert!(last_log(&s).contains("rollback of everything (emergency) FAILED"));
}

#[test]
fn a_recorded_rollback_session_refolds_to_the_same_state() {
    use crate::ui::record::{fold, refold, Recording};
    let mut live = State::default();
    let mut rec = Recording::default();
    let mut fx = Vec::new();
    let mut feed = |s: &mut State, input: Input| {
        fold(s, &mut rec, input, &mut fx).expect("in memory");
    };
    let opening = [
        Event::SessionStarted {
            plan: "p".into(),
            target: "t".into(),
            operator: "dana".into(),
            host: "h".into(),
            version: "v".into(),
        },
        Event::PlanLoaded {
            batches: vec![PlanBatch {
                name: "one".into(),
                risk: "low".into(),
                files: vec![PlanFile {
                    version: "1".into(),
                    name: "f1".into(),
                    file: "1.sql".into(),
                    sql: String::new(),
                    note: None,
                }],
            }],
        },
    ];
    for (i, e) in opening.into_iter().enumerate() {
        feed(
            &mut live,
            Input::Engine(Stamped {
                at_ms: i as i64,
                event: e,
            }),
        );
    }
    feed(&mut live, Input::action(Action::RollbackBatch, 10));
    let mut p = batch_one_preview();
    p.files.truncate(1);
    feed(
        &mut live,
        Input::Engine(Stamped {
            at_ms: 11,
            event: Event::RollbackPreview(p),
        }),
    );
    for (i, c) in "onf".chars().enumerate() {
        feed(&mut live, Input::action(Action::Type(c), 12 + i as i64));
    }
    feed(&mut live, Input::action(Action::Backspace, 20));
    feed(&mut live, Input::action(Action::Down, 21));
    assert!(matches!(live.overlay, Some(Overlay::Rollback(_))));
    let replayed = refold(&rec.inputs);
    assert_eq!(replayed, live);
}

#[test]
fn an_engine_message_of_several_lines_takes_a_log_line_each() {
    let mut s = applied();
    let before = s.log.len();
    ev(
        &mut s,
        20,
        Event::Log {
            level: crate::event::Level::Error,
            text: "rollback failed at 2: boom\n  hint: `--restore`".into(),
        },
    );
    assert_eq!(s.log.len(), before + 2);
    assert_eq!(last_log(&s), "  hint: `--restore`");
}

#[test]
fn a_refused_preview_ends_preparing_and_opens_nothing() {
    let mut s = applied();
    let mut fx = Vec::new();
    key(&mut s, Action::RollbackBatch, &mut fx);
    assert!(s.rollback.preparing.is_some());
    ev(
        &mut s,
        20,
        Event::RollbackFinished {
            scope: RollbackScope::Batch { batch: "1".into() },
            outcome: Outcome::Refused,
            detail: Some("batch 2 has applied files: roll it back first".into()),
            offers_restore: false,
        },
    );
    assert!(s.rollback.preparing.is_none());
    assert!(s.overlay.is_none());
    assert_eq!(last_log(&s), "rollback of batch 1 one could not run");
}
