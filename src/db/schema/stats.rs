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
//! - SQLite: in this process, inside SQLite's own scan (see `sqlite_sum`): one row's
//!   text in memory at a time.
//!
//! A checksum is comparable only with one taken by the same backend (and the same
//! cutover checksum version): the hash and the text form of values differ by backend.
//!
//! Tables above the row limit get a count only, and cost no more than the limit to find
//! out: SQLite stops streaming once the limit is passed; the servers count at most
//! limit + 1 rows before they hash. A limit of 0 means counts only.

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
    let counted = |rows| TableStat {
        table: table.to_string(),
        rows,
        checksum: None,
    };
    let full = format!("SELECT COUNT(*) FROM {qualified}");
    let count_ctx = format!("counting the rows of {table}");
    if checksum_row_limit == 0 {
        return Ok(counted(count(conn, &full, &count_ctx).await?));
    }
    let ctx = format!("checksumming the rows of {table}");
    let summed = match conn.dialect {
        // Streamed here: stops as soon as the limit is passed.
        Dialect::Sqlite => sqlite_sum(conn, &qualified, columns, checksum_row_limit, &ctx).await?,
        // Summed by the server: a count of at most limit + 1 rows first (a plain scan,
        // many times faster than hashing) keeps a big table from being hashed.
        dialect => {
            let capped = format!(
                "SELECT COUNT(*) FROM (SELECT 1 AS x FROM {qualified} LIMIT {}) capped",
                checksum_row_limit.saturating_add(1).min(i64::MAX as u64)
            );
            if count(conn, &capped, &count_ctx).await? > checksum_row_limit {
                None
            } else if dialect == Dialect::Postgres {
                Some(server_sum(conn, &postgres_sql(&qualified, columns), &ctx).await?)
            } else {
                Some(server_sum(conn, &mysql_sql(&qualified, columns), &ctx).await?)
            }
        }
    };
    match summed {
        Some((rows, sum)) if rows <= checksum_row_limit => Ok(TableStat {
            table: table.to_string(),
            rows,
            checksum: Some(format!("{sum:016x}")),
        }),
        _ => Ok(counted(count(conn, &full, &count_ctx).await?)),
    }
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
pub(crate) fn fold_decimal(s: &str) -> Option<u64> {
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

/// SQLite's row text: every column through `quote()` (which tells NULL from '' and a
/// number from text, and round-trips reals), in name order, comma-separated. A quoted
/// value delimits itself, so the commas cannot be confused with data.
fn sqlite_row_text(columns: &[&str]) -> String {
    if columns.is_empty() {
        return "''".to_string();
    }
    columns
        .iter()
        .map(|c| format!("quote({})", quote_ident(Dialect::Sqlite, c)))
        .collect::<Vec<_>>()
        .join("||','||")
}

/// The collation through which SQLite hands each row's text to `row_hash`.
const ROW_HASH_COLLATION: &str = "cutover_row_hash";

/// SQLite's sum, or None when the table has more than `limit` rows (the caller counts
/// them then). The rows are hashed inside SQLite's own scan: a collation whose callback
/// (sqlx's safe `create_collation`) receives each row's text, compared with '' and
/// never equal, adds its hash. Nothing crosses to the async side but the count, which is
/// also the check that the callback saw every row exactly once; should it not have, the
/// rows are streamed instead and hashed the same way.
async fn sqlite_sum(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    limit: u64,
    ctx: &str,
) -> Result<Option<(u64, u64)>, DbError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let row = sqlite_row_text(columns);
    let cap = limit.saturating_add(1).min(i64::MAX as u64);
    let Inner::Sqlite(c) = &mut conn.inner else {
        return Ok(None);
    };
    let seen = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let res: Result<(u64, u64, u64), sqlx::Error> = async {
        let tally = seen.clone();
        c.lock_handle()
            .await?
            .create_collation(ROW_HASH_COLLATION, move |l: &str, r: &str| {
                // The row's text is the non-empty side, whichever SQLite passes first.
                let text = if l.is_empty() { r } else { l };
                tally
                    .0
                    .fetch_add(row_hash(text.as_bytes()), Ordering::Relaxed);
                tally.1.fetch_add(1, Ordering::Relaxed);
                std::cmp::Ordering::Greater
            })?;
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT {row} AS r FROM {table} LIMIT {cap}) \
             WHERE r <> '' COLLATE {ROW_HASH_COLLATION}"
        );
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *c).await?;
        Ok((
            u64::try_from(n).unwrap_or(0),
            seen.0.load(Ordering::Relaxed),
            seen.1.load(Ordering::Relaxed),
        ))
    }
    .await;
    let (rows, sum, calls) = res.map_err(|e| conn.query_error(ctx, e))?;
    if rows > limit {
        return Ok(None);
    }
    if calls == rows {
        return Ok(Some((rows, sum)));
    }
    sqlite_streamed_sum(conn, table, &row, limit, ctx).await
}

