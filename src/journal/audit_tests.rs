//! The audit of a cockpit-like session written through the real journal writer:
//! confirmations right and wrong, a cancellation, a resolve decision, an override, a
//! rollback and a failed check, each listed with its time; a session without its end.

use super::*;
use crate::event::{
    CheckResult, Did, Event, FileStatus, Input, Outcome, PlanBatch, PlanFile, Risk, Severity,
    Stamped,
};
use crate::journal::Writer;

const T0: i64 = 1_796_198_797_000;

fn engine(ms: i64, event: Event) -> Input {
    Input::Engine(Stamped {
        at_ms: T0 + ms,
        event,
    })
}

fn op(ms: i64, did: Did) -> Input {
    Input::Operator {
        did,
        at_ms: T0 + ms,
    }
}

fn session() -> Vec<Input> {
    let file = |v: &str, n: &str| PlanFile {
        version: v.into(),
        name: n.into(),
        file: format!("{v}_{n}.sql"),
        sql: String::new(),
        note: None,
    };
    let what = "Roll back batch 1 simple-replacements".to_string();
    vec![
        engine(
            1,
            Event::PlanLoaded {
                batches: vec![PlanBatch {
                    name: "simple-replacements".into(),
                    risk: Risk::Low,
                    files: vec![file("0001", "customers"), file("0002", "orders")],
                }],
            },
        ),
        engine(
            10,
            Event::FileApplied {
                version: "0001".into(),
                duration_ms: 12.0,
            },
        ),
        engine(
            20,
            Event::CheckFinished(Box::new(CheckResult {
                batch: Some(1),
                file: None,
                check: "row_count orders".into(),
                kind: "row_count".into(),
                table: Some("orders".into()),
                severity: Severity::Critical,
                passed: false,
                detail: "59000 rows,\nexpected at least 60000".into(),
                rows: vec![],
                elapsed_ms: 1.0,
            })),
        ),
        engine(
            30,
            Event::ProgressForced {
                batch: 1,
                operator: "ana".into(),
                reason: "known gap".into(),
            },
        ),
        op(
            40,
            Did::Requested {
                what: "resolve 0002 as applied".into(),
            },
        ),
        op(
            50,
            Did::Mistyped {
                what: what.clone(),
                typed: "wrong".into(),
                expected: "simple-replacements".into(),
            },
        ),
        op(
            60,
            Did::Confirmed {
                what,
                typed: "simple-replacements".into(),
            },
        ),
        engine(
            70,
            Event::FileStatus {
                version: "0001".into(),
                status: FileStatus::RolledBack,
                detail: None,
            },
        ),
        op(
            80,
            Did::Cancelled {
                what: "quit while a job runs".into(),
            },
        ),
        engine(
            90,
            Event::JobFinished {
                job: "rollback".into(),
                outcome: Outcome::Succeeded,
            },
        ),
        Input::Tick { at_ms: T0 + 95 },
    ]
}

fn written(dir: &std::path::Path, inputs: Vec<Input>) -> Journal<Header, Input> {
    let header = serde_json::json!({
        "format": 1, "mode": "cockpit", "plan": "shop", "target": "sqlite:///x.db",
        "operator": "ana", "host": "h", "version": "0.1.0", "width": 120, "height": 40,
        "theme": "dark", "depth": "ansi256", "recording": true,
    });
    let mut w = Writer::<Input>::create(dir, "shop", T0, &header).expect("journal");
    for i in inputs {
        w.append(i.at_ms(), i, false).expect("append");
    }
    let path = w.finish().expect("finish");
    crate::journal::read(&path).expect("read")
}

#[test]
fn a_cockpit_session_lists_every_deed_with_its_time() {
    let tmp = tempfile::tempdir().expect("tmp");
    let a = audit(&written(tmp.path(), session()));
    assert_eq!(a.integrity.status, "intact");
    assert_eq!(a.integrity.verified_lines, 12);
    assert_eq!(a.session.mode, "cockpit");
    assert_eq!(a.session.started, "2026-12-02T08:06:37.000Z");
    assert_eq!(a.session.duration_ms, 95);
    let kinds: Vec<&str> = a.actions.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        ["override", "resolve", "mistyped", "confirmed", "cancelled"]
    );
    assert_eq!(a.actions[2].at, "2026-12-02T08:06:37.050Z");
    assert_eq!(a.actions[2].t_ms, 50);
    assert_eq!(a.actions[2].line, 7);
    assert!(
        a.actions[2].text.starts_with("ana typed \"wrong\""),
        "{:?}",
        a.actions[2]
    );
    assert_eq!(
        a.actions[3].text,
        "ana confirmed \"Roll back batch 1 simple-replacements\" with \"simple-replacements\""
    );
    assert_eq!(a.applied.len(), 1);
    assert_eq!(a.applied[0].name.as_deref(), Some("customers"));
    assert_eq!(a.rolled_back[0].version, "0001");
    assert_eq!(a.checks_failed[0].severity, Severity::Critical);
    assert_eq!(
        a.checks_failed[0].detail,
        "59000 rows, expected at least 60000"
    );
    assert_eq!(a.overrides[0].reason, "known gap");
    assert!(!a.outcome.ended_cleanly);
    assert_eq!(
        a.outcome.summary,
        "rollback succeeded; the session did not end cleanly (no end recorded): it crashed or was killed"
    );
}

#[test]
fn a_session_with_its_end_ended_cleanly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut inputs = session();
    inputs.push(Input::Unseen(Stamped {
        at_ms: T0 + 120,
        event: Event::SessionEnded,
    }));
    let a = audit(&written(tmp.path(), inputs));
    assert!(a.outcome.ended_cleanly);
    assert_eq!(a.session.ended.as_deref(), Some("2026-12-02T08:06:37.120Z"));
    let json = serde_json::to_value(&a).expect("json");
    assert_eq!(json["outcome"]["jobs"][0]["outcome"], "succeeded");
    assert_eq!(json["checks_failed"][0]["severity"], "critical");
}

#[test]
fn a_newer_cutovers_input_is_unreadable_not_tampered() {
    let tmp = tempfile::tempdir().expect("tmp");
    let header = serde_json::json!({ "format": 2, "mode": "apply", "plan": "shop" });
    let mut w =
        Writer::<serde_json::Value>::create(tmp.path(), "shop", T0, &header).expect("journal");
    let known = serde_json::to_value(op(
        1,
        Did::Requested {
            what: "apply".into(),
        },
    ));
    w.append(T0 + 1, known.expect("json"), false)
        .expect("append");
    let newer = serde_json::json!({ "input": "hologram", "at_ms": T0 + 2 });
    w.append(T0 + 2, newer, false).expect("append");
    let path = w.finish().expect("finish");
    let a = open(&path).expect("audited");
    assert_eq!(a.integrity.status, "unreadable");
    assert_eq!(a.integrity.broken_line, Some(3));
    assert!(
        a.integrity.meaning.contains("cannot read it"),
        "{:?}",
        a.integrity
    );
    assert_eq!(a.session.format, 2);
    assert_eq!(a.actions.len(), 1);
}
