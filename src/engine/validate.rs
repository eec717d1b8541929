//! The validate job, and the checks an apply runs: after each file (its verify script,
//! the database's default checks) and at the end of each batch (the batch's checks,
//! whose verdict says whether the next batch may start).

use super::{Emitter, Session, Workspace};
use crate::db::{Conn, ConnectInfo};
use crate::event::{BatchVerdict, CheckResult};

/// `cutover validate` in an open session (the cockpit's `v`): every applied batch's
/// checks (or that batch's), the database's own checks and the applied files' verify
/// scripts; framed by JobStarted/JobFinished("validate").
pub(crate) async fn in_session(
    session: &mut Session,
    ws: &Workspace,
    batch: Option<&str>,
    operator: &str,
    em: &Emitter,
) {
    let _ = (session, ws, batch, operator, em);
    todo!("issue 9: validate::in_session")
}

/// The same, headless: its own connection (no lock: checks only read), framed by
/// SessionStarted/SessionEnded.
pub(crate) async fn headless(
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    operator: &str,
    em: &Emitter,
) {
    let _ = (ws, target, batch, operator, em);
    todo!("issue 9: validate::headless")
}

/// After file `migration` (index into the folder) is applied: its verify script and
/// the default checks, attributed to that file. Quick (under 100 ms on the demo).
#[allow(dead_code)] // issue 9: the apply integration calls it
pub(crate) async fn after_file(
    conn: &mut Conn,
    ws: &Workspace,
    migration: usize,
    em: &Emitter,
) -> Vec<CheckResult> {
    let _ = (conn, ws, migration, em);
    todo!("issue 9: validate::after_file")
}

/// Batch `b`'s (0-based) validation: its configured checks, compared with the
/// checkpoint taken before its first file and with the plan's `[source]`; emits
/// `BatchValidated` and records it in the state database.
#[allow(dead_code)] // issue 9: the apply integration calls it
pub(crate) async fn batch(
    conn: &mut Conn,
    ws: &Workspace,
    target_display: &str,
    b: usize,
    operator: &str,
    em: &Emitter,
) -> (BatchVerdict, Vec<CheckResult>) {
    let _ = (conn, ws, target_display, b, operator, em);
    todo!("issue 9: validate::batch")
}
