//! `--resolve VERSION=applied|pending`: the operator's word on a file that may be partly
//! applied, recorded as a decision.

use super::apply::{ApplyOptions, Resolution};
use super::{run_file, Emitter, EngineError, Workspace};
use crate::db::ledger::{self, Status};
use crate::db::{self, native};
use crate::event::Level;
use std::collections::HashMap;

/// Records the operator's `--resolve` decisions about partly applied files.
pub(super) async fn resolve(
    conn: &mut db::Conn,
    ws: &Workspace,
    opts: &ApplyOptions,
    native: Option<&native::History>,
    entries: &mut HashMap<String, ledger::Entry>,
    em: &Emitter,
) -> Result<(), EngineError> {
    let migs = &ws.folder.migrations;
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
        em.log(Level::Warn, format!("{v}: {detail} by {}", opts.operator))
            .await;
    }
    Ok(())
}
