//! `cutover status`: every file with its batch, whether and when it was applied, by
//! whom, and whether its text still matches what was applied.

use super::{workspace, Global};
use crate::db::{self, ledger};
use crate::report::exit;
use crate::text::fit;
use clap::Args;
use std::collections::HashMap;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, serde::Serialize)]
struct FileRow {
    version: String,
    name: String,
    file: String,
    batch: String,
    applied: bool,
    status: String,
    applied_at: Option<String>,
    applied_by: Option<String>,
    checksum_ok: bool,
    checkpoint: Option<String>,
}

pub async fn run(global: &Global, args: StatusArgs) -> i32 {
    let (ws, target) = match workspace::load(global) {
        Ok(w) => w,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let entries = match read_ledger(&target).await {
        Ok(e) => e,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let by_version: HashMap<&str, &ledger::Entry> =
        entries.iter().map(|e| (e.version.as_str(), e)).collect();
    let rows: Vec<FileRow> = ws
        .folder
        .migrations
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let e = by_version.get(m.version.as_str());
            let applied = e.is_some_and(|e| e.status == ledger::Status::Applied);
            FileRow {
                version: m.version.to_string(),
                name: m.name.clone(),
                file: m.path.display().to_string(),
                batch: ws
                    .batch_of(i)
                    .map(|b| ws.batches[b].name.clone())
                    .unwrap_or_default(),
                applied,
                status: e.map_or("pending", |e| e.status.as_str()).to_string(),
                applied_at: e.and_then(|e| e.applied_at.clone()),
                applied_by: e.and_then(|e| e.applied_by.clone()),
                checksum_ok: e.is_none_or(|e| e.checksum == m.checksum),
                checkpoint: None,
            }
        })
        .collect();
    let missing: Vec<&ledger::Entry> = entries
        .iter()
        .filter(|e| {
            !ws.folder
                .migrations
                .iter()
                .any(|m| m.version.as_str() == e.version)
        })
        .collect();
    if args.json {
        let v = serde_json::json!({
            "plan": ws.plan.name,
            "target": target.display,
            "format": ws.folder.format.as_str(),
            "fingerprint": serde_json::Value::Null,
            "files": rows,
            "missing_files": missing.iter().map(|e| &e.version).collect::<Vec<_>>(),
        });
        match serde_json::to_string_pretty(&v) {
            Ok(s) => outln!("{s}"),
            Err(e) => {
                super::print_error(&e);
                return exit::CANNOT_RUN;
            }
        }
        return exit::OK;
    }
    outln!(
        "plan {:?} on {} ({} folder {})",
        ws.plan.name,
        target.display,
        ws.folder.format,
        ws.folder.dir.display()
    );
    outln!(
        "{:<16} {:<36} {:<20} {:<12} {:<24} {:<12} CHECKSUM",
        "VERSION",
        "NAME",
        "BATCH",
        "STATUS",
        "APPLIED AT",
        "BY"
    );
    for r in &rows {
        let check = if r.checksum_ok { "ok" } else { "DRIFT" };
        outln!(
            "{:<16} {:<36} {:<20} {:<12} {:<24} {:<12} {check}",
            r.version,
            fit(&r.name, 36),
            fit(&r.batch, 20),
            r.status,
            r.applied_at.as_deref().unwrap_or("-"),
            fit(r.applied_by.as_deref().unwrap_or("-"), 12),
        );
    }
    for e in missing {
        outln!(
            "{:<16} {:<36} applied, but its file is missing from the folder",
            e.version,
            fit(&e.name, 36)
        );
    }
    let applied = rows.iter().filter(|r| r.applied).count();
    outln!("{applied} of {} applied", rows.len());
    exit::OK
}

async fn read_ledger(target: &db::ConnectInfo) -> Result<Vec<ledger::Entry>, db::DbError> {
    let target = db::ConnectInfo {
        create_missing: false,
        ..target.clone()
    };
    let mut conn = match db::connect(&target).await {
        Ok((conn, _)) => conn,
        // A database that does not exist yet has nothing applied.
        Err(db::DbError::Missing { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let entries = ledger::read(&mut conn).await;
    conn.close().await;
    entries
}
