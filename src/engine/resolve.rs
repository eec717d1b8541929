//! `--resolve VERSION=applied|pending`: the operator's word on a file that may be partly
//! applied, recorded as a decision.

use super::{run_file, ApplyOptions, ApplyReport, Emitter, EngineError, Resolution, Workspace};
use crate::db::ledger::{self, Status};
use crate::db::{self, native};
use crate::event::Level;
use crate::source::Kind;
use std::collections::HashMap;

/// Records the operator's `--resolve` decisions about partly applied files; returns
/// what was recorded, for the report.
pub(super) async fn resolve(
    conn: &mut db::Conn,
    ws: &Workspace,
    opts: &ApplyOptions,
    native: Option<&native::History>,
    entries: &mut HashMap<String, ledger::Entry>,
    em: &Emitter,
) -> Result<Vec<String>, EngineError> {
    let migs = &ws.folder.migrations;
    let mut recorded = Vec::new();
    for (v, how) in &opts.resolve {
        let Some(e) = entries.get_mut(v).filter(|e| e.status.unresolved()) else {
            return Err(EngineError::Selection(format!(
                "--resolve {v}: no file with that version is running or partly applied\n  hint: `cutover status` shows each file's status"
            )));
        };
        let at = run_file::now();
        let i = migs.iter().position(|m| m.version.as_str() == v);
        let in_tool = match (native, i) {
            (Some(n), Some(i)) => n.recorded(conn, migs).await?.applied.contains(&i),
            _ => false,
        };
        match how {
            Resolution::Applied => {
                if let (Some(n), Some(i), false) = (native, i, in_tool) {
                    n.record_apply(
                        conn,
                        &migs[i],
                        migs,
                        std::time::Duration::ZERO,
                        &opts.operator,
                    )
                    .await?;
                }
                e.status = Status::Applied;
                e.error = None;
                ledger::record(conn, e).await?;
            }
            Resolution::Pending => {
                if let (Some(n), Some(i), true) = (native, i, in_tool) {
                    n.record_revert(conn, &migs[i], migs, &opts.operator)
                        .await?;
                }
                ledger::delete(conn, v).await?;
                entries.remove(v);
            }
        }
        let detail = format!("resolved as {how:?}").to_lowercase();
        ledger::decision(conn, &at, &opts.operator, "resolve", v, &detail).await?;
        let what = format!("{v}: {detail} by {}", opts.operator);
        em.log(Level::Warn, what.clone()).await;
        recorded.push(what);
    }
    Ok(recorded)
}

/// The end of a run that recorded decisions: nothing is applied; the report (and the
/// log) say what is still to apply, which a separate `cutover apply` does.
pub(super) async fn decided(
    ws: &Workspace,
    entries: &HashMap<String, ledger::Entry>,
    decisions: Vec<String>,
    em: &Emitter,
) -> ApplyReport {
    let pending = still_to_do(ws, entries);
    let text = if pending.is_empty() {
        "decision recorded; nothing was applied, and nothing is pending".to_string()
    } else {
        format!(
            "decision recorded; nothing was applied. Pending: {}\n  hint: run `cutover apply` to apply them",
            pending.join(", ")
        )
    };
    em.log(Level::Info, text).await;
    ApplyReport::decided(decisions, pending, false)
}

/// The files a `cutover apply` would still have to apply (or to have resolved), in order.
pub(super) fn still_to_do(ws: &Workspace, entries: &HashMap<String, ledger::Entry>) -> Vec<String> {
    let migs = &ws.folder.migrations;
    ws.batches
        .iter()
        .flat_map(|b| b.migrations.iter().copied())
        .filter_map(|i| {
            let m = &migs[i];
            let state = match entries.get(m.version.as_str()) {
                Some(e) if e.status.unresolved() => " (still to resolve)",
                Some(e) if e.status == Status::Applied => {
                    if m.kind != Kind::Repeatable || e.checksum == m.checksum {
                        return None;
                    }
                    ""
                }
                _ => "",
            };
            Some(format!("{} ({}){state}", m.version, m.path.display()))
        })
        .collect()
}
