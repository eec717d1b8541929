//! The rollback commands as jobs: in the cockpit's held session, or headless, each in
//! its own session framed like an apply job (SessionStarted ... SessionEnded).

use super::{window, Request};
use crate::command::RollbackScope;
use crate::db::ConnectInfo;
use crate::engine::{session, Emitter, Session, Workspace};
use crate::event::{Event, Level, Outcome};

/// One rollback command.
#[derive(Debug, Clone)]
pub enum Job {
    Preview { scope: RollbackScope, restore: bool },
    Rollback(Request),
    Close { operator: String },
}

impl Job {
    fn name(&self) -> &'static str {
        match self {
            Job::Preview { .. } => "rollback-preview",
            Job::Rollback(_) => "rollback",
            Job::Close { .. } => "close",
        }
    }
}

/// Runs the job in an open session. A preview is not framed as a job (it changes
/// nothing): it answers with `RollbackPreview`, or with `RollbackFinished` refused and
/// the reason.
pub async fn run_in(session: &mut Session, ws: &Workspace, job: &Job, em: &Emitter) -> Outcome {
    let info = session.target.clone();
    match job {
        Job::Preview { scope, restore } => {
            match session.preview_rollback(ws, &info, scope, *restore).await {
                Ok(p) => {
                    em.emit(Event::RollbackPreview(p)).await;
                    Outcome::Succeeded
                }
                Err(e) => {
                    em.log(Level::Error, e.to_string()).await;
                    em.emit(Event::RollbackFinished {
                        scope: scope.clone(),
                        outcome: Outcome::Refused,
                        detail: Some(e.to_string()),
                        offers_restore: false,
                    })
                    .await;
                    Outcome::Refused
                }
            }
        }
        Job::Rollback(req) => {
            framed(em, job.name(), async {
                session.rollback(ws, &info, req, em).await.outcome
            })
            .await
        }
        Job::Close { operator } => {
            framed(em, job.name(), window::close(ws, &info, operator, em)).await
        }
    }
}

async fn framed(
    em: &Emitter,
    job: &str,
    work: impl std::future::Future<Output = Outcome>,
) -> Outcome {
    em.emit(Event::JobStarted { job: job.into() }).await;
    let outcome = work.await;
    em.emit(Event::JobFinished {
        job: job.into(),
        outcome,
    })
    .await;
    outcome
}

/// Headless: the job in a session of its own. Closing a window needs no session on
/// the target (only the local state database).
pub async fn run(
    ws: &Workspace,
    target: &ConnectInfo,
    operator: &str,
    job: &Job,
    em: &Emitter,
) -> Outcome {
    em.emit(session::started(ws, target, operator)).await;
    let outcome = match job {
        Job::Close { operator } => {
            framed(em, job.name(), window::close(ws, target, operator, em)).await
        }
        _ => match Session::open(target, operator, ws, em).await {
            Ok(mut s) => {
                let o = run_in(&mut s, ws, job, em).await;
                s.close(em).await;
                o
            }
            Err(e) => {
                em.log(Level::Error, e.to_string()).await;
                if let Job::Preview { scope, .. } | Job::Rollback(Request { scope, .. }) = job {
                    em.emit(Event::RollbackFinished {
                        scope: scope.clone(),
                        outcome: Outcome::Refused,
                        detail: Some(e.to_string()),
                        offers_restore: false,
                    })
                    .await;
                }
                Outcome::Refused
            }
        },
    };
    em.emit(Event::SessionEnded).await;
    outcome
}
