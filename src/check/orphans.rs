//! `orphans`: rows whose foreign key points at no row of the table it references. By
//! default one check per foreign key introspection finds; a plan may list its own
//! (`table` alone: every foreign key of that table; with `column`/`columns`: the one on
//! those columns), which also works where the database has no such constraint declared
//! only if it does (the referenced table comes from the constraint).
//!
//! One anti-join per key (`NOT EXISTS` against the referenced key, which is indexed as
//! a primary or unique key), reading a few example keys first: with no orphan, as is
//! usual, that is the only query; the count runs only when there is something to count.
//! A key with a NULL column references nothing and is no orphan (MATCH SIMPLE).

use super::rows::{as_text, count, key_columns, text_rows};
use super::{Check, Env, Found};
use crate::db::names::quote_ident;
use crate::db::schema::{ForeignKey, Table};
use crate::sql::Dialect;

const EXAMPLES: usize = 5;

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let spec = &check.spec;
    if check.enforced {
        return Found::pass(
            "enforced: the database checked every row the file wrote against this key",
        );
    }
    let schema = match env.schema().await {
        Ok(s) => s.clone(),
        Err(e) => return Found::fail(e),
    };
    // Which tables' keys: the one named, or all.
    let tables: Vec<(String, Table)> = match &spec.table {
        Some(t) => match super::lookup(&schema, t) {
            Some(found) => vec![found],
            None => return Found::fail(format!("table {t} does not exist")),
        },
        None => schema
            .tables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let wanted: Vec<String> = spec.column.iter().chain(&spec.columns).cloned().collect();
    let mut keys = Vec::new();
    for (name, table) in &tables {
        for fk in &table.foreign_keys {
            if wanted.is_empty() || same_columns(&fk.columns, &wanted) {
                keys.push((name.clone(), table.clone(), fk.clone()));
            }
        }
    }
    if keys.is_empty() {
        return match (&spec.table, wanted.is_empty()) {
            (Some(t), false) => Found::fail(format!(
                "{t} has no foreign key on {}: nothing says what it references",
                wanted.join(",")
            )),
            (Some(t), true) => Found::pass(format!("{t} has no foreign key")),
            (None, _) => Found::pass("no foreign key in the database"),
        };
    }
    let mut wrong = Vec::new();
    for (name, table, fk) in &keys {
        // SQLite lets a key reference a table a later file creates: until then every
        // row that references it is an orphan, and a table with none is fine.
        let parent = super::lookup(&schema, &fk.ref_table).map(|(_, t)| t);
        match orphans(env, name, table, fk, parent.as_ref()).await {
            Ok(None) => {}
            Ok(Some(w)) => wrong.push(w),
            Err(e) => wrong.push(e),
        }
    }
    if wrong.is_empty() {
        let what: Vec<String> = keys.iter().map(|(n, _, fk)| describe(n, fk)).collect();
        Found::pass(format!("no orphan: {}", what.join("; ")))
    } else {
        Found::fail(wrong.join("; "))
    }
}

/// SQLite: `(lo, hi)` when the referenced column is the parent's whole primary key
/// and holds every integer from `lo` to `hi` (as many integer rows as the span:
/// a key is unique, so none is missing), as ids usually are. A child key inside that
/// range then has its parent without a lookup: after a file that loads a table, the
/// orphan scan compares instead of searching the parent's B-tree for every row (on
/// the demo's 300,000 keys: about 100 ms down to a few). Other databases enforce their
/// keys and are not scanned at all (`Check::enforced`).
async fn dense_range(env: &mut Env<'_, '_>, parent: &Table, fk: &ForeignKey) -> Option<(i64, i64)> {
    let conn = &mut *env.ctx.target;
    let single_key = fk.columns.len() == 1
        && parent.primary_key.len() == 1
        && parent.primary_key[0].eq_ignore_ascii_case(&fk.ref_columns[0]);
    if conn.dialect != Dialect::Sqlite || !single_key {
        return None;
    }
    let k = quote_ident(Dialect::Sqlite, &fk.ref_columns[0]);
    let sql = format!(
        "SELECT COUNT(*), MIN({k}), MAX({k}), SUM(typeof({k}) = 'integer') FROM {}",
        conn.table(&fk.ref_table)
    );
    let rows = text_rows(conn, &sql).await.ok()?;
    let row = rows.rows.first()?;
    let num = |i: usize| -> Option<i64> { row.get(i)?.as_deref()?.trim().parse().ok() };
    let (n, lo, hi, ints) = (num(0)?, num(1)?, num(2)?, num(3)?);
    let span = i128::from(hi) - i128::from(lo) + 1;
    (n > 0 && n == ints && i128::from(n) == span).then_some((lo, hi))
}

