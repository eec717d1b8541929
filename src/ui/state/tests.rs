use super::*;
use crate::event::Stamped;
use crate::event::{Event, FileStatus, Outcome, PlanBatch, PlanFile};

fn stamped(at_ms: i64, event: Event) -> Input {
    Input::Engine(Stamped { at_ms, event })
}

fn plan(s: &mut State) {
    let f = |v: &str| PlanFile {
        version: v.into(),
        name: format!("f{v}"),
        file: format!("{v}.sql"),
        sql: "SELECT 1;\nSELECT 2;".into(),
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
    s.apply(&stamped(1, Event::PlanLoaded { batches }), &mut Vec::new());
}

#[test]
fn apply_keys_become_effects_only_when_they_can_run() {
    let mut s = State::default();
    plan(&mut s);
    let mut fx = Vec::new();
    s.apply(&Input::action(Action::ApplyNext, 0), &mut fx);
    assert_eq!(fx, [Effect::ApplyTo("1".into())]);
    fx.clear();
    // Batch two cannot start before batch one is done.
    s.apply(&Input::action(Action::Down, 0), &mut fx);
    s.apply(&Input::action(Action::ApplyBatch, 0), &mut fx);
    assert!(fx.is_empty());
    assert!(s
        .log
        .iter()
        .last()
        .is_some_and(|l| l.text.contains("cannot start")));
    // While a job runs, apply keys do nothing and pause works once.
    s.apply(
        &stamped(
            2,
            Event::JobStarted {
                job: "apply".into(),
            },
        ),
        &mut fx,
    );
    s.apply(&Input::action(Action::ApplyNext, 0), &mut fx);
    assert!(fx.is_empty());
    s.apply(&Input::action(Action::Pause, 0), &mut fx);
    s.apply(&Input::action(Action::Pause, 0), &mut fx);
    assert_eq!(fx, [Effect::Pause]);
}

#[test]
fn quit_asks_while_a_job_runs_and_defaults_to_no() {
    let mut s = State::default();
    plan(&mut s);
    let mut fx = Vec::new();
    s.apply(
        &stamped(
            2,
            Event::JobStarted {
                job: "apply".into(),
            },
        ),
        &mut fx,
    );
    s.apply(&Input::action(Action::Quit, 0), &mut fx);
    assert_eq!(s.overlay, Some(Overlay::ConfirmQuit));
    s.apply(&Input::action(Action::ApplyNext, 0), &mut fx);
    assert_eq!(
        s.overlay,
        Some(Overlay::ConfirmQuit),
        "the dialog consumes other keys"
    );
    s.apply(&Input::action(Action::Back, 0), &mut fx);
    assert_eq!(s.overlay, None);
    assert!(!s.quitting);
    s.apply(&Input::action(Action::Quit, 0), &mut fx);
    s.apply(&Input::action(Action::Yes, 0), &mut fx);
    // The journal's notes: the first dialog cancelled, the second confirmed.
    let what = || "quit while a job runs".to_string();
    assert_eq!(
        fx,
        [
            Effect::Note(Did::Cancelled { what: what() }),
            Effect::Pause,
            Effect::Note(Did::Confirmed {
                what: what(),
                typed: "yes".into()
            }),
        ]
    );
    assert!(!s.quitting, "waits for the job to stop");
    s.apply(
        &stamped(
            3,
            Event::JobFinished {
                job: "apply".into(),
                outcome: Outcome::Cancelled,
            },
        ),
        &mut fx,
    );
    assert!(s.quitting);
}

#[test]
fn statuses_follow_events_and_the_cursor_follows_the_work() {
    let mut s = State::default();
    plan(&mut s);
    let mut fx = Vec::new();
    s.apply(
        &stamped(
            5,
            Event::FileStatus {
                version: "3".into(),
                status: FileStatus::Applying,
                detail: None,
            },
        ),
        &mut fx,
    );
    assert_eq!((s.selected_batch, s.cursor_file()), (1, Some(2)));
    s.apply(
        &stamped(
            6,
            Event::StatementStarted {
                version: "3".into(),
                index: 1,
                total: 2,
                line: 1,
            },
        ),
        &mut fx,
    );
    assert_eq!(s.files[2].statement, Some((1, 2)));
    s.apply(
        &stamped(
            7,
            Event::FileFailed {
                version: "3".into(),
                file: "3.sql".into(),
                line: 2,
                message: "boom".into(),
            },
        ),
        &mut fx,
    );
    s.apply(
        &stamped(
            8,
            Event::FileStatus {
                version: "3".into(),
                status: FileStatus::Failed,
                detail: None,
            },
        ),
        &mut fx,
    );
    assert_eq!(s.files[2].error, Some((2, "boom".into())));
    assert_eq!(s.files[2].statement, None);
    // Opening the failed file scrolls to its failing line.
    s.focus = Panel::Files;
    s.apply(&Input::action(Action::Open, 0), &mut fx);
    assert_eq!(s.overlay, Some(Overlay::Detail { file: 2, scroll: 0 }));
}

#[test]
fn unknown_versions_and_events_before_the_plan_never_panic() {
    let mut s = State::default();
    let mut fx = Vec::new();
    for e in [
        Event::FileStatus {
            version: "x".into(),
            status: FileStatus::Applied,
            detail: None,
        },
        Event::StatementStarted {
            version: "x".into(),
            index: 1,
            total: 1,
            line: 1,
        },
        Event::FileApplied {
            version: "x".into(),
            duration_ms: 1.0,
        },
        Event::BatchFinished {
            batch: 9,
            outcome: Outcome::Failed,
        },
    ] {
        s.apply(&stamped(1, e), &mut fx);
    }
    for a in [
        Action::Up,
        Action::Down,
        Action::Open,
        Action::ApplyBatch,
        Action::ApplyNext,
        Action::Bottom,
        Action::PageDown,
    ] {
        s.apply(&Input::action(a, 0), &mut fx);
    }
}

#[test]
fn idle_clock_shows_minutes_and_running_clock_seconds() {
    let mut s = State::default();
    s.apply(
        &stamped(
            0,
            Event::SessionStarted {
                plan: "p".into(),
                target: "t".into(),
                operator: "o".into(),
                host: "h".into(),
                version: "v".into(),
            },
        ),
        &mut Vec::new(),
    );
    s.apply(&Input::Tick { at_ms: 65_000 }, &mut Vec::new());
    // Between jobs the clock keeps the session's time, in a form that names its units
    // (a bare "00:01" read as one second).
    assert_eq!(s.clock_text(), "0h01m");
    s.apply(
        &stamped(
            65_000,
            Event::JobStarted {
                job: "apply".into(),
            },
        ),
        &mut Vec::new(),
    );
    assert_eq!(s.clock_text(), "00:01:05");
    s.apply(
        &stamped(
            3_725_000,
            Event::JobFinished {
                job: "apply".into(),
                outcome: Outcome::Succeeded,
            },
        ),
        &mut Vec::new(),
    );
    assert_eq!(
        s.clock_text(),
        "1h02m",
        "after the job: since the session began"
    );
}

fn started(s: &mut State) {
    s.apply(
        &stamped(
            1_000,
            Event::SessionStarted {
                plan: "p".into(),
                target: "t".into(),
                operator: "dana".into(),
                host: "h".into(),
                version: "v".into(),
            },
        ),
        &mut Vec::new(),
    );
}

/// Folds a key; `fx` gets the effects for the engine (the journal's notes are tested
/// on their own).
fn key(s: &mut State, action: Action, at_ms: i64, fx: &mut Vec<Effect>) -> bool {
    let changed = s.apply(&Input::action(action, at_ms), fx);
    fx.retain(|e| !matches!(e, Effect::Note(_)));
    changed
}

#[test]
fn operator_actions_are_stamped_with_the_time_of_the_key() {
    let mut s = State::default();
    started(&mut s);
    plan(&mut s);
    let mut fx = Vec::new();
    key(&mut s, Action::ApplyNext, 95_000, &mut fx);
    let line = s.log.iter().last().expect("a log line");
    assert!(line.text.contains("requested by dana"), "{}", line.text);
    assert_eq!(line.at_ms, 95_000, "the key press, not the session's start");
    assert_eq!(s.now_ms, 95_000);
}

#[test]
fn a_partial_or_running_file_is_resolved_not_applied() {
    let mut s = State::default();
    started(&mut s);
    plan(&mut s);
    s.apply(
        &stamped(
            2_000,
            Event::LedgerLoaded {
                files: vec![crate::event::LedgerFile {
                    version: "2".into(),
                    status: FileStatus::Partial,
                    applied_at: None,
                    applied_by: None,
                    duration_ms: None,
                    checksum_ok: true,
                }],
            },
        ),
        &mut Vec::new(),
    );
    assert_eq!(s.files[1].status, FileStatus::Partial);
    let mut fx = Vec::new();
    assert!(!crate::ui::keymap::available(Action::ApplyNext, &s));
    assert!(crate::ui::keymap::available(Action::Resolve, &s));
    key(&mut s, Action::ApplyNext, 3_000, &mut fx);
    assert!(fx.is_empty(), "the engine would refuse: nothing is sent");
    assert!(s
        .log
        .iter()
        .last()
        .is_some_and(|l| l.text.contains("press m")));

    // The cursor is on file 1 (pending): r picks the first file that waits for a word.
    key(&mut s, Action::Resolve, 4_000, &mut fx);
    assert_eq!(
        s.overlay,
        Some(Overlay::Resolve(super::dialog::resolve::Resolve::new(1)))
    );
    assert!(
        !key(&mut s, Action::Yes, 4_100, &mut fx),
        "nothing picked yet"
    );
    key(&mut s, Action::ResolveApplied, 4_200, &mut fx);
    key(&mut s, Action::Yes, 4_300, &mut fx);
    assert_eq!(
        fx,
        [Effect::Resolve {
            version: "2".into(),
            how: crate::command::Resolution::Applied
        }]
    );
    assert_eq!(s.overlay, None);
    let line = s.log.iter().last().expect("log");
    assert!(line
        .text
        .contains("resolve 2.sql as applied requested by dana"));
    assert_eq!(line.at_ms, 4_300);
    // The engine's answer: the ledger now says applied.
    s.apply(
        &stamped(
            5_000,
            Event::FileStatus {
                version: "2".into(),
                status: FileStatus::Applied,
                detail: None,
            },
        ),
        &mut fx,
    );
    assert!(crate::ui::keymap::available(Action::ApplyNext, &s));
}

#[test]
fn cancelling_the_running_statement_asks_first() {
    let mut s = State::default();
    started(&mut s);
    plan(&mut s);
    let mut fx = Vec::new();
    assert!(
        !key(&mut s, Action::CancelStatement, 2_000, &mut fx),
        "no job"
    );
    s.apply(
        &stamped(
            2_000,
            Event::JobStarted {
                job: "apply".into(),
            },
        ),
        &mut fx,
    );
    key(&mut s, Action::CancelStatement, 3_000, &mut fx);
    assert_eq!(s.overlay, Some(Overlay::ConfirmCancel));
    key(&mut s, Action::No, 3_100, &mut fx);
    assert_eq!(s.overlay, None);
    assert!(fx.is_empty());
    key(&mut s, Action::CancelStatement, 3_200, &mut fx);
    key(&mut s, Action::Yes, 3_300, &mut fx);
    assert_eq!(fx, [Effect::CancelStatement]);
    assert!(s.pause_requested, "a cancel stops the job too");
}

#[test]
fn log_keeps_the_reader_in_place_and_stays_bounded() {
    let mut s = State::default();
    for i in 0..(LOG_CAPACITY + 50) {
        s.apply(
            &stamped(
                i as i64,
                Event::Log {
                    level: Level::Info,
                    text: format!("line {i}"),
                },
            ),
            &mut Vec::new(),
        );
    }
    assert_eq!(s.log.len(), LOG_CAPACITY);
    s.focus = Panel::Log;
    s.apply(&Input::action(Action::Up, 0), &mut Vec::new());
    assert_eq!(s.log_scroll, 1);
    s.apply(
        &stamped(
            1,
            Event::Log {
                level: Level::Info,
                text: "new".into(),
            },
        ),
        &mut Vec::new(),
    );
    assert_eq!(s.log_scroll, 2, "the line being read stays on screen");
}

#[test]
fn a_typed_confirmation_swallows_keys_and_emits_its_effect_only_for_the_word() {
    let mut s = State::default();
    plan(&mut s);
    let mut fx = Vec::new();
    let dialog = dialog::TypedConfirm::new("roll back batch 1 one", "one", Effect::ApplyBatch(1));
    s.overlay = Some(Overlay::Typed(dialog.clone()));
    // Keys that mean something on the main screen do nothing here.
    for a in [Action::ApplyNext, Action::Quit, Action::Yes, Action::Down] {
        let changed = key(&mut s, a, 1_000, &mut fx);
        assert!(fx.is_empty(), "{a:?} leaked");
        assert_eq!(changed, a == Action::Quit, "{a:?}");
        if a == Action::Quit {
            assert_eq!(s.overlay, None, "quit closes it, as Esc does");
            s.overlay = Some(Overlay::Typed(dialog.clone()));
        }
    }
    assert_eq!(s.selected_batch, 0);
    for c in "two".chars() {
        key(&mut s, Action::Type(c), 1_100, &mut fx);
    }
    assert!(key(&mut s, Action::Submit, 1_200, &mut fx));
    assert!(fx.is_empty(), "the wrong word does nothing");
    assert!(matches!(&s.overlay, Some(Overlay::Typed(d)) if d.error.is_some()));
    for c in "one".chars() {
        key(&mut s, Action::Type(c), 1_300, &mut fx);
    }
    key(&mut s, Action::Submit, 1_400, &mut fx);
    assert_eq!(fx, [Effect::ApplyBatch(1)]);
    assert_eq!(s.overlay, None);
    fx.clear();
    s.overlay = Some(Overlay::Typed(dialog));
    key(&mut s, Action::No, 1_500, &mut fx);
    assert!(fx.is_empty() && s.overlay.is_none(), "Esc cancels");
}
