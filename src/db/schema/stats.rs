//! Per-table statistics: the row count and an order-independent checksum, the wrapping
//! sum (mod 2^64) of a 64-bit hash of each row. A sum does not depend on the order rows
//! come in (so not on insertion order or physical layout), counts a duplicated row twice,
//! and can later be taken over key ranges to find where two tables differ.
//!
//! Each row is hashed over its columns in name order (the order of columns in the table
//! does not count, as for the fingerprint) with a NULL told apart from an empty string.
//! Where the hashing happens:
//! - PostgreSQL: in the server, `hashtextextended(ROW(cols)::text, 0)` summed; only two
//!   numbers cross the wire, and the scan can run in parallel workers;
//! - MySQL/MariaDB: in the server, the first 64 bits of `MD5(CONCAT_WS(...))` summed,
//!   each column preceded by its NULL flag (CONCAT_WS skips NULLs);
//! - SQLite: in this process, over the rows streamed (one row in memory at a time).
//!
//! A checksum is comparable only with one taken by the same backend (and the same
//! cutover checksum version): the hash and the text form of values differ by backend.
//!
//! Tables above the row limit get a count only: first `SELECT count(*)` over at most
//! limit + 1 rows, so a big table costs no more than the limit to find out.

use super::Schema;
use super::TableStat;
use crate::db::names::quote_ident;
use crate::db::{Conn, DbError, Inner};
use crate::sql::Dialect;
use futures_util::TryStreamExt;
use sqlx::Row;

/// Row counts and checksums of every table of `schema`, streamed (memory stays flat);
/// tables above `checksum_row_limit` rows get a count only.
pub async fn table_stats(
    conn: &mut Conn,
    schema: &Schema,
    checksum_row_limit: u64,
) -> Result<Vec<TableStat>, DbError> {
    let mut out = Vec::with_capacity(schema.tables.len());
    for (name, table) in &schema.tables {
        let columns: Vec<&str> = table.columns.keys().map(String::as_str).collect();
        out.push(table_stat(conn, name, &columns, checksum_row_limit).await?);
    }
    Ok(out)
}

/// One table's count and (under the limit) checksum.
pub async fn table_stat(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    checksum_row_limit: u64,
) -> Result<TableStat, DbError> {
    let qualified = qualified(conn, table);
    let capped = format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS x FROM {qualified} LIMIT {}) capped",
        checksum_row_limit.saturating_add(1).min(i64::MAX as u64)
    );
    let ctx = format!("counting the rows of {table}");
    let n = count(conn, &capped, &ctx).await?;
    if n > checksum_row_limit {
        let full = format!("SELECT COUNT(*) FROM {qualified}");
        let rows = count(conn, &full, &ctx).await?;
        return Ok(TableStat {
            table: table.to_string(),
            rows,
            checksum: None,
        });
    }
    let ctx = format!("checksumming the rows of {table}");
    let (rows, sum) = match conn.dialect {
        Dialect::Postgres => server_sum(conn, &postgres_sql(&qualified, columns), &ctx).await?,
        Dialect::Mysql => server_sum(conn, &mysql_sql(&qualified, columns), &ctx).await?,
        Dialect::Sqlite => sqlite_sum(conn, &qualified, columns, &ctx).await?,
    };
    Ok(TableStat {
        table: table.to_string(),
        rows,
        checksum: Some(format!("{sum:016x}")),
    })
}

/// The table as statements name it: schema-qualified where cutover knows the schema.
fn qualified(conn: &Conn, table: &str) -> String {
    let t = quote_ident(conn.dialect, table);
    match conn.schema() {
        Some(s) => format!("{}.{t}", quote_ident(conn.dialect, s)),
        None => t,
    }
}

async fn count(conn: &mut Conn, sql: &str, ctx: &str) -> Result<u64, DbError> {
    let n = conn
        .scalar_i64(sql)
        .await
        .map_err(|f| conn.failed(ctx, f))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn postgres_sql(table: &str, columns: &[&str]) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| quote_ident(Dialect::Postgres, c))
        .collect();
    format!(
        "SELECT COUNT(*)::bigint, COALESCE(SUM(hashtextextended(ROW({})::text, 0)), 0)::text FROM {table}",
        cols.join(", ")
    )
}

fn mysql_sql(table: &str, columns: &[&str]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| {
            let q = quote_ident(Dialect::Mysql, c);
            format!("ISNULL({q}), {q}")
        })
        .collect();
    let row = if parts.is_empty() {
        "''".to_string()
    } else {
        format!("CONCAT_WS(0x1f, {})", parts.join(", "))
    };
    format!(
        "SELECT CAST(COUNT(*) AS SIGNED), CAST(COALESCE(SUM(CAST(CONV(SUBSTRING(MD5({row}), 1, 16), 16, 10) AS UNSIGNED)), 0) AS CHAR) FROM {table}"
    )
}

