//! `checksum`: a table's rows against the checkpoint taken before the batch, or against
//! the plan's `[source]`; on a difference, the differing keys and columns.
//!
//! - Against the checkpoint: the checkpoint recorded each table's order-independent
//!   checksum (`schema::table_stat`) over the columns it had then; the same columns are
//!   summed now (columns added since are left out and said; a dropped one is a
//!   finding). On a difference the keys are found by comparing with the checkpoint's
//!   backup: a SQLite backup is opened read-only as the "source" side of
//!   `db::compare::compare_table`. A pg_dump or mariadb-dump archive would first have to
//!   be restored somewhere, which costs as much as the window's backup did: the finding
//!   says so and how to locate the rows instead.
//! - Against the source: `compare_table` (canonical hashing, equal across backends).

use super::{Check, Compare, Env, Found};
use crate::checkpoint::Checkpoint;
use crate::db::compare::{compare_table, CompareOptions, Comparison};
use crate::db::schema::table_stat;
use crate::db::{self, Conn, ConnectInfo};

/// How many differing rows a finding lists.
const MAX_DIFFERENCES: usize = 20;

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let Some(name) = check.table() else {
        return Found::fail("checksum check needs table");
    };
    let compare = match check.compare() {
        Ok(c) => c,
        Err(e) => return Found::fail(e),
    };
    let (table, now) = match env.table(name).await {
        Ok(t) => t,
        Err(f) => return f,
    };
    match compare {
        Compare::Checkpoint => checkpoint(env, &table, &now).await,
        Compare::Source => source(env, &table).await,
        Compare::Bounds { .. } => Found::fail("bounds are for row_count checks only"),
    }
}

async fn checkpoint(env: &mut Env<'_, '_>, table: &str, now: &crate::db::schema::Table) -> Found {
    let Some(cp) = env.ctx.checkpoint else {
        return Found::unjudged(format!(
            "{table}: not compared: no checkpoint was taken before this batch"
        ));
    };
    let (Some(then), Some(stat)) = (
        super::lookup(&cp.schema, table),
        cp.stats
            .iter()
            .find(|s| s.table.eq_ignore_ascii_case(table)),
    ) else {
        return Found::fail(format!(
            "{table} did not exist at checkpoint {}",
            cp.label()
        ));
    };
    let columns: Vec<&str> = then.1.columns.keys().map(String::as_str).collect();
    let dropped: Vec<&str> = columns
        .iter()
        .filter(|c| !now.columns.contains_key(**c))
        .copied()
        .collect();
    if !dropped.is_empty() {
        return Found::fail(format!(
            "{table}: column(s) {} existed at checkpoint {} and are gone",
            dropped.join(", "),
            cp.label()
        ));
    }
    let added: Vec<&str> = now
        .columns
        .keys()
        .map(String::as_str)
        .filter(|c| !then.1.columns.contains_key(*c))
        .collect();
    let note = if added.is_empty() {
        String::new()
    } else {
        format!(" (column(s) added since left out: {})", added.join(", "))
    };
    let Some(before) = &stat.checksum else {
        // Above the checkpoint's row limit: only the backup can tell.
        return with_backup(
            env,
            cp,
            table,
            "the checkpoint recorded no checksum (above checksum_row_limit)",
        )
        .await;
    };
    let current = match table_stat(env.ctx.target, table, &columns, u64::MAX).await {
        Ok(s) => s,
        Err(e) => return Found::fail(format!("checksumming {table}: {e}")),
    };
    if current.checksum.as_deref() == Some(before.as_str()) && current.rows == stat.rows {
        return Found::pass(format!(
            "{table}: {} row(s), checksum {} as at checkpoint {}{note}",
            current.rows,
            crate::checkpoint::short(before),
            cp.label()
        ));
    }
    let what = format!(
        "{table} differs from checkpoint {}: {} row(s) then, {} now; checksum {} then, {} now{note}",
        cp.label(),
        stat.rows,
        current.rows,
        crate::checkpoint::short(before),
        current
            .checksum
            .as_deref()
            .map(crate::checkpoint::short)
            .unwrap_or("-")
    );
    with_backup(env, cp, table, &what).await
}

