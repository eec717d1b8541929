//! `cutover status`: every file with its batch, whether and when it was applied, by
//! whom, and whether its text still matches what was applied; and the schema's
//! fingerprint now.

use super::{workspace, Global};
use crate::engine;
use crate::report::exit;
use crate::text::fit;
use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
}

pub async fn run(global: &Global, args: StatusArgs) -> i32 {
    let (ws, target) = match workspace::load(global) {
        Ok(w) => w,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let engine::StatusReport {
        files: rows,
        missing,
        fingerprint,
        checkpoint_match,
        checkpoints_unreadable,
    } = match engine::status(&ws, &target).await {
        Ok(r) => r,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    if args.json {
        let v = serde_json::json!({
            "plan": ws.plan.name,
            "target": target.display,
            "format": ws.folder.format.as_str(),
            "fingerprint": fingerprint,
            "checkpoint_match": checkpoint_match,
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
    match (&fingerprint, &checkpoint_match) {
        (Some(f), Some(m)) => outln!(
            "schema fingerprint {}, matches checkpoint {}{}",
            crate::db::schema::short(f),
            m.label,
            if m.open_window {
                ""
            } else {
                " of a closed window"
            }
        ),
        (Some(f), None) => outln!(
            "schema fingerprint {} (matches no checkpoint)",
            crate::db::schema::short(f)
        ),
        (None, _) => outln!("schema fingerprint - (the database does not exist yet)"),
    }
    if let Some(e) = &checkpoints_unreadable {
        outln!("checkpoints could not be read: {e}");
    }
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
