//! The bench job: the plan's benchmarks (of one batch, or every batch), each compared
//! with its stored baseline; `baseline` stores this run's results as the new ones.

use super::{Emitter, Session, Workspace};
use crate::db::ConnectInfo;

/// In an open session (the cockpit's `b`); framed by JobStarted/JobFinished("bench").
pub(crate) async fn in_session(
    session: &mut Session,
    ws: &Workspace,
    batch: Option<&str>,
    baseline: bool,
    operator: &str,
    em: &Emitter,
) {
    let _ = (session, ws, batch, baseline, operator, em);
    todo!("issue 9: bench::in_session")
}

/// Headless (`cutover bench`): its own connection, framed by SessionStarted/SessionEnded.
pub(crate) async fn headless(
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    baseline: bool,
    operator: &str,
    em: &Emitter,
) {
    let _ = (ws, target, batch, baseline, operator, em);
    todo!("issue 9: bench::headless")
}

/// Batch `b`'s (0-based) benchmarks on `conn`, after its validation in an apply; each
/// compared with its stored baseline (none stored here). Gives back their results.
#[allow(dead_code)] // issue 9: the apply integration calls it
pub(crate) async fn batch(
    conn: &mut crate::db::Conn,
    ws: &Workspace,
    target: &ConnectInfo,
    b: usize,
    em: &Emitter,
) -> Vec<crate::event::BenchResult> {
    let _ = (conn, ws, target, b, em);
    todo!("issue 9: bench::batch")
}
