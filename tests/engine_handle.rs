//! The engine's handle: `engine::start` spawns the worker and hands back commands in,
//! events out. Real databases, real files; the cockpit's own pty tests drive it through
//! the binary.

mod common;
use common::*;
use cutover::command::{ApplyRequest, Command};
use cutover::engine::{self, EngineError, Handle, Sessions, Setup};
use cutover::event::{Event, Outcome, Stamped};
use std::sync::Arc;

const FILES: &[(&str, &str)] = &[
    ("1_first.sql", "CREATE TABLE handle_a (id INT);"),
    ("2_second.sql", "CREATE TABLE handle_b (id INT);"),
];

fn setup(db: &TestDb) -> Setup {
    write_files(&db.migrations_dir(), FILES);
    let plan = cutover::plan::load(&db.write_plan("format = \"sqlx\"\n")).expect("plan");
    let folder =
        cutover::source::read_folder(&plan.migrations.dir, &Default::default()).expect("folder");
    let batches = cutover::plan::resolve_batches(&plan, &folder.migrations).expect("batches");
    Setup {
        ws: Arc::new(engine::Workspace {
            plan,
            folder,
            batches,
        }),
        target: info(&db.url),
        operator: "tester".into(),
        warnings: vec!["a warning said first".into()],
    }
}

/// Sends `cmds`, then Quit, and gives back every event and the last job's result.
async fn run(handle: Handle, cmds: Vec<Command>) -> (Vec<Stamped>, Option<engine::JobResult>) {
    let Handle {
        commands,
        mut events,
        worker,
    } = handle;
    for c in cmds {
        commands.send(c);
    }
    commands.send(Command::Quit);
    let mut seen = Vec::new();
    let read = async {
        while let Some(e) = events.recv().await {
            seen.push(e);
        }
    };
    let (_, result) = tokio::join!(read, worker.wait());
    (seen, result.expect("the worker ends"))
}

fn kinds(events: &[Stamped]) -> Vec<&'static str> {
    events
        .iter()
        .map(|s| match &s.event {
            Event::SessionStarted { .. } => "session_started",
            Event::PlanLoaded { .. } => "plan",
            Event::LedgerLoaded { .. } => "ledger",
            Event::JobStarted { .. } => "job_started",
            Event::JobFinished { .. } => "job_finished",
            Event::SessionEnded => "session_ended",
            _ => "",
        })
        .filter(|k| !k.is_empty())
        .collect()
}

fn backends(test: &str) -> Vec<TestDb> {
    [Backend::Sqlite, Backend::Postgres, Backend::Mysql]
        .into_iter()
        .filter_map(|b| TestDb::new(b, test))
        .collect()
}

#[test]
fn a_held_session_starts_once_and_applies_on_command() {
    for db in backends("a_held_session_starts_once_and_applies_on_command") {
        let (events, result) = block_on(async {
            let handle = engine::start(setup(&db), Sessions::Held)
                .await
                .expect("the session opens");
            run(handle, vec![Command::Apply(ApplyRequest::default())]).await
        });
        assert_eq!(
            kinds(&events),
            [
                "session_started",
                "plan",
                "ledger",
                "job_started",
                "job_finished",
                "session_ended"
            ],
            "{:?}",
            db.backend
        );
        match &events[0].event {
            Event::SessionStarted { operator, plan, .. } => {
                assert_eq!((operator.as_str(), plan.as_str()), ("tester", "test"))
            }
            other => panic!("first event: {other:?}"),
        }
        assert!(
            matches!(&events[1].event, Event::Log { text, .. } if text == "a warning said first"),
            "the warnings come right after the start: {:?}",
            events[1]
        );
        let report = result.expect("a job ran").expect("it succeeded");
        assert_eq!(report.outcome, Outcome::Succeeded);
        assert!(db.has_table("handle_a") && db.has_table("handle_b"));
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM cutover_history WHERE status = 'applied'"),
            2
        );
    }
}

#[test]
fn a_held_session_refuses_a_target_another_holds_before_it_starts() {
    for db in backends("a_held_session_refuses_a_target_another_holds_before_it_starts") {
        block_on(async {
            let first = engine::start(setup(&db), Sessions::Held)
                .await
                .expect("the first session opens");
            let second = engine::start(setup(&db), Sessions::Held).await;
            assert!(
                matches!(second, Err(EngineError::Lock(_))),
                "{:?}: {:?}",
                db.backend,
                second.err().map(|e| e.to_string())
            );
            let (_, result) = run(first, Vec::new()).await;
            assert!(result.is_none(), "no job ran");
        });
        assert!(!db.has_table("handle_a"));
    }
}

#[test]
fn a_pause_sent_with_the_apply_stops_it_before_the_first_file() {
    let db = TestDb::new(Backend::Sqlite, "pause").expect("sqlite");
    let (events, result) = block_on(async {
        let handle = engine::start(setup(&db), Sessions::PerJob)
            .await
            .expect("a per-job session starts without connecting");
        run(
            handle,
            vec![Command::Apply(ApplyRequest::default()), Command::Pause],
        )
        .await
    });
    assert_eq!(
        kinds(&events),
        [
            "session_started",
            "job_started",
            "job_finished",
            "session_ended"
        ]
    );
    let report = result.expect("a job ran").expect("it ran");
    assert_eq!(report.outcome, Outcome::Cancelled);
    assert!(!db.has_table("handle_a"), "nothing was applied");
}

#[test]
fn pause_and_cancel_say_whether_they_were_new() {
    let (commands, _rx) = engine::Commands::channel();
    assert!(commands.send(Command::Pause));
    assert!(!commands.send(Command::Pause), "asked once");
    assert!(commands.send(Command::CancelStatement));
    assert!(!commands.send(Command::CancelStatement));
    // A new job starts with nothing asked.
    assert!(commands.send(Command::Apply(ApplyRequest::default())));
    assert!(commands.send(Command::Pause));
}
