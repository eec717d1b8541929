//! The query plan kept with a benchmark: each backend's EXPLAIN as it prints it, the
//! tables it reads whole (SQLite `SCAN t` without an index, PostgreSQL `Seq Scan on t`,
//! MySQL/MariaDB `type = ALL`), and for such a scan filtered on a column no index leads
//! with, the index that would serve it (`where_sql` reads the filter from the query).

use super::where_sql::{self, Filter};
use crate::db::{failure, schema, with_conn, Conn, SqlFailure};
use crate::sql::Dialect;

/// What EXPLAIN said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Explained {
    /// The plan as the backend printed it, one line per step.
    pub plan: String,
    /// The tables (or their aliases, as the plan names them) read whole.
    pub scans: Vec<String>,
}

/// EXPLAIN of `sql` on `conn`.
pub async fn explain(conn: &mut Conn, sql: &str) -> Result<Explained, SqlFailure> {
    match conn.dialect {
        Dialect::Sqlite => sqlite(conn, sql).await,
        Dialect::Postgres => postgres(conn, sql).await,
        Dialect::Mysql => mysql(conn, sql).await,
    }
}

/// `EXPLAIN QUERY PLAN`: rows of (id, parent, notused, detail), drawn as a tree.
async fn sqlite(conn: &mut Conn, sql: &str) -> Result<Explained, SqlFailure> {
    let q = format!("EXPLAIN QUERY PLAN {sql}");
    let rows: Result<Vec<(i64, i64, String)>, sqlx::Error> = with_conn!(conn, c => {
        sqlx::query_as::<_, (i64, i64, i64, String)>(&q)
            .fetch_all(&mut *c)
            .await
            .map(|v| v.into_iter().map(|(id, parent, _, d)| (id, parent, d)).collect())
    });
    let rows = rows.map_err(|e| failure(&e))?;
    let mut depth: std::collections::HashMap<i64, usize> = Default::default();
    let mut lines = Vec::new();
    let mut scans = Vec::new();
    for (id, parent, detail) in rows {
        let d = depth.get(&parent).map_or(0, |d| d + 1);
        depth.insert(id, d);
        lines.push(format!("{}{detail}", "  ".repeat(d)));
        if let Some(t) = sqlite_full_scan(&detail) {
            scans.push(t);
        }
    }
    Ok(Explained {
        plan: lines.join("\n"),
        scans,
    })
}

/// `SCAN orders` (or `SCAN TABLE orders AS o` on older SQLite) with no index: the
/// table. `SCAN ... USING [COVERING] INDEX`, subqueries and constant rows are not.
fn sqlite_full_scan(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("SCAN ")?;
    if rest.contains(" USING ") || rest.starts_with('(') || rest.starts_with("CONSTANT") {
        return None;
    }
    let rest = rest.strip_prefix("TABLE ").unwrap_or(rest);
    let mut words = rest.split_whitespace();
    let table = words.next()?;
    // `SCAN TABLE orders AS o`: the alias is what the query's columns name.
    let name = match (words.next(), words.next()) {
        (Some("AS"), Some(alias)) => alias,
        _ => table,
    };
    Some(name.trim_matches('"').to_string())
}

/// `EXPLAIN` in text: one line per plan node.
async fn postgres(conn: &mut Conn, sql: &str) -> Result<Explained, SqlFailure> {
    let lines = conn.column_strings(&format!("EXPLAIN {sql}")).await?;
    let scans = lines.iter().filter_map(|l| pg_full_scan(l)).collect();
    Ok(Explained {
        plan: lines.join("\n"),
        scans,
    })
}

/// `Seq Scan on orders o  (cost=...)` (also `Parallel Seq Scan`): the alias, else the
/// table (schema-qualified names lose their schema).
fn pg_full_scan(line: &str) -> Option<String> {
    let at = line.find("Seq Scan on ")?;
    let rest = &line[at + "Seq Scan on ".len()..];
    let rest = rest.split("  (").next().unwrap_or(rest);
    let mut words = rest.split_whitespace();
    let table = words.next()?;
    let name = words.next().unwrap_or(table);
    let name = name.rsplit('.').next().unwrap_or(name);
    Some(name.trim_matches('"').to_string())
}

