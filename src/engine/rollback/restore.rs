//! Undoing by restoring a checkpoint's backup: for files without down SQL, for
//! `--restore` after a failed rollback, and for the emergency rollback.
//!
//! The backup holds the target as it was, cutover's ledger and the adopted tool's
//! history included, as they were then. So after the restore both are rewritten to
//! what is true now: every file the ledger knew before the restore keeps its row, and
//! those the restore undid are recorded `rolled_back`; the tool's rows for them are
//! removed as the tool would remove them. Then the schema must equal the checkpoint's.

use super::undo::{status, Failure};
use super::verify::{differs, short};
use super::Rb;
use crate::checkpoint::{self, Checkpoint};
use crate::db::ledger::{self, Status};
use crate::db::{self, Conn};
use crate::event::{FileStatus, Level};

/// Restores `cp`'s backup; `files` (indices, newest first) are the files it undoes.
pub(crate) async fn restore(
    conn: &mut Conn,
    rb: &Rb<'_>,
    cp: &Checkpoint,
    files: &[usize],
) -> Result<(), Failure> {
    let migs = &rb.ws.folder.migrations;
    let first = files
        .first()
        .map_or(String::new(), |&i| migs[i].version.to_string());
    let fail = |message: String| Failure {
        version: first.clone(),
        message,
        nothing_changed: false,
    };
    let Some(backup) = &cp.backup else {
        return Err(fail(format!(
            "checkpoint #{} has no backup to restore",
            cp.id
        )));
    };
    let detail = format!("restoring checkpoint #{}'s backup", cp.id);
    for &i in files {
        status(
            rb,
            migs[i].version.as_str(),
            FileStatus::RollingBack,
            Some(detail.clone()),
        )
        .await;
    }
    rb.em
        .log(
            Level::Warn,
            format!(
                "restoring the backup taken {} (checkpoint #{}, {} bytes, {}): writes made since then are lost",
                super::select::describe(cp),
                cp.id,
                backup.size,
                backup.path.display()
            ),
        )
        .await;
    let mut lines = Vec::new();
    let restored = checkpoint::restore(&rb.info.url, backup, &mut |l| lines.push(l)).await;
    for l in lines {
        rb.em.log(Level::Info, l).await;
    }
    if let Err(e) = restored {
        return Err(fail(format!("the restore failed: {e}")));
    }
    rewrite_ledger(conn, rb, files)
        .await
        .map_err(|e| fail(format!("the backup is restored, but the ledger could not be rewritten: {e}\n  hint: `cutover status` shows what it holds; record each file with `cutover apply --resolve`")))?;
    match differs(conn, rb.skip, cp).await {
        Ok(None) => {
            rb.em
                .log(
                    Level::Info,
                    format!(
                        "verified: the schema equals checkpoint #{} ({})",
                        cp.id,
                        short(&cp.fingerprint)
                    ),
                )
                .await
        }
        Ok(Some(lines)) => {
            return Err(fail(format!(
                "critical: after the restore the schema differs from checkpoint #{}:\n    {}",
                cp.id,
                lines.join("\n    ")
            )))
        }
        Err(e) => return Err(fail(format!("cannot verify the restore: {e}"))),
    }
    for &i in files {
        status(
            rb,
            migs[i].version.as_str(),
            FileStatus::RolledBack,
            Some(detail.clone()),
        )
        .await;
    }
    Ok(())
}

/// The ledger as it was before the restore, with the restored files `rolled_back`; the
/// tool's history without them. One transaction where the backend allows.
async fn rewrite_ledger(conn: &mut Conn, rb: &Rb<'_>, files: &[usize]) -> Result<(), db::DbError> {
    let migs = &rb.ws.folder.migrations;
    let undone: Vec<&str> = files.iter().map(|&i| migs[i].version.as_str()).collect();
    let now = crate::engine::run_file::now();
    ledger::ensure(conn).await?;
    let ctx = "rewriting cutover_history after the restore";
    conn.begin().await.map_err(|f| conn.failed(ctx, f))?;
    let result = async {
        for e in rb.entries.values() {
            let mut e = e.clone();
            if undone.contains(&e.version.as_str()) {
                e.status = Status::RolledBack;
                e.rolled_back_at = Some(now.clone());
                e.error = None;
            }
            ledger::record(conn, &e).await?;
        }
        if let Some(n) = rb.native {
            let recorded = n.recorded(conn, migs).await?;
            for &i in files {
                if recorded.applied.contains(&i) {
                    n.record_revert(conn, &migs[i], migs, rb.operator).await?;
                }
            }
        }
        Ok::<_, db::DbError>(())
    }
    .await;
    match result {
        Ok(()) => conn.commit().await.map_err(|f| conn.failed(ctx, f)),
        Err(e) => {
            conn.rollback_quietly().await;
            Err(e)
        }
    }
}
