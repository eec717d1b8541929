//! `schema`: tables, columns and indexes present, and what `absent` names gone.
//!
//! `tables = [...]` must exist; `columns = [...]` and `indexes = [...]` belong to `table`
//! (or are written `table.column`); `absent = [...]` names tables, indexes, or columns
//! as `table.column`, none of which may exist.

use super::{lookup, Check, Env, Found};
use crate::db::schema::Schema;

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let spec = &check.spec;
    let schema = match env.schema().await {
        Ok(s) => s,
        Err(e) => return Found::fail(e),
    };
    let mut wrong = Vec::new();
    let mut looked = 0;
    for t in &spec.tables {
        looked += 1;
        if lookup(schema, t).is_none() {
            wrong.push(format!("table {t} does not exist"));
        }
    }
    for c in &spec.columns {
        looked += 1;
        match split(spec.table.as_deref(), c) {
            Some((t, col)) if has_column(schema, t, col) => {}
            Some((t, col)) if lookup(schema, t).is_none() => wrong.push(format!(
                "table {t} does not exist (looking for column {col})"
            )),
            Some((t, col)) => wrong.push(format!("column {t}.{col} does not exist")),
            None => wrong.push(format!(
                "column {c} names no table: write it table.column, or set table"
            )),
        }
    }
    for i in &spec.indexes {
        looked += 1;
        if !has_index(schema, spec.table.as_deref(), i) {
            match spec.table.as_deref() {
                Some(t) if lookup(schema, t).is_none() => {
                    wrong.push(format!("table {t} does not exist (looking for index {i})"))
                }
                Some(t) => wrong.push(format!("index {i} on {t} does not exist")),
                None => wrong.push(format!("index {i} does not exist")),
            }
        }
    }
    for a in &spec.absent {
        looked += 1;
        if let Some(what) = present(schema, spec.table.as_deref(), a) {
            wrong.push(format!("{what} still exists"));
        }
    }
    if wrong.is_empty() {
        Found::pass(format!("{looked} schema item(s) as expected"))
    } else {
        Found::fail(wrong.join("; "))
    }
}

/// `table.column`, or `column` of `default_table`.
fn split<'s>(default_table: Option<&'s str>, c: &'s str) -> Option<(&'s str, &'s str)> {
    match c.split_once('.') {
        Some((t, col)) => Some((t, col)),
        None => default_table.map(|t| (t, c)),
    }
}

fn has_column(schema: &Schema, table: &str, col: &str) -> bool {
    lookup(schema, table)
        .is_some_and(|(_, t)| t.columns.keys().any(|k| k.eq_ignore_ascii_case(col)))
}

fn has_index(schema: &Schema, table: Option<&str>, index: &str) -> bool {
    let on = |t: &crate::db::schema::Table| t.indexes.keys().any(|k| k.eq_ignore_ascii_case(index));
    match table {
        Some(t) => lookup(schema, t).is_some_and(|(_, t)| on(&t)),
        None => schema.tables.values().any(on),
    }
}

/// What of `name` exists: `column t.c`, `table t`, `index i`, or `view v`; None when gone.
fn present(schema: &Schema, table: Option<&str>, name: &str) -> Option<String> {
    if let Some((t, c)) = name.split_once('.') {
        return has_column(schema, t, c).then(|| format!("column {t}.{c}"));
    }
    if lookup(schema, name).is_some() {
        return Some(format!("table {name}"));
    }
    if schema.views.keys().any(|v| v.eq_ignore_ascii_case(name)) {
        return Some(format!("view {name}"));
    }
    if has_index(schema, None, name) {
        return Some(format!("index {name}"));
    }
    match table {
        Some(t) if has_column(schema, t, name) => Some(format!("column {t}.{name}")),
        _ => None,
    }
}
