//! The query layer for cutover's own bookkeeping and the adopted tools' histories:
//! statements with binds that run the same on every backend (`?` placeholders, turned
//! into `$n` on PostgreSQL), rows read whatever integer type a backend reports, and
//! every failure wrapped as a `DbError` saying what was being done.
//!
//! Statements from migration files do not come through here: they go as text through
//! `Conn::execute` (see the module comment of `db`).

use super::{mysql, postgres, sqlite, with_conn, Conn, DbError, SqlFailure};
use crate::sql::Dialect;

impl Conn {
    /// Wraps a failed bookkeeping statement sent as text with what was being done.
    pub(crate) fn failed(&self, context: &str, f: SqlFailure) -> DbError {
        DbError::Query {
            target: self.display.clone(),
            context: context.to_string(),
            message: f.message,
        }
    }

    /// Wraps an error from a bookkeeping query (ledger, lock) with what was being done.
    pub(crate) fn query_error(&self, context: &str, e: sqlx::Error) -> DbError {
        DbError::Query {
            target: self.display.clone(),
            context: context.to_string(),
            message: super::failure(&e).message,
        }
    }

    /// `?` placeholders for SQLite/MySQL become `$1, $2, ...` for PostgreSQL.
    pub(crate) fn placeholders(&self, sql: &str) -> String {
        if self.dialect != Dialect::Postgres {
            return sql.to_string();
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    }
}

/// A bind value for `run`/`strings`/`int`, the same on every backend.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    I64(i64),
    I32(i32),
    OptI32(Option<i32>),
    Str(&'a str),
    OptStr(Option<&'a str>),
    Bytes(&'a [u8]),
    Bool(bool),
}

/// Binds `vals` in order onto a `query` or `query_scalar` (both have `.bind`); a macro
/// because each backend arm of `with_conn!` binds for its own database type.
macro_rules! bind {
    ($q:expr, $vals:expr) => {{
        let mut q = $q;
        for v in $vals {
            use $crate::db::query::Val;
            q = match *v {
                Val::I64(x) => q.bind(x),
                Val::I32(x) => q.bind(x),
                Val::OptI32(x) => q.bind(x),
                Val::Str(x) => q.bind(x),
                Val::OptStr(x) => q.bind(x),
                Val::Bytes(x) => q.bind(x),
                Val::Bool(x) => q.bind(x),
            };
        }
        q
    }};
}
pub(crate) use bind;

/// Reads an integer column whatever integer (or boolean) type the backend reports.
macro_rules! get_int {
    ($row:expr, $i:expr) => {{
        use ::sqlx::Row as _;
        let r = &$row;
        r.try_get::<Option<i64>, _>($i)
            .or_else(|_| r.try_get::<Option<i32>, _>($i).map(|v| v.map(i64::from)))
            .or_else(|_| r.try_get::<Option<i16>, _>($i).map(|v| v.map(i64::from)))
            .or_else(|_| r.try_get::<Option<bool>, _>($i).map(|v| v.map(i64::from)))
    }};
}
pub(crate) use get_int;

/// Every row of a statement with binds, each turned into a value by `|r| body` (a
/// `Result<T, sqlx::Error>`, with `sqlx::Row` in scope for `r.try_get`); a macro because
/// each backend's row is its own type.
macro_rules! rows {
    ($conn:expr, $ctx:expr, $sql:expr, $vals:expr, |$r:ident| $body:expr) => {{
        let conn: &mut $crate::db::Conn = $conn;
        let sql = conn.placeholders($sql);
        let res: Result<Vec<_>, ::sqlx::Error> = $crate::db::with_conn!(conn, c => {
            $crate::db::query::bind!(::sqlx::query(&sql), $vals)
                .fetch_all(&mut *c)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(|$r| {
                            #[allow(unused_imports)]
                            use ::sqlx::Row as _;
                            $body
                        })
                        .collect::<Result<Vec<_>, ::sqlx::Error>>()
                })
        });
        res.map_err(|e| conn.query_error($ctx, e))
    }};
}
pub(crate) use rows;

/// Runs one statement with binds (`?` placeholders, turned into `$n` on PostgreSQL).
pub(crate) async fn run(
    conn: &mut Conn,
    ctx: &str,
    sql: &str,
    vals: &[Val<'_>],
) -> Result<u64, DbError> {
    let sql = conn.placeholders(sql);
    let r: Result<u64, ::sqlx::Error> = with_conn!(conn, c => bind!(::sqlx::query(&sql), vals)
        .execute(&mut *c).await.map(|r| r.rows_affected()));
    r.map_err(|e| conn.query_error(ctx, e))
}

/// Runs a statement (DDL) as text, without binds.
pub(crate) async fn exec(conn: &mut Conn, ctx: &str, sql: &str) -> Result<(), DbError> {
    conn.execute(sql)
        .await
        .map(|_| ())
        .map_err(|f| conn.failed(ctx, f))
}

/// The first column of every row, as text (NULLs left out).
pub(crate) async fn strings(
    conn: &mut Conn,
    ctx: &str,
    sql: &str,
    vals: &[Val<'_>],
) -> Result<Vec<String>, DbError> {
    let sql = conn.placeholders(sql);
    let r: Result<Vec<Option<String>>, ::sqlx::Error> =
        with_conn!(conn, c => bind!(::sqlx::query_scalar(&sql), vals).fetch_all(&mut *c).await);
    r.map(|v| v.into_iter().flatten().collect())
        .map_err(|e| conn.query_error(ctx, e))
}

/// The first column of the first row as an integer (None: no row, or NULL).
pub(crate) async fn int(
    conn: &mut Conn,
    ctx: &str,
    sql: &str,
    vals: &[Val<'_>],
) -> Result<Option<i64>, DbError> {
    let sql = conn.placeholders(sql);
    let r: Result<Option<i64>, ::sqlx::Error> = with_conn!(conn, c => bind!(::sqlx::query(&sql), vals)
        .fetch_optional(&mut *c).await
        .and_then(|row| match row { Some(row) => get_int!(row, 0), None => Ok(None) }));
    r.map_err(|e| conn.query_error(ctx, e))
}

/// Whether a table exists where the connection keeps its bookkeeping (`Conn::table`).
pub async fn table_exists(conn: &mut Conn, table: &str) -> Result<bool, DbError> {
    let schema = conn.schema.clone().unwrap_or_default();
    let sql = match conn.dialect {
        Dialect::Sqlite => sqlite::TABLE_EXISTS,
        Dialect::Postgres => postgres::TABLE_EXISTS,
        Dialect::Mysql => mysql::TABLE_EXISTS,
    };
    let vals = [Val::Str(table), Val::Str(&schema)];
    let n = int(conn, "looking for a table", sql, &vals).await?;
    Ok(n.unwrap_or(0) > 0)
}

/// PostgreSQL `current_database()`, MySQL `DATABASE()`, SQLite `main`.
pub(crate) async fn database_name(conn: &mut Conn) -> Result<String, DbError> {
    let sql = match conn.dialect {
        Dialect::Postgres => postgres::DATABASE,
        Dialect::Mysql => mysql::DATABASE,
        Dialect::Sqlite => return Ok("main".to_string()),
    };
    let v = strings(conn, "reading the database name", sql, &[]).await?;
    Ok(v.into_iter().next().unwrap_or_default())
}

/// The schema the tools' tables live in on PostgreSQL: the one `Conn::table` qualifies
/// with (the URL's `search_path`, else `current_schema()` when connected, else `public`).
pub(crate) async fn current_schema(conn: &mut Conn) -> Result<String, DbError> {
    Ok(conn.schema().unwrap_or("public").to_string())
}
