//! Down scripts written in the SQLite/PostgreSQL form, run on MySQL/MariaDB.
//!
//! `DROP INDEX name` has no portable form: MySQL wants the table (`DROP INDEX name ON
//! t`). cutover sends such a statement as `ALTER TABLE t DROP INDEX name`, finding the
//! table from the index. And when a foreign key uses that index, MySQL refuses to drop
//! it (error 1553): it had silently dropped the foreign key's own index when this one
//! was created. Undoing the index then means giving the foreign key its own index back,
//! in the same statement, under the name MySQL gave it (the constraint's name, or for an
//! unnamed constraint `<table>_ibfk_N` its first column's). The rollback's verification
//! against the checkpoint says whether the result is the schema from before.
//!
//! This keeps one set of down scripts working on all three backends (the demo's do);
//! a statement that already names its table is sent as written. Every rewrite is said
//! in the log.

use crate::db::names::quote_ident;
use crate::db::Conn;
use crate::sql::{Dialect, Statement};

/// The statements with each bare `DROP INDEX name` made MySQL's.
pub(crate) async fn adapt(conn: &mut Conn, stmts: Vec<Statement>) -> Vec<Statement> {
    let mut out = Vec::with_capacity(stmts.len());
    for s in stmts {
        match bare_drop_index(&s.sql) {
            Some(index) => {
                let sql = rewrite(conn, &index).await.unwrap_or_else(|| s.sql.clone());
                out.push(Statement { sql, line: s.line });
            }
            None => out.push(s),
        }
    }
    out
}

/// The index a `DROP INDEX [IF EXISTS] name` without `ON` drops.
fn bare_drop_index(sql: &str) -> Option<String> {
    let words: Vec<&str> = sql
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .collect();
    let rest = match words.as_slice() {
        [d, i, rest @ ..] if d.eq_ignore_ascii_case("drop") && i.eq_ignore_ascii_case("index") => {
            rest
        }
        _ => return None,
    };
    let name = match rest {
        [name] => name,
        [a, b, name] if a.eq_ignore_ascii_case("if") && b.eq_ignore_ascii_case("exists") => name,
        _ => return None,
    };
    let name = name.trim_matches(|c| c == '`' || c == '"');
    (!name.is_empty() && !name.contains('.')).then(|| name.to_string())
}

async fn strings(conn: &mut Conn, sql: &str) -> Vec<String> {
    conn.column_strings(sql).await.unwrap_or_default()
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// `ALTER TABLE t DROP INDEX name`, giving a foreign key that needs the index its own
/// back first. None when the index is not found (the statement then fails as written,
/// with the database's own message).
async fn rewrite(conn: &mut Conn, index: &str) -> Option<String> {
    let q = |n: &str| quote_ident(Dialect::Mysql, n);
    let table = strings(
        conn,
        &format!(
            "SELECT CAST(table_name AS CHAR) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND index_name = {} LIMIT 1",
            lit(index)
        ),
    )
    .await
    .into_iter()
    .next()?;
    let cols = strings(
        conn,
        &format!(
            "SELECT CAST(column_name AS CHAR) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = {} AND index_name = {} ORDER BY seq_in_index",
            lit(&table),
            lit(index)
        ),
    )
    .await;
    let mut sql = format!("ALTER TABLE {} ", q(&table));
    if let Some((name, fk_cols)) = needing_fk(conn, &table, index, &cols).await {
        let list: Vec<String> = fk_cols.iter().map(|c| q(c)).collect();
        sql.push_str(&format!("ADD INDEX {} ({}), ", q(&name), list.join(", ")));
    }
    sql.push_str(&format!("DROP INDEX {}", q(index)));
    tracing::info!("MySQL form of DROP INDEX {index}: {sql}");
    Some(sql)
}

/// A foreign key of `table` whose columns lead `index` and that no other index serves:
/// the name MySQL gives its own index, and its columns.
async fn needing_fk(
    conn: &mut Conn,
    table: &str,
    index: &str,
    index_cols: &[String],
) -> Option<(String, Vec<String>)> {
    let fks = strings(
        conn,
        &format!(
            "SELECT CONCAT(CAST(constraint_name AS CHAR), ' ', CAST(column_name AS CHAR)) \
             FROM information_schema.key_column_usage WHERE table_schema = DATABASE() \
             AND table_name = {} AND referenced_table_name IS NOT NULL \
             ORDER BY constraint_name, ordinal_position",
            lit(table)
        ),
    )
    .await;
    let mut by_fk: Vec<(String, Vec<String>)> = Vec::new();
    for row in fks {
        let Some((name, col)) = row.split_once(' ') else {
            continue;
        };
        match by_fk.last_mut() {
            Some((n, cols)) if n == name => cols.push(col.to_string()),
            _ => by_fk.push((name.to_string(), vec![col.to_string()])),
        }
    }
    let others = strings(
        conn,
        &format!(
            "SELECT CONCAT(CAST(index_name AS CHAR), ' ', CAST(column_name AS CHAR)) \
             FROM information_schema.statistics WHERE table_schema = DATABASE() \
             AND table_name = {} AND index_name <> {} ORDER BY index_name, seq_in_index",
            lit(table),
            lit(index)
        ),
    )
    .await;
    let mut other_idx: Vec<(String, Vec<String>)> = Vec::new();
    for row in others {
        let Some((name, col)) = row.split_once(' ') else {
            continue;
        };
        match other_idx.last_mut() {
            Some((n, cols)) if n == name => cols.push(col.to_string()),
            _ => other_idx.push((name.to_string(), vec![col.to_string()])),
        }
    }
    let leads = |cols: &[String], fk: &[String]| cols.len() >= fk.len() && cols[..fk.len()] == *fk;
    by_fk.into_iter().find_map(|(name, fk_cols)| {
        let needs =
            leads(index_cols, &fk_cols) && !other_idx.iter().any(|(_, c)| leads(c, &fk_cols));
        needs.then(|| {
            let auto = format!("{table}_ibfk_");
            let idx_name = match name.strip_prefix(&auto) {
                Some(n) if n.chars().all(|c| c.is_ascii_digit()) => fk_cols[0].clone(),
                _ => name,
            };
            (idx_name, fk_cols)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::bare_drop_index;

    #[test]
    fn bare_drop_index_is_recognised_and_one_with_a_table_is_not() {
        assert_eq!(
            bare_drop_index("DROP INDEX idx_a;").as_deref(),
            Some("idx_a")
        );
        assert_eq!(
            bare_drop_index("drop index if exists `idx_b`").as_deref(),
            Some("idx_b")
        );
        assert_eq!(bare_drop_index("DROP INDEX idx_a ON t;"), None);
        assert_eq!(bare_drop_index("DROP INDEX s.idx_a;"), None);
        assert_eq!(bare_drop_index("DROP TABLE t;"), None);
    }
}
