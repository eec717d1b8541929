//! The engine's handle. `start` spawns the worker on the runtime and hands back what the
//! cockpit and the headless commands hold: commands in, events out. The worker owns all
//! that touches the target (the session, its lock, the operator's stop request); nothing
//! outside the engine does.

use super::{
    apply, bench, job, rehearse, rollback, session, validate, ApplyOptions, ApplyReport, Emitter,
    EngineError,
};
use super::{Session, Stop, Workspace};
use crate::command::{ApplyRequest, Command};
use crate::db::ConnectInfo;
use crate::event::{Event, Level, Stamped};
use std::sync::Arc;
use tokio::sync::mpsc;

/// What a session works on, and who works.
pub struct Setup {
    pub ws: Arc<Workspace>,
    pub target: ConnectInfo,
    pub operator: String,
    /// Said first, right after the session starts (the cockpit's log panel is the only
    /// place its terminal shows them).
    pub warnings: Vec<String>,
}

/// When the worker holds the target's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    /// One session for the whole run, opened before `start` returns, so a target locked
    /// elsewhere is refused before the cockpit takes the screen; the plan and the ledger
    /// are the first events after it.
    Held,
    /// One session per apply job, opened and closed by the job, so a job that cannot run
    /// says why in its own report (the headless command).
    PerJob,
}

/// What an apply job gives back.
pub type JobResult = Result<ApplyReport, EngineError>;

/// Commands in, events out, and the worker to wait for.
pub struct Handle {
    pub commands: Commands,
    /// Every event of the session in order, those of its opening first.
    pub events: mpsc::Receiver<Stamped>,
    pub worker: Worker,
}

/// The sending end of the commands; cheap to clone.
#[derive(Clone)]
pub struct Commands {
    tx: mpsc::UnboundedSender<Command>,
    stop: Stop,
}

impl Commands {
    /// A sender whose commands the caller reads instead of a worker (tests, benchmarks).
    pub fn channel() -> (Commands, mpsc::UnboundedReceiver<Command>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let stop = Stop::new();
        (Commands { tx, stop }, rx)
    }

    /// Sends a command. `Pause` and `CancelStatement` take effect at once, even in the
    /// middle of a job (they return false when already asked); the others queue behind
    /// the running job (false when the worker has ended). A new job starts with nothing
    /// asked: a pause ends one job, not the session.
    pub fn send(&self, cmd: Command) -> bool {
        match cmd {
            Command::Pause => self.stop.after_file(),
            Command::CancelStatement => self.stop.cancel_statement(),
            Command::Apply(_) | Command::Resolve { .. } => {
                self.stop.reset();
                self.tx.send(cmd).is_ok()
            }
            Command::Quit => self.tx.send(cmd).is_ok(),
            // Queued like a job; a rollback is never paused by a stop asked before it.
            Command::PreviewRollback(_)
            | Command::PreviewRestore(_)
            | Command::Rollback { .. }
            | Command::Rehearse { .. }
            | Command::Validate { .. }
            | Command::Bench { .. }
            | Command::CloseWindow => {
                self.stop.reset();
                self.tx.send(cmd).is_ok()
            }
        }
    }
}

/// The worker's task.
pub struct Worker(tokio::task::JoinHandle<Option<JobResult>>);

impl Worker {
    /// Waits for the worker to end, after `Command::Quit` (or once every `Commands` is
    /// dropped) and the job running then. Gives back the last apply job's result (the
    /// headless command's report); Err when the worker panicked.
    pub async fn wait(self) -> Result<Option<JobResult>, tokio::task::JoinError> {
        self.0.await
    }
}

/// Starts the engine's worker for a session on `setup.target`. Only a held session can
/// fail here (the target is unreachable or locked): a per-job one fails in its jobs.
pub async fn start(setup: Setup, sessions: Sessions) -> Result<Handle, EngineError> {
    let (tx, events) = mpsc::channel(match sessions {
        Sessions::Held => 4096,
        Sessions::PerJob => 1024,
    });
    let em = Emitter::new(tx);
    let (commands, rx) = Commands::channel();
    let stop = commands.stop.clone();
    let task = match sessions {
        Sessions::Held => {
            em.emit(session::started(&setup.ws, &setup.target, &setup.operator))
                .await;
            warn(&setup, &em).await;
            let s = Session::open(&setup.target, &setup.operator, &setup.ws, &em).await?;
            tokio::spawn(held(setup, s, em, rx, stop))
        }
        Sessions::PerJob => tokio::spawn(per_job(setup, em, rx, stop)),
    };
    Ok(Handle {
        commands,
        events,
        worker: Worker(task),
    })
}

async fn warn(setup: &Setup, em: &Emitter) {
    for w in &setup.warnings {
        em.log(Level::Warn, w.clone()).await;
    }
}

fn options(req: ApplyRequest, operator: &str) -> ApplyOptions {
    ApplyOptions {
        batch: req.batch,
        to: req.to,
        operator: operator.to_string(),
        accept_drift: req.accept_drift,
        dry_run: req.dry_run,
        resolve: req.resolve,
        force_progress: req.force_progress,
    }
}

