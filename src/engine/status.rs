//! What the target's ledger says of the plan's files, and the current schema
//! fingerprint, for `cutover status`: read without the lock and without creating
//! anything (a database that does not exist yet has nothing applied and no schema).

use super::{EngineError, Workspace};
use crate::checkpoint;
use crate::db::{self, ledger, schema, ConnectInfo};
use std::collections::HashMap;

/// One file of the folder, as the ledger knows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileRow {
    pub version: String,
    pub name: String,
    pub file: String,
    pub batch: String,
    pub applied: bool,
    pub status: String,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    pub checksum_ok: bool,
    /// The checkpoint taken before it in the open window (its rollback point).
    pub checkpoint: Option<i64>,
}

/// A version the ledger holds whose file is gone from the folder.
#[derive(Debug, Clone)]
pub struct MissingFile {
    pub version: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct StatusReport {
    /// The folder's files, in order.
    pub files: Vec<FileRow>,
    pub missing: Vec<MissingFile>,
    /// The schema fingerprint now (sha256 hex, cutover's and the tools' tables left
    /// out); None when the database does not exist yet.
    pub fingerprint: Option<String>,
    /// The latest checkpoint taken with that fingerprint (preferring the open window's).
    pub checkpoint_match: Option<CheckpointMatch>,
    /// Why the checkpoints could not be read (status goes on without them).
    pub checkpoints_unreadable: Option<String>,
}

/// A checkpoint whose fingerprint the schema has now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointMatch {
    pub id: i64,
    pub window: i64,
    /// The file it was taken before; None: taken when the window opened.
    pub version: Option<String>,
    pub created_at: String,
    /// Whether its window is still open.
    pub open_window: bool,
    /// `#12 (before 0003)`, `#1 (window start)`.
    pub label: String,
}

/// Reads the target's ledger and sets it beside the folder.
pub async fn status(ws: &Workspace, target: &ConnectInfo) -> Result<StatusReport, EngineError> {
    let skip = schema::bookkeeping_tables(ws.folder.format);
    let (entries, fingerprint) = read_target(target, &skip).await?;
    let by_version: HashMap<&str, &ledger::Entry> =
        entries.iter().map(|e| (e.version.as_str(), e)).collect();
    let checkpoints = super::checkpoint_ids(ws, &target.display).await;
    let files = ws
        .folder
        .migrations
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let e = by_version.get(m.version.as_str());
            FileRow {
                version: m.version.to_string(),
                name: m.name.clone(),
                file: m.path.display().to_string(),
                batch: ws
                    .batch_of(i)
                    .map(|b| ws.batches[b].name.clone())
                    .unwrap_or_default(),
                applied: e.is_some_and(|e| e.status == ledger::Status::Applied),
                status: e.map_or("pending", |e| e.status.as_str()).to_string(),
                applied_at: e.and_then(|e| e.applied_at.clone()),
                applied_by: e.and_then(|e| e.applied_by.clone()),
                checksum_ok: e.is_none_or(|e| e.checksum == m.checksum),
                checkpoint: checkpoints.get(m.version.as_str()).copied(),
            }
        })
        .collect();
    let missing = entries
        .iter()
        .filter(|e| {
            !ws.folder
                .migrations
                .iter()
                .any(|m| m.version.as_str() == e.version)
        })
        .map(|e| MissingFile {
            version: e.version.clone(),
            name: e.name.clone(),
        })
        .collect();
    let (checkpoint_match, checkpoints_unreadable) = match &fingerprint {
        Some(f) => match matching_checkpoint(ws, &target.display, f).await {
            Ok(m) => (m, None),
            Err(e) => (None, Some(e.to_string())),
        },
        None => (None, None),
    };
    Ok(StatusReport {
        files,
        missing,
        fingerprint,
        checkpoint_match,
        checkpoints_unreadable,
    })
}

/// The latest checkpoint of the target with this fingerprint: in the open window if one
/// there matches, else in any. The state database is only read when it exists (status
/// creates nothing).
async fn matching_checkpoint(
    ws: &Workspace,
    target: &str,
    fingerprint: &str,
) -> Result<Option<CheckpointMatch>, checkpoint::CheckpointError> {
    let base = &ws.plan.base_dir;
    if !base.join(".cutover").join("state.db").exists() {
        return Ok(None);
    }
    let store = checkpoint::Store::open(base).await?;
    let open = store.open_window(target).await?.map(|w| w.id);
    let all = store.list(target).await?;
    let usable = |c: &&checkpoint::Checkpoint| {
        c.fingerprint == fingerprint && c.status != crate::event::CheckpointState::Failed
    };
    let found = all
        .iter()
        .rev()
        .filter(usable)
        .find(|c| Some(c.window) == open)
        .or_else(|| all.iter().rev().find(usable));
    Ok(found.map(|c| CheckpointMatch {
        id: c.id,
        window: c.window,
        version: c.version.clone(),
        created_at: c.created_at.clone(),
        open_window: Some(c.window) == open,
        label: c.label(),
    }))
}

/// The ledger's entries and the schema's fingerprint.
async fn read_target(
    target: &ConnectInfo,
    skip: &[String],
) -> Result<(Vec<ledger::Entry>, Option<String>), db::DbError> {
    let target = ConnectInfo {
        create_missing: false,
        ..target.clone()
    };
    let mut conn = match db::connect(&target).await {
        Ok((conn, _)) => conn,
        // A database that does not exist yet has nothing applied.
        Err(db::DbError::Missing { .. }) => return Ok((Vec::new(), None)),
        Err(e) => return Err(e),
    };
    let read = async {
        let entries = ledger::read(&mut conn).await?;
        let fingerprint = schema::introspect(&mut conn, skip).await?.fingerprint();
        Ok((entries, Some(fingerprint)))
    }
    .await;
    conn.close().await;
    read
}