fn same_columns(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

fn describe(table: &str, fk: &ForeignKey) -> String {
    format!(
        "{table}.{} -> {}.{}",
        fk.columns.join(","),
        fk.ref_table,
        fk.ref_columns.join(",")
    )
}

/// What is wrong with one key, if anything (Err: the query failed).
async fn orphans(
    env: &mut Env<'_, '_>,
    name: &str,
    table: &Table,
    fk: &ForeignKey,
    parent_table: Option<&Table>,
) -> Result<Option<String>, String> {
    let parent_exists = parent_table.is_some();
    let dense = match parent_table {
        Some(p) => dense_range(env, p, fk).await,
        None => None,
    };
    let conn = &mut *env.ctx.target;
    let d = conn.dialect;
    let q = |s: &str| quote_ident(d, s);
    let child = conn.table(name);
    let parent = conn.table(&fk.ref_table);
    let not_null: Vec<String> = fk
        .columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", q(c)))
        .collect();
    let join: Vec<String> = fk
        .columns
        .iter()
        .zip(&fk.ref_columns)
        .map(|(c, r)| format!("p.{} = c.{}", q(r), q(c)))
        .collect();
    // A key inside a dense parent range has its parent: only the others are looked up
    // (SQLite evaluates the terms in order and stops at the first false one).
    let inside = match dense {
        Some((lo, hi)) => {
            let c = format!("c.{}", q(&fk.columns[0]));
            format!("NOT (typeof({c}) = 'integer' AND {c} BETWEEN {lo} AND {hi}) AND ")
        }
        None => String::new(),
    };
    let filter = if parent_exists {
        format!(
            "{} AND {inside}NOT EXISTS (SELECT 1 FROM {parent} p WHERE {})",
            not_null.join(" AND "),
            join.join(" AND ")
        )
    } else {
        not_null.join(" AND ")
    };
    let keys = key_columns(table, &fk.columns);
    let select: Vec<String> = keys
        .iter()
        .chain(fk.columns.iter().filter(|c| !keys.contains(c)))
        .map(|k| format!("{} AS {}", as_text(d, &format!("c.{}", q(k))), q(k)))
        .collect();
    let what = if parent_exists {
        describe(name, fk)
    } else {
        format!(
            "{} ({} does not exist yet)",
            describe(name, fk),
            fk.ref_table
        )
    };
    let sql = format!(
        "SELECT {} FROM {child} c WHERE {filter} LIMIT {EXAMPLES}",
        select.join(", ")
    );
    let examples = text_rows(conn, &sql)
        .await
        .map_err(|e| format!("{what}: {}", e.message))?;
    if examples.rows.is_empty() {
        return Ok(None);
    }
    let n = count(
        conn,
        &format!("SELECT COUNT(*) FROM {child} c WHERE {filter}"),
    )
    .await
    .map_err(|e| format!("{what}: {}", e.message))?;
    let listed: Vec<String> = (0..examples.rows.len())
        .map(|i| examples.describe(i))
        .collect();
    Ok(Some(format!(
        "{n} orphan row(s) in {what} (e.g. {})",
        listed.join("; ")
    )))
}
