//! After a rollback: the checkpoints of the files it undid are no longer `active` (a
//! checkpoint is active while the file it was taken before is applied). They go back to
//! `validated`: still a point the target can return to, guarding no applied file. When
//! nothing applied remains, the window start's checkpoint does the same, so the next
//! apply makes it active again.

use super::select::Window;
use crate::checkpoint::Store;
use crate::db::ledger::{Entry, Status};
use crate::engine::{Emitter, Workspace};
use crate::event::{CheckpointState, Event, Level};
use std::collections::HashMap;

pub(super) async fn release(
    ws: &Workspace,
    window: &Window,
    entries: &HashMap<String, Entry>,
    undone: &[String],
    em: &Emitter,
) {
    let mut ids: Vec<i64> = undone
        .iter()
        .filter_map(|v| window.before(v))
        .filter(|c| c.status == CheckpointState::Active)
        .map(|c| c.id)
        .collect();
    let still_applied = entries
        .values()
        .any(|e| e.status == Status::Applied && !undone.contains(&e.version));
    if !still_applied {
        if let Some(start) = window
            .start
            .as_ref()
            .filter(|c| c.status == CheckpointState::Active)
        {
            ids.push(start.id);
        }
    }
    if ids.is_empty() {
        return;
    }
    let store = match Store::open(&ws.plan.base_dir).await {
        Ok(s) => s,
        Err(e) => {
            em.log(Level::Warn, format!("checkpoint states not updated: {e}"))
                .await;
            return;
        }
    };
    for id in ids {
        match store.set_status(id, CheckpointState::Validated).await {
            Ok(()) => {
                em.emit(Event::CheckpointStatus {
                    id,
                    status: CheckpointState::Validated,
                    detail: Some("its file was rolled back".into()),
                })
                .await
            }
            Err(e) => em.log(Level::Warn, e.to_string()).await,
        }
    }
}