/// The cockpit's worker: one session, one job at a time, each framed by
/// JobStarted/JobFinished; a job that cannot run says why in the log.
async fn held(
    setup: Setup,
    mut session: Session,
    em: Emitter,
    mut cmds: mpsc::UnboundedReceiver<Command>,
    stop: Stop,
) -> Option<JobResult> {
    let ws = &setup.ws;
    em.emit(job::plan_event(ws, session.dialect())).await;
    match job::ledger_event(&mut session, ws).await {
        Ok(ev) => em.emit(ev).await,
        Err(e) => em.log(Level::Error, e.to_string()).await,
    }
    super::checkpoint::window_events(ws, &setup.target.display, &em).await;
    let mut last = None;
    while let Some(cmd) = cmds.recv().await {
        // A stop asked while no job ran (the screen went away) ends the session.
        if stop.stopping() && !matches!(cmd, Command::Quit) {
            continue;
        }
        match cmd {
            Command::Apply(req) => {
                let opts = options(req, &setup.operator);
                last = job::run_apply(&mut session, ws, &opts, &em, &stop)
                    .await
                    .map(Ok);
            }
            Command::Resolve { version, how } => {
                job::run_resolve(&mut session, ws, &version, how, &setup.operator, &em).await;
            }
            Command::Quit => break,
            // Taken at once by `Commands::send`, never queued.
            Command::Pause | Command::CancelStatement => {}
            Command::PreviewRollback(_)
            | Command::PreviewRestore(_)
            | Command::Rollback { .. }
            | Command::CloseWindow => {
                if let Some(j) = rollback_job(cmd, &setup.operator) {
                    rollback::job::run_in(&mut session, ws, &j, &em).await;
                }
            }
            // On a scratch copy: the session's connection and lock stay as they are.
            Command::Rehearse { batch } => {
                rehearse::job(ws, &setup.target, batch.as_deref(), &em, &stop).await;
            }
            Command::Validate { batch } => {
                let op = &setup.operator;
                validate::in_session(&mut session, ws, batch.as_deref(), op, &em).await;
            }
            Command::Bench { batch, baseline } => {
                let (op, b) = (&setup.operator, batch.as_deref());
                bench::in_session(&mut session, ws, b, baseline, op, &em).await;
            }
        }
    }
    session.close(&em).await;
    // The cockpit's journal keeps it (as unseen: the screen is gone by then).
    em.emit(Event::SessionEnded).await;
    last
}

/// The headless worker: each apply job opens its own session (or none, for a dry run)
/// and frames it with SessionStarted/SessionEnded.
async fn per_job(
    setup: Setup,
    em: Emitter,
    mut cmds: mpsc::UnboundedReceiver<Command>,
    stop: Stop,
) -> Option<JobResult> {
    warn(&setup, &em).await;
    let mut last = None;
    while let Some(cmd) = cmds.recv().await {
        let req = match cmd {
            Command::Apply(req) => req,
            // Recorded as `cutover apply --resolve VERSION=...` records it.
            Command::Resolve { version, how } => ApplyRequest {
                resolve: vec![(version, how)],
                ..Default::default()
            },
            Command::Quit => break,
            Command::Pause | Command::CancelStatement => continue,
            Command::PreviewRollback(_)
            | Command::PreviewRestore(_)
            | Command::Rollback { .. }
            | Command::CloseWindow => {
                if let Some(j) = rollback_job(cmd, &setup.operator) {
                    rollback::job::run(&setup.ws, &setup.target, &setup.operator, &j, &em).await;
                }
                continue;
            }
            // Its verdicts are its events (Rehearsed, JobFinished): no report to keep.
            Command::Rehearse { batch } => {
                let (ws, target, op) = (&setup.ws, &setup.target, &setup.operator);
                rehearse::headless(ws, target, batch.as_deref(), op, &em, &stop).await;
                continue;
            }
            Command::Validate { batch } => {
                let (ws, target, op) = (&setup.ws, &setup.target, &setup.operator);
                validate::headless(ws, target, batch.as_deref(), op, &em).await;
                continue;
            }
            Command::Bench { batch, baseline } => {
                let (ws, target, op) = (&setup.ws, &setup.target, &setup.operator);
                bench::headless(ws, target, batch.as_deref(), baseline, op, &em).await;
                continue;
            }
        };
        let opts = options(req, &setup.operator);
        last = Some(apply::apply(&setup.ws, &setup.target, &opts, &em, &stop).await);
    }
    last
}

/// The rollback commands as the rollback module's jobs.
fn rollback_job(cmd: Command, operator: &str) -> Option<rollback::job::Job> {
    use rollback::job::Job;
    match cmd {
        Command::PreviewRollback(scope) => Some(Job::Preview {
            scope,
            restore: false,
        }),
        Command::PreviewRestore(scope) => Some(Job::Preview {
            scope,
            restore: true,
        }),
        Command::Rollback { scope, restore } => Some(Job::Rollback(rollback::Request {
            scope,
            restore,
            operator: operator.to_string(),
            automatic: None,
        })),
        Command::CloseWindow => Some(Job::Close {
            operator: operator.to_string(),
        }),
        _ => None,
    }
}
