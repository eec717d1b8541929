//! Closing the migration window (`cutover close`, the cockpit's close action): its
//! checkpoints are superseded and old backups pruned; the state store decides which
//! (`Store::close_window`). The next apply opens a new window with a new start backup.
//! Closing needs no connection to the target, only the local state database.

use crate::checkpoint::Store;
use crate::db::ConnectInfo;
use crate::engine::{Emitter, Workspace};
use crate::event::{Event, Level, Outcome};

pub(crate) async fn close(
    ws: &Workspace,
    info: &ConnectInfo,
    operator: &str,
    em: &Emitter,
) -> Outcome {
    let closed = match Store::open(&ws.plan.base_dir).await {
        Ok(store) => store.close_window(&info.display, operator).await,
        Err(e) => Err(e),
    };
    match closed {
        Ok(None) => {
            em.log(
                Level::Info,
                format!(
                    "no migration window is open on {}: nothing to close",
                    info.display
                ),
            )
            .await;
            Outcome::NothingToDo
        }
        Ok(Some(c)) => {
            let ids: Vec<String> = c.superseded.iter().map(|id| format!("#{id}")).collect();
            em.log(
                Level::Info,
                format!(
                    "closed migration window #{}: {} checkpoint(s) superseded{}",
                    c.window,
                    ids.len(),
                    if ids.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", ids.join(", "))
                    }
                ),
            )
            .await;
            for p in &c.pruned {
                em.log(Level::Info, format!("pruned backup {}", p.display()))
                    .await;
            }
            if let Some(k) = &c.kept {
                em.log(
                    Level::Info,
                    format!(
                        "kept the window start's backup {} (the state before this window's changes)",
                        k.display()
                    ),
                )
                .await;
            }
            em.emit(Event::WindowClosed { window: c.window }).await;
            Outcome::Succeeded
        }
        Err(e) => {
            em.log(Level::Error, format!("closing the window: {e}"))
                .await;
            Outcome::Refused
        }
    }
}