/// Runs a `SELECT count, sum-as-text` and folds the sum to 64 bits.
async fn server_sum(conn: &mut Conn, sql: &str, ctx: &str) -> Result<(u64, u64), DbError> {
    let res: Result<(i64, String), sqlx::Error> = match &mut conn.inner {
        Inner::Postgres(c) => sqlx::query(sql)
            .fetch_one(&mut *c)
            .await
            .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?))),
        Inner::Mysql(c) => sqlx::query(sql)
            .fetch_one(&mut *c)
            .await
            .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?))),
        Inner::Sqlite(_) => Ok((0, "0".into())),
    };
    let (rows, sum) = res.map_err(|e| conn.query_error(ctx, e))?;
    let sum = fold_decimal(&sum).ok_or_else(|| DbError::Query {
        target: conn.display.clone(),
        context: ctx.to_string(),
        message: format!("the server's sum {sum:?} is not a number"),
    })?;
    Ok((u64::try_from(rows).unwrap_or(0), sum))
}

/// A decimal integer of any size (a server's exact SUM), modulo 2^64.
fn fold_decimal(s: &str) -> Option<u64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for ch in digits.chars() {
        let d = ch.to_digit(10)?;
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

async fn sqlite_sum(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    ctx: &str,
) -> Result<(u64, u64), DbError> {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| quote_ident(Dialect::Sqlite, c))
        .collect();
    let list = if cols.is_empty() {
        "NULL".to_string()
    } else {
        cols.join(", ")
    };
    let sql = format!("SELECT {list} FROM {table}");
    let Inner::Sqlite(c) = &mut conn.inner else {
        return Ok((0, 0));
    };
    let mut rows = 0u64;
    let mut sum = 0u64;
    let mut buf = Vec::with_capacity(256);
    let res: Result<(), sqlx::Error> = async {
        let mut stream = sqlx::query(&sql).fetch(&mut *c);
        while let Some(row) = stream.try_next().await? {
            buf.clear();
            for i in 0..row.len() {
                encode_sqlite_value(&row, i, &mut buf)?;
            }
            sum = sum.wrapping_add(row_hash(&buf));
            rows += 1;
        }
        Ok(())
    }
    .await;
    res.map_err(|e| conn.query_error(ctx, e))?;
    Ok((rows, sum))
}

/// A value as bytes that tell the types apart: a tag, then the value (a length first for
/// text and blobs, so that no two rows' encodings run into each other).
fn encode_sqlite_value(
    row: &sqlx::sqlite::SqliteRow,
    i: usize,
    buf: &mut Vec<u8>,
) -> Result<(), sqlx::Error> {
    use sqlx::{TypeInfo, ValueRef};
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        buf.push(0);
        return Ok(());
    }
    match raw.type_info().name() {
        "INTEGER" => {
            buf.push(1);
            buf.extend_from_slice(&row.try_get::<i64, _>(i)?.to_le_bytes());
        }
        "REAL" => {
            buf.push(2);
            buf.extend_from_slice(&row.try_get::<f64, _>(i)?.to_bits().to_le_bytes());
        }
        "TEXT" => {
            let s: &str = row.try_get(i)?;
            buf.push(3);
            buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
            buf.extend_from_slice(s.as_bytes());
        }
        _ => {
            let b: &[u8] = row.try_get(i)?;
            buf.push(4);
            buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
            buf.extend_from_slice(b);
        }
    }
    Ok(())
}

/// A 64-bit hash of a row's encoding: FNV-1a over the bytes, then the splitmix64
/// finalizer so that every input bit reaches every output bit (a plain FNV sum would let
/// small changes cancel). Written out here, not taken from `std`, whose hasher may change
/// between Rust releases: checksums are stored and compared across runs.
pub(crate) fn row_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= bytes.len() as u64;
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_sums_fold_to_64_bits() {
        assert_eq!(fold_decimal("0"), Some(0));
        assert_eq!(fold_decimal("-1"), Some(u64::MAX));
        assert_eq!(fold_decimal("18446744073709551616"), Some(0));
        assert_eq!(fold_decimal("18446744073709551617"), Some(1));
        assert_eq!(fold_decimal("12x"), None);
        assert_eq!(fold_decimal(""), None);
    }

    #[test]
    fn row_hashes_differ_for_near_rows() {
        assert_ne!(row_hash(b"\x03a"), row_hash(b"\x03b"));
        assert_ne!(row_hash(b""), row_hash(b"\x00"));
    }
}
