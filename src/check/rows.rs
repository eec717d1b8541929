//! Rows of any shape as text: what a `sql` check's violations, an orphaned row's key or
//! a NULL's row look like in a finding.
//!
//! Queries go as text (no binds): PostgreSQL's simple protocol and MySQL's text protocol
//! then send every value as text, so types this build cannot decode (NUMERIC, DECIMAL,
//! intervals) still show as the server prints them. SQLite's values are read by type.

use crate::db::{failure, with_conn, Conn, SqlFailure};
use crate::sql::Dialect;

/// Column names and rows, each value as text (None: NULL).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TextRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl TextRows {
    /// Row `i` as `col=value, col=value`.
    pub fn describe(&self, i: usize) -> String {
        self.rows[i]
            .iter()
            .zip(&self.columns)
            .map(|(v, c)| format!("{c}={}", v.as_deref().unwrap_or("NULL")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads one value as text whatever its type, for any backend's row.
macro_rules! text_of {
    ($row:expr, $i:expr) => {{
        use ::sqlx::Row as _;
        let r = &$row;
        let i = $i;
        if let Ok(v) = r.try_get::<Option<String>, _>(i) {
            v
        } else if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
            v.map(|x| x.to_string())
        } else if let Ok(v) = r.try_get::<Option<i32>, _>(i) {
            v.map(|x| x.to_string())
        } else if let Ok(v) = r.try_get::<Option<i16>, _>(i) {
            v.map(|x| x.to_string())
        } else if let Ok(v) = r.try_get::<Option<f64>, _>(i) {
            v.map(|x| x.to_string())
        } else if let Ok(v) = r.try_get::<Option<f32>, _>(i) {
            v.map(|x| x.to_string())
        } else if let Ok(v) = r.try_get::<Option<bool>, _>(i) {
            v.map(|x| x.to_string())
        } else if let Ok(v) = r.try_get::<Option<Vec<u8>>, _>(i) {
            v.map(|x| format!("x'{}'", hex::encode(x)))
        } else if let Ok(v) = r.try_get_unchecked::<Option<String>, _>(i) {
            v
        } else {
            Some("?".to_string())
        }
    }};
}

/// Every row of `sql` (sent as text), each value as text.
pub(crate) async fn text_rows(conn: &mut Conn, sql: &str) -> Result<TextRows, SqlFailure> {
    let res: Result<TextRows, sqlx::Error> = with_conn!(conn, c => {
        sqlx::Executor::fetch_all(&mut *c, sql).await.map(|rows| {
            use ::sqlx::{Column as _, Row as _};
            let columns = rows
                .first()
                .map(|r| r.columns().iter().map(|c| c.name().to_string()).collect())
                .unwrap_or_default();
            let rows = rows
                .iter()
                .map(|r| (0..r.len()).map(|i| text_of!(r, i)).collect())
                .collect();
            TextRows { columns, rows }
        })
    });
    res.map_err(|e| failure(&e))
}

/// `sql` with at most `n` rows: wrapped as a subquery (the query's own `;` dropped).
pub(crate) fn limited(sql: &str, n: usize) -> String {
    format!("SELECT * FROM ({}) cutover_q LIMIT {n}", trimmed(sql))
}

/// `SELECT COUNT(*)` over `sql`.
pub(crate) fn counted(sql: &str) -> String {
    format!("SELECT COUNT(*) FROM ({}) cutover_q", trimmed(sql))
}

fn trimmed(sql: &str) -> &str {
    sql.trim().trim_end_matches(';').trim_end()
}

/// A count query's answer.
pub(crate) async fn count(conn: &mut Conn, sql: &str) -> Result<u64, SqlFailure> {
    let rows = text_rows(conn, sql).await?;
    let v = rows
        .rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .unwrap_or_default();
    v.trim().parse::<u64>().map_err(|_| SqlFailure {
        message: format!("expected a count, got {v:?}"),
        position: None,
    })
}

/// `expr` cast to text in this dialect, so any key reads back as a string.
pub(crate) fn as_text(dialect: Dialect, expr: &str) -> String {
    match dialect {
        Dialect::Mysql => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// The column list of a key (the primary key when the table has one, else `fallback`),
/// qualified by `alias`, for examples in findings.
pub(crate) fn key_columns(table: &crate::db::schema::Table, fallback: &[String]) -> Vec<String> {
    if table.primary_key.is_empty() {
        fallback.to_vec()
    } else {
        table.primary_key.clone()
    }
}
