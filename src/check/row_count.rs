//! `row_count`: a table's rows against the checkpoint taken before the batch, against
//! the plan's `[source]`, or within bounds (`compare = { min = N, max = M }`).

use super::rows::count;
use super::{Check, Compare, Env, Found};

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let Some(name) = check.table() else {
        return Found::fail("row_count check needs table");
    };
    let compare = match check.compare() {
        Ok(c) => c,
        Err(e) => return Found::fail(e),
    };
    let (table, _) = match env.table(name).await {
        Ok(t) => t,
        Err(f) => return f,
    };
    let conn = &mut *env.ctx.target;
    let sql = format!("SELECT COUNT(*) FROM {}", conn.table(&table));
    let rows = match count(conn, &sql).await {
        Ok(n) => n,
        Err(e) => return Found::fail(format!("counting the rows of {table}: {}", e.message)),
    };
    match compare {
        Compare::Bounds { min, max } => bounds(&table, rows, min, max),
        Compare::Checkpoint => checkpoint(env, &table, rows),
        Compare::Source => source(env, &table, rows).await,
    }
}

fn bounds(table: &str, rows: u64, min: Option<u64>, max: Option<u64>) -> Found {
    let range = match (min, max) {
        (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "any number".to_string(),
    };
    let ok = min.is_none_or(|lo| rows >= lo) && max.is_none_or(|hi| rows <= hi);
    let detail = format!("{table} has {rows} row(s); expected {range}");
    if ok {
        Found::pass(detail)
    } else {
        Found::fail(detail)
    }
}

fn checkpoint(env: &Env<'_, '_>, table: &str, rows: u64) -> Found {
    let Some(cp) = env.ctx.checkpoint else {
        return Found::unjudged(format!(
            "{table} has {rows} row(s); not compared: no checkpoint was taken before this batch"
        ));
    };
    match cp
        .stats
        .iter()
        .find(|s| s.table.eq_ignore_ascii_case(table))
    {
        Some(s) if s.rows == rows => Found::pass(format!(
            "{table} has {rows} row(s), as at checkpoint {}",
            cp.label()
        )),
        Some(s) => Found::fail(format!(
            "{table} has {rows} row(s), {} at checkpoint {} ({:+})",
            s.rows,
            cp.label(),
            rows as i128 - s.rows as i128
        )),
        None => Found::fail(format!(
            "{table} has {rows} row(s); it did not exist at checkpoint {}",
            cp.label()
        )),
    }
}

async fn source(env: &mut Env<'_, '_>, table: &str, rows: u64) -> Found {
    let Some(src) = env.ctx.source.as_deref_mut() else {
        return Found::fail(format!(
            "{table} has {rows} row(s); not compared: the plan has no [source] (or it could not be reached)"
        ));
    };
    let sql = format!("SELECT COUNT(*) FROM {}", src.table(table));
    match count(src, &sql).await {
        Ok(n) if n == rows => Found::pass(format!("{table} has {rows} row(s), as in the source")),
        Ok(n) => Found::fail(format!(
            "{table} has {rows} row(s), {n} in the source ({:+})",
            rows as i128 - n as i128
        )),
        Err(e) => Found::fail(format!(
            "{table}: cannot count it in the source {}: {}",
            src.display, e.message
        )),
    }
}
