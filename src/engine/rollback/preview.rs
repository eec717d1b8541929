//! What a rollback would undo, computed before anything changes: the files newest
//! first with how each is undone, the tables that lose rows and how many, the word to
//! type, and what else the operator must know.

use super::select::Selection;
use crate::db::schema::{self, Schema, TableStat};
use crate::db::Conn;
use crate::engine::Workspace;
use crate::event::{RollbackPreview, RollbackScope, TableLoss, UndoFile};
use std::collections::HashMap;

/// The word the operator types to confirm.
pub(crate) fn confirm_word(ws: &Workspace, scope: &RollbackScope) -> String {
    match scope {
        RollbackScope::File { version } => version.clone(),
        RollbackScope::Batch { batch } => ws
            .find_batch(batch)
            .map_or_else(|| batch.clone(), |b| ws.batches[b].name.clone()),
        RollbackScope::Emergency => "EMERGENCY".to_string(),
    }
}

/// Builds the preview. The current schema and row counts are read from `conn`; a
/// failure to read them is said in the notes instead of failing the preview.
pub(crate) async fn preview(
    conn: &mut Conn,
    ws: &Workspace,
    sel: &Selection,
    skip: &[String],
) -> RollbackPreview {
    let migs = &ws.folder.migrations;
    let files = sel
        .files
        .iter()
        .map(|(i, undo)| UndoFile {
            version: migs[*i].version.to_string(),
            name: migs[*i].name.clone(),
            undo: undo.clone(),
        })
        .collect();
    let mut notes = Vec::new();
    if let Some(why) = &sel.nothing {
        notes.push(why.clone());
    }
    let mut losses = Vec::new();
    if !sel.files.is_empty() {
        match current(conn, skip).await {
            Ok((schema, stats)) => {
                losses = losses_against(&stats, sel);
                if let Some(base) = &sel.base {
                    let d = schema::diff(&schema, &base.schema);
                    let lines = d.lines();
                    if !lines.is_empty() {
                        notes.push(format!(
                            "the schema returns to checkpoint #{}: {}",
                            base.id,
                            summarize(&lines)
                        ));
                    }
                }
            }
            Err(e) => notes.push(format!("row counts could not be read: {e}")),
        }
        if sel.base.is_none() {
            notes.push("no checkpoint was taken before the oldest file (applied before the window opened): the result cannot be verified against one".into());
        }
    }
    notes.extend(sel.notes.iter().cloned());
    RollbackPreview {
        scope: sel.scope.clone(),
        files,
        losses,
        confirm: confirm_word(ws, &sel.scope),
        notes,
    }
}

async fn current(
    conn: &mut Conn,
    skip: &[String],
) -> Result<(Schema, Vec<TableStat>), crate::db::DbError> {
    let schema = schema::introspect(conn, skip).await?;
    // Counts are all a preview needs: a checksum limit of 0 leaves checksums out.
    let stats = schema::table_stats(conn, &schema, 0).await?;
    Ok((schema, stats))
}

/// Tables that lose rows: those the base checkpoint (before the oldest file undone)
/// did not have lose all their rows; with a restore, the tables its checkpoint had
/// lose the rows added since it was taken (count difference).
fn losses_against(now: &[TableStat], sel: &Selection) -> Vec<TableLoss> {
    let Some(base) = sel.base.as_ref().or(sel.restore.as_ref()) else {
        return Vec::new();
    };
    let in_base = base.schema.table_names();
    let restored: Option<(Vec<String>, HashMap<&str, u64>)> = sel.restore.as_ref().map(|cp| {
        let counts = cp
            .stats
            .iter()
            .map(|s| (s.table.as_str(), s.rows))
            .collect();
        (cp.schema.table_names(), counts)
    });
    let mut out: Vec<TableLoss> = now
        .iter()
        .filter_map(|s| {
            let lost = if !in_base.contains(&s.table) {
                s.rows
            } else {
                match &restored {
                    Some((tables, counts)) if tables.contains(&s.table) => s
                        .rows
                        .saturating_sub(counts.get(s.table.as_str()).copied().unwrap_or(0)),
                    Some(_) => s.rows,
                    None => 0,
                }
            };
            (lost > 0).then(|| TableLoss {
                table: s.table.clone(),
                rows: lost,
            })
        })
        .collect();
    out.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.table.cmp(&b.table)));
    out
}

/// At most a few diff lines, then how many more.
fn summarize(lines: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut s = lines
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if lines.len() > SHOWN {
        s.push_str(&format!("; and {} more", lines.len() - SHOWN));
    }
    s
}

/// The preview as the headless command prints it (and nothing else changes).
pub fn render(p: &RollbackPreview) -> String {
    use crate::event::Undo;
    let mut out = String::new();
    if p.files.is_empty() {
        out.push_str("nothing to roll back\n");
        for n in &p.notes {
            out.push_str(&format!("  {n}\n"));
        }
        return out;
    }
    out.push_str(&format!(
        "rollback would undo {} file(s), newest first:\n",
        p.files.len()
    ));
    for f in &p.files {
        let how = match &f.undo {
            Undo::DownSql => "down SQL".to_string(),
            Undo::Restore {
                checkpoint,
                taken_at,
            } => format!("restore checkpoint #{checkpoint}'s backup, taken {taken_at}"),
        };
        out.push_str(&format!("  {} {}  ({how})\n", f.version, f.name));
    }
    if p.losses.is_empty() {
        out.push_str("tables that lose rows: none\n");
    } else {
        out.push_str("tables that lose rows:\n");
        for l in &p.losses {
            out.push_str(&format!("  {}: {} row(s)\n", l.table, l.rows));
        }
    }
    for n in &p.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!("to confirm in the cockpit, type: {}\n", p.confirm));
    out
}
