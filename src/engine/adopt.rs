//! Adopting the folder's own tool: what it recorded counts as applied, what it reverted
//! since is marked so, and a table it never had is filled from cutover's ledger.

use super::entry::entry;
use super::{run_file, Drift, Emitter, EngineError, Workspace};
use crate::db::ledger::{self, Status};
use crate::db::{self, native};
use crate::event::Level;
use crate::source::Kind;
use std::collections::HashMap;

/// Brings cutover's ledger in line with what the folder's own tool recorded: versions it
/// applied count as applied; versions it reverted since are marked rolled back; when its
/// table was just created, it is filled from our ledger.
pub(super) async fn adopt(
    conn: &mut db::Conn,
    ws: &Workspace,
    n: &native::History,
    entries: &mut HashMap<String, ledger::Entry>,
    em: &Emitter,
    operator: &str,
) -> Result<(), EngineError> {
    let migs = &ws.folder.migrations;
    let tool = native::tool_name(n.tool);
    if n.created {
        // The tool's table is new this session: fill it from our ledger, once. Later
        // jobs of the same session find those rows (and the ones they wrote) there.
        let have = n.recorded(conn, migs).await?.applied;
        for (i, m) in migs.iter().enumerate() {
            let Some(e) = entries.get(m.version.as_str()) else {
                continue;
            };
            if e.status == Status::Applied && !have.contains(&i) {
                let took = std::time::Duration::from_millis(e.duration_ms.max(0) as u64);
                n.record_apply(conn, m, migs, took, operator).await?;
            }
        }
        return Ok(());
    }
    let rec = n.recorded(conn, migs).await?;
    refuse_unsettled(n, &rec, migs)?;
    for v in &rec.unknown {
        em.log(
            Level::Warn,
            format!("{tool} recorded version {v}, which no file in the folder has"),
        )
        .await;
    }
    let mut adopted = 0;
    for &i in &rec.applied {
        let m = &migs[i];
        // Applied already, waiting for an operator's decision, or mid-rollback (the
        // tool's row goes when the rollback finishes): never adopt over that.
        if entries.get(m.version.as_str()).is_some_and(|e| {
            e.status == Status::Applied || e.status.unresolved() || e.status == Status::RollingBack
        }) {
            continue;
        }
        let batch = ws
            .batch_of(i)
            .map(|b| ws.batches[b].name.clone())
            .unwrap_or_default();
        let adopted_by = Some(format!("{tool} (adopted)"));
        let e = entry(m, batch, Status::Applied, Some(run_file::now()), adopted_by);
        ledger::record(conn, &e).await?;
        entries.insert(e.version.clone(), e);
        adopted += 1;
    }
    if adopted > 0 {
        em.log(
            Level::Info,
            format!(
                "adopted {adopted} version(s) {tool} had applied, from {}",
                n.table
            ),
        )
        .await;
    }
    // Applied in our ledger, absent from the tool's: the tool reverted it since.
    for (i, m) in migs.iter().enumerate() {
        // A changed repeatable is pending again, not reverted.
        if rec.applied.contains(&i) || m.kind == Kind::Repeatable {
            continue;
        }
        if let Some(e) = entries
            .get_mut(m.version.as_str())
            .filter(|e| e.status == Status::Applied)
        {
            e.status = Status::RolledBack;
            e.rolled_back_at = Some(run_file::now());
            ledger::record(conn, e).await?;
            em.log(
                Level::Warn,
                format!(
                    "{} was reverted with {tool} since cutover applied it; marked rolled back",
                    m.path.display()
                ),
            )
            .await;
        }
    }
    Ok(())
}

/// A version the tool marked as failed, or a checksum it recorded that the file no
/// longer gives: a person decides before anything is adopted or run.
fn refuse_unsettled(
    n: &native::History,
    rec: &native::Recorded,
    migs: &[crate::source::Migration],
) -> Result<(), EngineError> {
    let tool = native::tool_name(n.tool);
    if let Some(v) = &rec.dirty {
        return Err(EngineError::Ledger(format!(
            "{tool} marked version {v} as failed in {}: what it left behind must be checked by a person\n  hint: repair the database, clear the mark with {tool}'s own command, then run cutover again",
            n.table
        )));
    }
    if !rec.mismatched.is_empty() {
        let drift = rec
            .mismatched
            .iter()
            .map(|(i, recorded, disk)| Drift {
                version: migs[*i].version.to_string(),
                file: migs[*i].path.display().to_string(),
                applied_checksum: recorded.clone(),
                disk_checksum: disk.clone(),
                diff: format!("({tool} keeps only a checksum of what it applied: {recorded}; the file on disk gives {disk})\n"),
            })
            .collect();
        return Err(EngineError::Drift(drift));
    }
    Ok(())
}