/// `EXPLAIN` as a table (id, select_type, table, type, possible_keys, key, ..., Extra),
/// read through the text protocol so every column comes as text.
async fn mysql(conn: &mut Conn, sql: &str) -> Result<Explained, SqlFailure> {
    let q = format!("EXPLAIN {sql}");
    let rows: Result<Vec<Vec<(String, String)>>, sqlx::Error> = with_conn!(conn, c => {
        sqlx::Executor::fetch_all(&mut *c, q.as_str()).await.map(|rows| {
            rows.iter()
                .map(|r| {
                    use sqlx::{Column, Row};
                    r.columns()
                        .iter()
                        .enumerate()
                        .map(|(i, col)| {
                            let v: Option<String> = r.try_get_unchecked(i).ok().flatten();
                            (col.name().to_string(), v.unwrap_or_else(|| "NULL".into()))
                        })
                        .collect()
                })
                .collect()
        })
    });
    let rows = rows.map_err(|e| failure(&e))?;
    let mut lines = Vec::new();
    let mut scans = Vec::new();
    for row in rows {
        let get = |k: &str| {
            row.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        let table = get("table").to_string();
        if get("type").eq_ignore_ascii_case("ALL") && !table.starts_with('<') {
            scans.push(table.clone());
        }
        lines.push(format!(
            "{} {}: type={} key={} rows={} {}",
            get("select_type"),
            table,
            get("type"),
            get("key"),
            get("rows"),
            get("Extra")
        ));
    }
    Ok(Explained {
        plan: lines.join("\n"),
        scans,
    })
}

/// For the first full scan filtered on columns no index leads with: the index that
/// would serve it (equality columns first, then one range column). None when the scan
/// has no filter, or its filter's columns are indexed already (the planner chose the
/// scan for another reason: a tiny table, a filter matching most rows).
pub async fn suggest(conn: &mut Conn, sql: &str, scans: &[String]) -> Option<String> {
    if scans.is_empty() {
        return None;
    }
    let parsed = where_sql::parse(sql);
    if parsed.filters.is_empty() {
        return None;
    }
    let schema = schema::introspect(conn, &[]).await.ok()?;
    for scanned in scans {
        let table_name = parsed.table_of(scanned);
        let Some((name, table)) = schema
            .tables
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&table_name))
        else {
            continue;
        };
        let cols = unindexed_filter_columns(&parsed.filters, scanned, &parsed, table);
        if !cols.is_empty() {
            return Some(create_index(conn.dialect, name, &cols));
        }
    }
    None
}

/// The filter's columns on this table (qualified by its name or alias, or unqualified
/// and one of its columns) that no index, primary key or unique constraint leads with.
fn unindexed_filter_columns(
    filters: &[Filter],
    scanned: &str,
    parsed: &where_sql::Parsed,
    table: &schema::Table,
) -> Vec<String> {
    let leads = |col: &str| {
        let first = |cols: &[String]| cols.first().is_some_and(|c| c.eq_ignore_ascii_case(col));
        first(&table.primary_key)
            || table.uniques.iter().any(|u| first(u))
            || table.indexes.values().any(|i| first(&i.columns))
    };
    let table_name = parsed.table_of(scanned);
    let ours = |f: &Filter| match &f.qualifier {
        Some(q) => {
            q.eq_ignore_ascii_case(scanned) || parsed.table_of(q).eq_ignore_ascii_case(&table_name)
        }
        None => true,
    };
    let mut eq = Vec::new();
    let mut range = Vec::new();
    for f in filters.iter().filter(|f| ours(f)) {
        let Some(col) = table
            .columns
            .keys()
            .find(|c| c.eq_ignore_ascii_case(&f.column))
        else {
            continue;
        };
        if leads(col) || eq.contains(col) || range.contains(col) {
            continue;
        }
        if f.equality {
            eq.push(col.clone());
        } else {
            range.push(col.clone());
        }
    }
    eq.truncate(3);
    eq.extend(range.into_iter().take(1));
    eq
}

/// A named index (SQLite and MySQL need a name; PostgreSQL takes one too).
fn create_index(dialect: Dialect, table: &str, cols: &[String]) -> String {
    let q = |s: &str| crate::db::names::quote_ident(dialect, s);
    let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let show = |s: &str| if plain(s) { s.to_string() } else { q(s) };
    let name = format!("idx_{}_{}", table, cols.join("_"))
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>();
    let list: Vec<String> = cols.iter().map(|c| show(c)).collect();
    format!(
        "CREATE INDEX {name} ON {} ({})",
        show(table),
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_scans() {
        assert_eq!(sqlite_full_scan("SCAN orders"), Some("orders".into()));
        assert_eq!(sqlite_full_scan("SCAN TABLE orders AS o"), Some("o".into()));
        assert_eq!(sqlite_full_scan("SCAN orders USING COVERING INDEX i"), None);
        assert_eq!(
            sqlite_full_scan("SEARCH orders USING INDEX i (customer_id=?)"),
            None
        );
        assert_eq!(sqlite_full_scan("SCAN CONSTANT ROW"), None);
    }

    #[test]
    fn pg_scans() {
        let l = "  ->  Parallel Seq Scan on orders o  (cost=0.00..1.00 rows=1 width=4)";
        assert_eq!(pg_full_scan(l), Some("o".into()));
        let l = "Seq Scan on public.customers  (cost=0.00..1.00 rows=1 width=4)";
        assert_eq!(pg_full_scan(l), Some("customers".into()));
        assert_eq!(pg_full_scan("Index Scan using i on orders"), None);
    }

    #[test]
    fn index_statement() {
        let cols = vec!["customer_id".to_string()];
        assert_eq!(
            create_index(Dialect::Postgres, "orders", &cols),
            "CREATE INDEX idx_orders_customer_id ON orders (customer_id)"
        );
    }
}