/// The same sum over rows streamed to this side (slower: every row crosses sqlx's
/// channel from its worker thread).
async fn sqlite_streamed_sum(
    conn: &mut Conn,
    table: &str,
    row: &str,
    limit: u64,
    ctx: &str,
) -> Result<Option<(u64, u64)>, DbError> {
    let sql = format!("SELECT {row} FROM {table}");
    let Inner::Sqlite(c) = &mut conn.inner else {
        return Ok(None);
    };
    let (mut rows, mut sum) = (0u64, 0u64);
    let res: Result<bool, sqlx::Error> = async {
        let mut stream = sqlx::query(&sql).fetch(&mut *c);
        while let Some(r) = stream.try_next().await? {
            rows += 1;
            if rows > limit {
                return Ok(false);
            }
            let text: &str = r.try_get(0)?;
            sum = sum.wrapping_add(row_hash(text.as_bytes()));
        }
        Ok(true)
    }
    .await;
    let complete = res.map_err(|e| conn.query_error(ctx, e))?;
    Ok(complete.then_some((rows, sum)))
}

/// A 64-bit hash of a row's bytes, eight at a time (multiply and fold), then the
/// splitmix64 finalizer so that every input bit reaches every output bit: a sum of
/// weak hashes would let small changes cancel. Written out here, not taken from `std`,
/// whose hasher may change between Rust releases: checksums are stored and compared
/// across runs.
pub(crate) fn row_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (bytes.len() as u64).wrapping_mul(K) ^ 0x243f_6a88_85a3_08d3;
    let mut mix = |w: u64| {
        h = (h ^ w).wrapping_mul(K);
        h ^= h >> 29;
    };
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        mix(u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        mix(u64::from_le_bytes(w));
    }
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
        assert_ne!(row_hash(b"'a'"), row_hash(b"'b'"));
        assert_ne!(row_hash(b""), row_hash(b"\x00"), "the length counts");
        assert_ne!(row_hash(b"12345678,1"), row_hash(b"12345678,2"));
        // Pinned: a stored checksum must mean the same to the next build.
        assert_eq!(row_hash(b"NULL,'x',1"), row_hash(b"NULL,'x',1"));
        assert_eq!(format!("{:016x}", row_hash(b"1,'a'")), PINNED);
    }

    /// The collation path and the streamed fallback agree, value type by value type.
    #[test]
    fn both_sqlite_paths_give_the_same_sum() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let info = crate::db::ConnectInfo {
                url: "sqlite::memory:".into(),
                display: "memory".into(),
                init_sql: Vec::new(),
                create_missing: true,
            };
            let (mut conn, _) = crate::db::connect(&info).await.expect("connect");
            conn.execute(
                "CREATE TABLE t (a, b, c); INSERT INTO t VALUES (1, 'it''s, a', NULL), \
                 (2.5, x'00ff', ''), (NULL, 'NULL', 'a,b'), (1e300, -7, 'é')",
            )
            .await
            .expect("fill");
            let table = qualified(&conn, "t");
            let cols = ["a", "b", "c"];
            let fast = sqlite_sum(&mut conn, &table, &cols, 10, "t")
                .await
                .expect("sum");
            let row = sqlite_row_text(&cols);
            let slow = sqlite_streamed_sum(&mut conn, &table, &row, 10, "t")
                .await
                .expect("streamed");
            assert_eq!(fast, slow);
            assert_eq!(fast.map(|f| f.0), Some(4));
            assert_eq!(
                sqlite_sum(&mut conn, &table, &cols, 3, "t")
                    .await
                    .expect("sum"),
                None
            );
            assert_eq!(
                sqlite_streamed_sum(&mut conn, &table, &row, 3, "t")
                    .await
                    .expect("sum"),
                None
            );
        });
    }

    const PINNED: &str = "159c20ba2e3202f3";

    #[test]
    fn the_sqlite_row_text_quotes_every_column_in_order() {
        assert_eq!(
            sqlite_row_text(&["a", "b\"c"]),
            "quote(\"a\")||','||quote(\"b\"\"c\")"
        );
        assert_eq!(sqlite_row_text(&[]), "''");
    }
}
