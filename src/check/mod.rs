//! Validation checks: what "validate before progression" means. Kinds (DESIGN.md,
//! "Checks"): `schema`, `row_count`, `checksum`, `orphans`, `not_null`, `sql`,
//! `integrity`, and a folder's own verify scripts (Sqitch `verify/`) as `verify`.
//!
//! A check never fails the program: a missing table or column, a `sql` check whose query
//! errors, an unreachable source each become a finding, and the other checks still run.
//!
//! Where things live: `spec` turns a plan's `[[batch.check]]` into a `Check`; one file
//! per kind runs it; `defaults` are the checks every database gets without configuration
//! (an orphan check per foreign key, the integrity check).

mod spec;

pub use spec::{parse, Check};

use crate::checkpoint::Checkpoint;
use crate::db::schema::Schema;
use crate::db::Conn;
use crate::emit::Emitter;
use crate::event::{BatchVerdict, CheckResult};

/// What the checks of one run see.
pub struct Context<'a> {
    pub target: &'a mut Conn,
    /// The plan's `[source]`, connected, when the plan has one (`compare = "source"`).
    pub source: Option<&'a mut Conn>,
    /// The checkpoint taken before the batch (or file) these checks follow: what
    /// `compare = "checkpoint"` compares with. Its backup, where there is one, is where
    /// a differing checksum finds the changed keys.
    pub checkpoint: Option<&'a Checkpoint>,
    /// The plan's folder (`.cutover/` beside it): where backups and scratch copies live.
    pub base_dir: &'a std::path::Path,
    /// 1-based batch the results are attributed to.
    pub batch: Option<usize>,
    /// The file (version) the results are attributed to.
    pub file: Option<String>,
    pub em: &'a Emitter,
}

/// Runs `checks` in order, emitting `Event::CheckFinished` for each, and gives back
/// every result. Never fails: what goes wrong is a finding.
pub async fn run(ctx: &mut Context<'_>, checks: &[Check]) -> Vec<CheckResult> {
    let _ = (ctx, checks);
    todo!("issue 9: check::run")
}

/// The checks every database gets without configuration: an `orphans` check per foreign
/// key that introspection finds, and the `integrity` check.
pub fn defaults(schema: &Schema) -> Vec<Check> {
    let _ = schema;
    todo!("issue 9: check::defaults")
}

/// A folder's verify script (Sqitch `verify/`) as a check on `version`: it passes when
/// it runs without error.
pub fn verify(version: &str, sql: &str) -> Check {
    let _ = (version, sql);
    todo!("issue 9: check::verify")
}

/// A batch's verdict from its checks' results.
pub fn verdict(results: &[CheckResult]) -> BatchVerdict {
    let failed = results.iter().filter(|r| !r.passed);
    let mut verdict = BatchVerdict::Passed;
    for r in failed {
        if r.severity.blocks() {
            return BatchVerdict::Failed;
        }
        verdict = BatchVerdict::Warnings;
    }
    verdict
}
