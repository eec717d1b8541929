//! Reducer tests for what marks the files (checkpoints, rehearsal verdicts) and for
//! help's scrolling.

use super::rollback_tests::{applied, ev, key, last_log};
use super::*;
use crate::event::{CheckpointInfo, CheckpointState, Event, RehearsalVerdict};

#[test]
fn checkpoints_mark_their_files_and_follow_their_lifecycle() {
    let mut s = applied();
    let cp = |id, version: Option<&str>| {
        Event::CheckpointCreated(CheckpointInfo {
            id,
            version: version.map(String::from),
            fingerprint: "ab".repeat(32),
            status: CheckpointState::Created,
            backup: None,
        })
    };
    ev(&mut s, 10, cp(1, None));
    ev(&mut s, 11, cp(2, Some("1")));
    ev(&mut s, 12, cp(3, Some("2")));
    assert!(!ev(&mut s, 12, cp(4, Some("nope"))), "unknown version");
    assert_eq!(s.window_checkpoint.map(|m| m.id), Some(1));
    assert_eq!(
        s.files[1].checkpoint,
        Some(CheckpointMark {
            id: 3,
            state: CheckpointState::Created
        })
    );
    ev(
        &mut s,
        13,
        Event::CheckpointStatus {
            id: 3,
            status: CheckpointState::Validated,
            detail: None,
        },
    );
    ev(
        &mut s,
        14,
        Event::CheckpointStatus {
            id: 2,
            status: CheckpointState::Failed,
            detail: Some("backup sha256 mismatch".into()),
        },
    );
    assert!(!ev(
        &mut s,
        15,
        Event::CheckpointStatus {
            id: 99,
            status: CheckpointState::Active,
            detail: None,
        },
    ));
    assert_eq!(
        s.files[1].checkpoint.map(|m| m.state),
        Some(CheckpointState::Validated)
    );
    assert_eq!(
        s.files[0].checkpoint.map(|m| m.state),
        Some(CheckpointState::Failed)
    );
    assert!(last_log(&s).contains("checkpoint #2 failed: backup sha256 mismatch"));
    ev(&mut s, 16, Event::WindowClosed { window: 1 });
    assert!(s
        .files
        .iter()
        .filter_map(|f| f.checkpoint)
        .chain(s.window_checkpoint)
        .all(|m| m.state == CheckpointState::Superseded));
}

#[test]
fn rehearse_asks_for_the_selected_batch_and_marks_its_files() {
    let mut s = applied();
    let mut fx = Vec::new();
    s.selected_batch = 1;
    assert!(crate::ui::keymap::available(Action::Rehearse, &s));
    key(&mut s, Action::Rehearse, &mut fx);
    assert_eq!(fx, [Effect::Rehearse(2)]);
    ev(
        &mut s,
        10,
        Event::Rehearsed {
            version: "3".into(),
            verdict: RehearsalVerdict::DownDiffers,
            detail: Some("column t.c: still there\nindex t_c: still there".into()),
        },
    );
    ev(
        &mut s,
        11,
        Event::Rehearsed {
            version: "1".into(),
            verdict: RehearsalVerdict::Reversible,
            detail: None,
        },
    );
    assert!(s.files[0]
        .rehearsal
        .as_ref()
        .is_some_and(|r| r.reversible()));
    let r = s.files[2].rehearsal.clone().expect("marked");
    assert_eq!(r.verdict, RehearsalVerdict::DownDiffers);
    assert_eq!(
        r.detail.as_deref(),
        Some("column t.c: still there\nindex t_c: still there")
    );
    // A difference of several lines takes a log line each.
    let log: Vec<String> = s.log.iter().map(|l| l.text.clone()).collect();
    assert!(log
        .iter()
        .any(|l| l == "rehearsal: 3.sql: down leaves a different schema: column t.c: still there"));
    assert!(log.iter().any(|l| l == "  index t_c: still there"));
    assert!(!ev(
        &mut s,
        12,
        Event::Rehearsed {
            version: "nope".into(),
            verdict: RehearsalVerdict::Reversible,
            detail: None,
        },
    ));
}

#[test]
fn help_scrolls_to_its_last_line_and_no_further() {
    let mut s = applied();
    let mut fx = Vec::new();
    key(&mut s, Action::Help, &mut fx);
    key(&mut s, Action::Bottom, &mut fx);
    let max = crate::ui::keymap::help_max_scroll(24);
    assert!(max > 0, "help does not fit 80x24 in one page");
    assert_eq!(s.overlay, Some(Overlay::Help { scroll: max }));
    assert!(!key(&mut s, Action::Down, &mut fx), "no further");
    key(&mut s, Action::PageUp, &mut fx);
    key(&mut s, Action::Top, &mut fx);
    assert_eq!(s.overlay, Some(Overlay::Help { scroll: 0 }));
    key(&mut s, Action::Back, &mut fx);
    assert_eq!(s.overlay, None);
    assert!(fx.is_empty());
}
