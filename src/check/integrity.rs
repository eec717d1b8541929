//! `integrity`: what the database itself says of its consistency, where that is cheap.
//! - SQLite: `PRAGMA integrity_check` (`quick_check` after a file: it skips the index
//!   content checks, which is most of the cost) and `PRAGMA foreign_key_check` (left
//!   out after a file, where the default orphan checks cover every key already).
//! - PostgreSQL: indexes left invalid (a failed `CREATE INDEX CONCURRENTLY`) and
//!   constraints still `NOT VALID` in the target's schema: both mean rows may break
//!   what the schema claims.
//! - MySQL/MariaDB: `CHECK TABLE ... QUICK` over every table (no row scan for InnoDB
//!   beyond the quick pass).
//!
//! With `tables = [...]` only those tables are checked (SQLite `quick_check(TABLE)`,
//! MySQL `CHECK TABLE` of those): what runs after a file, on the tables it names.

use super::rows::text_rows;
use super::{Check, Env, Found};
use crate::db::names::quote_ident;
use crate::sql::Dialect;

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let quick = env.ctx.file.is_some();
    let dialect = env.ctx.target.dialect;
    let result = match dialect {
        Dialect::Sqlite => sqlite(env, quick, &check.spec.tables).await,
        Dialect::Postgres => postgres(env).await,
        Dialect::Mysql => mysql(env, &check.spec.tables).await,
    };
    match result {
        Ok(wrong) if wrong.is_empty() => Found::pass(match dialect {
            Dialect::Sqlite if quick => "PRAGMA quick_check: ok",
            Dialect::Sqlite => "PRAGMA integrity_check and foreign_key_check: ok",
            Dialect::Postgres => "no invalid index, no NOT VALID constraint",
            Dialect::Mysql => "CHECK TABLE ... QUICK: every table OK",
        }),
        Ok(wrong) => Found::fail(wrong.join("; ")),
        Err(e) => Found::fail(e),
    }
}

async fn sqlite(
    env: &mut Env<'_, '_>,
    quick: bool,
    tables: &[String],
) -> Result<Vec<String>, String> {
    let conn = &mut *env.ctx.target;
    let pragma = if quick {
        "PRAGMA quick_check"
    } else {
        "PRAGMA integrity_check"
    };
    let statements: Vec<String> = if tables.is_empty() {
        vec![pragma.to_string()]
    } else {
        tables
            .iter()
            .map(|t| format!("{pragma}({})", quote_ident(Dialect::Sqlite, t)))
            .collect()
    };
    let mut wrong = Vec::new();
    for sql in &statements {
        let said = text_rows(conn, sql)
            .await
            .map_err(|e| format!("{sql}: {}", e.message))?;
        wrong.extend(
            said.rows
                .iter()
                .filter_map(|r| r.first().cloned().flatten())
                .filter(|l| l != "ok")
                .take(10)
                .map(|l| format!("{sql}: {l}")),
        );
    }
    if !quick {
        let fk = text_rows(conn, "PRAGMA foreign_key_check")
            .await
            .map_err(|e| format!("PRAGMA foreign_key_check: {}", e.message))?;
        if !fk.rows.is_empty() {
            // Rows: table, rowid, referenced table, key id.
            let first: Vec<String> = fk
                .rows
                .iter()
                .take(5)
                .map(|r| {
                    let v = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                    format!("{} rowid {} -> {}", v(0), v(1), v(2))
                })
                .collect();
            wrong.push(format!(
                "PRAGMA foreign_key_check: {} violation(s) (e.g. {})",
                fk.rows.len(),
                first.join("; ")
            ));
        }
    }
    Ok(wrong)
}

async fn postgres(env: &mut Env<'_, '_>) -> Result<Vec<String>, String> {
    let conn = &mut *env.ctx.target;
    let schema = conn.schema().unwrap_or("public").replace('\'', "''");
    let invalid = format!(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND n.nspname = '{schema}' ORDER BY 1"
    );
    let not_valid = format!(
        "SELECT t.relname || '.' || k.conname FROM pg_constraint k \
         JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE NOT k.convalidated AND n.nspname = '{schema}' ORDER BY 1"
    );
    let mut wrong = Vec::new();
    let names = |r: super::rows::TextRows| -> Vec<String> {
        r.rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect()
    };
    let bad = text_rows(conn, &invalid)
        .await
        .map_err(|e| format!("reading pg_index: {}", e.message))?;
    let bad = names(bad);
    if !bad.is_empty() {
        wrong.push(format!(
            "invalid index(es) (a failed CREATE INDEX CONCURRENTLY?): {}; drop and create them again",
            bad.join(", ")
        ));
    }
    let nv = text_rows(conn, &not_valid)
        .await
        .map_err(|e| format!("reading pg_constraint: {}", e.message))?;
    let nv = names(nv);
    if !nv.is_empty() {
        wrong.push(format!(
            "constraint(s) NOT VALID (existing rows unchecked): {}; run ALTER TABLE ... VALIDATE CONSTRAINT",
            nv.join(", ")
        ));
    }
    Ok(wrong)
}

async fn mysql(env: &mut Env<'_, '_>, only: &[String]) -> Result<Vec<String>, String> {
    let tables: Vec<String> = env
        .schema()
        .await?
        .tables
        .keys()
        .filter(|t| only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(t)))
        .cloned()
        .collect();
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let conn = &mut *env.ctx.target;
    let list: Vec<String> = tables.iter().map(|t| conn.table(t)).collect();
    let sql = format!("CHECK TABLE {} QUICK", list.join(", "));
    let said = text_rows(conn, &sql)
        .await
        .map_err(|e| format!("CHECK TABLE: {}", e.message))?;
    // Rows: Table, Op, Msg_type, Msg_text; the last word on a table is its status.
    Ok(said
        .rows
        .iter()
        .filter_map(|r| {
            let v = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            let (kind, text) = (v(2).to_ascii_lowercase(), v(3));
            let bad = kind == "error" || (kind == "status" && !text.eq_ignore_ascii_case("ok"));
            bad.then(|| format!("{}: {text}", v(0)))
        })
        .take(10)
        .collect())
}
