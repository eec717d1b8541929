//! Closing the migration window: its checkpoints are superseded and old backups
//! pruned (the state store decides which: see `Store::close_window`).

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
    let _ = (ws, info, operator);
    em.log(
        Level::Error,
        "closing a window needs the checkpoint store (not merged yet)",
    )
    .await;
    let _ = Event::SessionEnded;
    let _ = Store::open;
    Outcome::Refused
}
