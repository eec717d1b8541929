//! What the target's ledger says of the plan's files, and the current schema
//! fingerprint, for `cutover status`: read without the lock and without creating
//! anything (a database that does not exist yet has nothing applied and no schema).

use super::{EngineError, Workspace};
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
    Ok(StatusReport {
        files,
        missing,
        fingerprint,
    })
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
