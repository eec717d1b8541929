//! Which tables a migration file may have changed rows or keys of: what the checks after
//! a file look at (`defaults_for`). Read from the statements' heads, conservatively: a
//! statement it cannot place counts as writing every table it names.
//!
//! - `CREATE INDEX`, `CREATE VIEW`, `CREATE TRIGGER`, `DROP INDEX`, `DROP VIEW`,
//!   `COMMENT`, `ANALYZE`, `GRANT`, `SET`, `PRAGMA`, transaction control: no rows change.
//! - `ALTER TABLE t ADD COLUMN` without `REFERENCES`: existing keys stay as they were.
//! - `UPDATE t SET ...`: `t`, but only when an assigned column is one of its foreign key
//!   columns or a column another table's key references (a backfill of a plain column
//!   cannot orphan anything).
//! - `INSERT`/`REPLACE INTO t ... SELECT`, `DELETE FROM t`, `CREATE TABLE t [AS ...]`:
//!   `t` (what they read keeps its rows); `TRUNCATE t`, `DROP TABLE t`, any other
//!   `ALTER TABLE t`, and whatever else: every table the statement names.

use crate::db::schema::Schema;
use crate::sql::Dialect;
use std::collections::BTreeSet;

/// The tables of `schema` whose rows or keys the file may have changed.
pub fn tables_written(sql: &str, dialect: Dialect, schema: &Schema) -> Vec<String> {
    let mut out = BTreeSet::new();
    for stmt in crate::sql::split(sql, dialect) {
        let text = without_comments(&stmt.sql);
        let words: Vec<String> = words(&text);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let named = || super::tables_named(&text, schema);
        match (w(0), w(1), w(2)) {
            ("create", "index" | "unique" | "view" | "trigger" | "or" | "materialized", _)
            | ("drop", "index" | "view" | "trigger", _)
            | (
                "comment" | "analyze" | "grant" | "revoke" | "set" | "pragma" | "begin" | "commit"
                | "rollback" | "start" | "savepoint" | "release" | "vacuum" | "reindex" | "select",
                _,
                _,
            ) => {}
            ("alter", "table", _) if w(3) == "add" && !words.iter().any(|x| x == "references") => {}
            // Only the table written into: what the statement reads keeps its rows.
            ("insert" | "replace", _, _) | ("delete", "from", _) | ("create", "table", _) => {
                let at = words
                    .iter()
                    .position(|x| x == "into" || x == "from" || x == "table")
                    .map(|i| match (w(i + 1), w(i + 2), w(i + 3)) {
                        ("if", "not", "exists") => i + 3,
                        _ => i,
                    });
                let table = at.map(|i| w(i + 1)).unwrap_or("");
                match super::lookup(schema, last_part(table)) {
                    Some((name, _)) => {
                        out.insert(name);
                    }
                    None => out.extend(named()),
                }
            }
            ("update", _, _) => {
                let table = if w(1) == "only" { w(2) } else { w(1) };
                if let Some((name, t)) = super::lookup(schema, last_part(table)) {
                    if assigns_a_key(&text, &name, &t, schema) {
                        out.insert(name);
                    }
                }
            }
            _ => out.extend(named()),
        }
    }
    out.into_iter().collect()
}

fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Lowercased words (identifiers and keywords; quotes and punctuation split them).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

fn without_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
            out.push('\n');
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
            out.push(' ');
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Whether `UPDATE table SET ...` assigns a column a foreign key uses: one of the
/// table's own key columns, or one another table's key references. Unsure: true.
fn assigns_a_key(
    text: &str,
    name: &str,
    table: &crate::db::schema::Table,
    schema: &Schema,
) -> bool {
    let mut keys: BTreeSet<String> = table
        .foreign_keys
        .iter()
        .flat_map(|fk| fk.columns.iter().map(|c| c.to_ascii_lowercase()))
        .collect();
    for t in schema.tables.values() {
        for fk in t
            .foreign_keys
            .iter()
            .filter(|fk| fk.ref_table.eq_ignore_ascii_case(name))
        {
            keys.extend(fk.ref_columns.iter().map(|c| c.to_ascii_lowercase()));
        }
    }
    if keys.is_empty() {
        return false;
    }
    match assigned(text) {
        Some(cols) => cols.iter().any(|c| keys.contains(c)),
        None => true,
    }
}

