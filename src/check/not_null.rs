//! `not_null`: `table.column` (or each of `columns`) holds no NULL.

use super::rows::{as_text, count, key_columns, text_rows};
use super::{column, Check, Env, Found};
use crate::db::names::quote_ident;

/// How many example keys a finding lists.
const EXAMPLES: usize = 5;

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let spec = &check.spec;
    let Some(name) = spec.table.as_deref() else {
        return Found::fail("not_null check needs table");
    };
    let (table_name, table) = match env.table(name).await {
        Ok(t) => t,
        Err(f) => return f,
    };
    let wanted: Vec<&String> = spec.column.iter().chain(&spec.columns).collect();
    let mut cols = Vec::new();
    for c in wanted {
        match column(&table_name, &table, c) {
            Ok(c) => cols.push(c),
            Err(f) => return f,
        }
    }
    let conn = &mut *env.ctx.target;
    let d = conn.dialect;
    let qualified = conn.table(&table_name);
    let mut wrong = Vec::new();
    for c in &cols {
        let keys = key_columns(&table, std::slice::from_ref(c));
        let select: Vec<String> = keys
            .iter()
            .map(|k| {
                format!(
                    "{} AS {}",
                    as_text(d, &quote_ident(d, k)),
                    quote_ident(d, k)
                )
            })
            .collect();
        let filter = format!("{} IS NULL", quote_ident(d, c));
        let sql = format!(
            "SELECT {} FROM {qualified} WHERE {filter} LIMIT {EXAMPLES}",
            select.join(", ")
        );
        let examples = match text_rows(conn, &sql).await {
            Ok(r) => r,
            Err(e) => return Found::fail(format!("reading {table_name}.{c}: {}", e.message)),
        };
        if examples.rows.is_empty() {
            continue;
        }
        let n = match count(
            conn,
            &format!("SELECT COUNT(*) FROM {qualified} WHERE {filter}"),
        )
        .await
        {
            Ok(n) => n,
            Err(e) => {
                return Found::fail(format!("counting NULLs in {table_name}.{c}: {}", e.message))
            }
        };
        let listed: Vec<String> = (0..examples.rows.len())
            .map(|i| examples.describe(i))
            .collect();
        wrong.push(format!(
            "{n} row(s) of {table_name} have {c} NULL (e.g. {})",
            listed.join("; ")
        ));
    }
    if wrong.is_empty() {
        Found::pass(format!("no NULL in {table_name}.{}", cols.join(",")))
    } else {
        Found::fail(wrong.join("; "))
    }
}