/// A difference from the checkpoint, located with its backup where that is cheap.
async fn with_backup(env: &mut Env<'_, '_>, cp: &Checkpoint, table: &str, what: &str) -> Found {
    let Some(backup) = cp.backup.as_ref().filter(|b| b.path.exists()) else {
        return Found::fail(format!(
            "{what}; the checkpoint has no backup on disk to locate the differing rows"
        ));
    };
    if backup.tool != "sqlite-copy" {
        return Found::fail(format!(
            "{what}; the differing rows are not located: the checkpoint's backup is a {} archive, which would have to be restored first (compare with a restored copy as [source] and compare = \"source\" to list them)",
            backup.tool
        ));
    }
    let info = ConnectInfo {
        url: format!("sqlite://{}?mode=ro", backup.path.display()),
        display: backup.path.display().to_string(),
        init_sql: Vec::new(),
        create_missing: false,
    };
    let mut old = match db::connect(&info).await {
        Ok((c, _)) => c,
        Err(e) => return Found::fail(format!("{what}; cannot open the backup: {e}")),
    };
    let found = match compared(&mut old, env.ctx.target, table, env.ctx.em).await {
        Ok(c) if c.equal => Found::fail(format!(
            "{what}; yet row by row it equals the checkpoint's backup (the checksum's column set differs?)"
        )),
        Ok(c) => differs(what, "checkpoint", &c),
        Err(e) => Found::fail(format!("{what}; locating the rows failed: {e}")),
    };
    old.close().await;
    found
}

async fn source(env: &mut Env<'_, '_>, table: &str) -> Found {
    let em = env.ctx.em;
    let Some(src) = env.ctx.source.as_deref_mut() else {
        return Found::fail(format!(
            "{table}: not compared: the plan has no [source] (or it could not be reached)"
        ));
    };
    match compared(src, env.ctx.target, table, em).await {
        Ok(c) if c.equal => Found::pass(format!(
            "{table}: {} row(s), equal to the source{}",
            c.target_rows,
            c.note.map(|n| format!(" ({n})")).unwrap_or_default()
        )),
        Ok(c) => {
            let what = format!(
                "{table} differs from the source: {} row(s) there, {} here",
                c.source_rows, c.target_rows
            );
            differs(&what, "source", &c)
        }
        Err(e) => Found::fail(format!("{table}: comparing with the source failed: {e}")),
    }
}

/// `compare_table`, with a panic in it turned into an error: a check never takes the
/// program down.
async fn compared(
    source: &mut Conn,
    target: &mut Conn,
    table: &str,
    em: &crate::emit::Emitter,
) -> Result<Comparison, String> {
    use futures_util::FutureExt;
    let opts = CompareOptions {
        max_differences: MAX_DIFFERENCES,
        checksum: true,
    };
    let fut = compare_table(source, target, table, &opts, em);
    match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("the comparison stopped unexpectedly".to_string()),
    }
}

/// A value as a finding shows it: as it is, unless that would hide what differs (an
/// empty text, spaces at either end, control characters, the text `NULL`): then quoted
/// and escaped, so `'Edinburgh '` against `'Edinburgh'` reads as two values.
fn shown(v: Option<&str>) -> String {
    let Some(v) = v else {
        return "NULL".into();
    };
    let plain = !v.is_empty()
        && v.trim() == v
        && !v.chars().any(char::is_control)
        && !v.eq_ignore_ascii_case("null");
    if plain {
        v.to_string()
    } else {
        format!("{v:?}")
    }
}

/// The finding for a comparison that found differences.
fn differs(what: &str, side: &str, c: &Comparison) -> Found {
    let mut detail = what.to_string();
    let listed: Vec<String> = c
        .differences
        .iter()
        .take(5)
        .map(|d| {
            let cols: Vec<String> = d
                .columns
                .iter()
                .map(|col| {
                    format!(
                        "{}: {} -> {}",
                        col.column,
                        shown(col.source.as_deref()),
                        shown(col.target.as_deref())
                    )
                })
                .collect();
            match d.kind {
                crate::event::RowDiffKind::Changed => {
                    format!("{} changed ({})", d.key, cols.join(", "))
                }
                crate::event::RowDiffKind::MissingInTarget => {
                    format!("{} missing here (in the {side})", d.key)
                }
                crate::event::RowDiffKind::MissingInSource => {
                    format!("{} added (not in the {side})", d.key)
                }
            }
        })
        .collect();
    if !listed.is_empty() {
        detail.push_str(&format!(
            "; {} differing row(s){}: {}",
            c.differences.len(),
            if c.truncated { " and more" } else { "" },
            listed.join("; ")
        ));
    }
    if let Some(n) = &c.note {
        detail.push_str(&format!(" ({n})"));
    }
    Found {
        rows: c.differences.clone(),
        ..Found::fail(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn values_that_would_hide_a_difference_are_quoted() {
        assert_eq!(shown(Some("Edinburgh")), "Edinburgh");
        assert_eq!(shown(Some("Edinburgh ")), "\"Edinburgh \"");
        assert_eq!(shown(Some("")), "\"\"");
        assert_eq!(shown(None), "NULL");
        assert_eq!(shown(Some("NULL")), "\"NULL\"");
        assert_eq!(shown(Some("a\tb")), "\"a\\tb\"");
    }
}