/// The columns a `SET` list assigns, at paren depth 0 up to `WHERE`/`FROM`/`RETURNING`;
/// None when it cannot tell (`SET (a, b) = ...`).
fn assigned(text: &str) -> Option<Vec<String>> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find(" set ").or_else(|| lower.find("\nset "))? + 5;
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut piece = String::new();
    let body = &lower[start..];
    let mut pieces = Vec::new();
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                pieces.push(std::mem::take(&mut piece));
                continue;
            }
            _ => {}
        }
        if depth == 0 && (c.is_whitespace() || i == 0) {
            let next = body[i..].trim_start();
            if ["where ", "from ", "returning ", "where\n", "from\n"]
                .iter()
                .any(|k| next.starts_with(k))
            {
                break;
            }
        }
        piece.push(c);
    }
    pieces.push(piece);
    for p in pieces {
        let (lhs, _) = p.split_once('=')?;
        let lhs = lhs.trim().trim_matches(['"', '`', '[', ']']);
        if lhs.starts_with('(') || lhs.is_empty() {
            return None;
        }
        out.push(last_part(lhs).trim_matches(['"', '`']).to_string());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::{ForeignKey, Table};

    fn shop() -> Schema {
        let mut s = Schema::default();
        for t in ["customers", "orders", "order_items", "order_statuses"] {
            s.tables.insert(t.into(), Table::default());
        }
        let fk = |c: &str, t: &str| ForeignKey {
            columns: vec![c.into()],
            ref_table: t.into(),
            ref_columns: vec!["id".into()],
            ..Default::default()
        };
        if let Some(t) = s.tables.get_mut("orders") {
            t.foreign_keys.push(fk("customer_id", "customers"));
        }
        if let Some(t) = s.tables.get_mut("order_items") {
            t.foreign_keys.push(fk("order_id", "orders"));
        }
        s
    }

    fn written(sql: &str) -> Vec<String> {
        tables_written(sql, Dialect::Sqlite, &shop())
    }

    #[test]
    fn ddl_that_moves_no_row_writes_nothing() {
        assert!(written("CREATE INDEX i ON orders (customer_id);").is_empty());
        assert!(written("-- note\nALTER TABLE customers ADD COLUMN phone TEXT;").is_empty());
        assert!(written(
            "CREATE VIEW v AS SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id;"
        )
        .is_empty());
    }

    #[test]
    fn updates_count_only_when_they_assign_a_key() {
        let backfill = "UPDATE orders SET total_cents = (SELECT SUM(i.q) FROM order_items i WHERE i.order_id = orders.id);";
        assert!(written(backfill).is_empty());
        assert_eq!(
            written("UPDATE orders SET status = 'x', customer_id = 3 WHERE id = 1;"),
            ["orders"]
        );
        assert_eq!(written("UPDATE customers SET id = id + 1;"), ["customers"]);
        assert!(written("UPDATE customers SET name = 'x' WHERE id = 1;").is_empty());
    }

    #[test]
    fn writes_count_their_table_and_unknown_statements_all_they_name() {
        assert_eq!(
            written("DELETE FROM customers WHERE id = 1;"),
            ["customers"]
        );
        assert_eq!(
            written("INSERT INTO order_items (id) SELECT id FROM orders;"),
            ["order_items"]
        );
        assert_eq!(
            written("CREATE TABLE IF NOT EXISTS order_statuses (orders INTEGER);"),
            ["order_statuses"]
        );
        assert_eq!(
            written("MERGE INTO orders USING customers ON 1 = 1;"),
            ["customers", "orders"]
        );
        assert_eq!(
            written("CREATE TABLE order_statuses (code TEXT);"),
            ["order_statuses"]
        );
    }
}
