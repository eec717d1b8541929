//! Where bookkeeping tables live on a target, resolved once per connection, so that
//! nothing a migration file does to its session moves cutover's reads and writes: a
//! pg_dump header's `set_config('search_path', '', false)`, a `SET search_path`, a
//! MySQL `USE other_db`.
//!
//! **Every statement cutover sends for its own tables (`cutover_history`,
//! `cutover_decisions`, `cutover_lock`) or for an adopted tool's history names the
//! table through [`Conn::table`]**, never a bare name, and looks tables up with
//! `query::table_exists`, which searches the same place. A new native module keeps its
//! table name in one `const` and builds every statement with `conn.table(TABLE)`; a
//! tool with its own placement rules (Sqitch's `sqitch` schema/database/attached file)
//! keeps them.
//!
//! The place, as dbmate resolves it (`pkg/driver/postgres`):
//! - PostgreSQL: the first entry of the URL's `search_path` option, else
//!   `current_schema()` when connected (after `init_sql`), else `public`;
//! - MySQL/MariaDB: the database the connection starts in (`DATABASE()`); none when the
//!   URL names no database (then names stay bare, and the lock refuses the target);
//! - SQLite: `main` (not a TEMP table or an ATTACHed file of the same name).

use super::{mysql, postgres, Conn};
use crate::sql::Dialect;

/// `"name"` (PostgreSQL, SQLite) or `` `name` `` (MySQL), embedded quotes doubled.
pub fn quote_ident(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// `"name"` with embedded quotes doubled (PostgreSQL, SQLite).
pub(crate) fn dq(name: &str) -> String {
    quote_ident(Dialect::Postgres, name)
}

/// `` `name` `` with embedded backticks doubled (MySQL).
pub(crate) fn bq(name: &str) -> String {
    quote_ident(Dialect::Mysql, name)
}

/// The schema named by a PostgreSQL URL's `search_path` option (its first entry,
/// unquoted), as dbmate reads it; None when the URL has none.
pub fn url_search_path(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let value = parsed
        .query_pairs()
        .find(|(k, _)| k == "search_path")
        .map(|(_, v)| v.into_owned())?;
    let first = value.split(',').next()?.trim();
    let first = first
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(first);
    (!first.is_empty()).then(|| first.to_string())
}

impl Conn {
    /// The schema (PostgreSQL), database (MySQL) or `main` (SQLite) that holds the
    /// bookkeeping tables; None for a MySQL connection without a database.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// `name` qualified with the bookkeeping schema and quoted for this backend:
    /// `"public"."cutover_history"`, `` `shop`.`cutover_history` ``,
    /// `"main"."cutover_history"`. Use it for every table cutover reads or writes.
    pub fn table(&self, name: &str) -> String {
        let t = quote_ident(self.dialect, name);
        match &self.schema {
            Some(s) => format!("{}.{t}", quote_ident(self.dialect, s)),
            None => t,
        }
    }
}

/// PostgreSQL: sets a URL's `search_path` option on the session, as dbmate's and
/// golang-migrate's drivers (lib/pq, pgx) do, so the files see it too (sqlx ignores the
/// option). Runs before `init_sql`, which may change it again.
pub(super) async fn set_url_search_path(conn: &mut Conn, url: &str) -> Result<(), String> {
    if conn.dialect != Dialect::Postgres {
        return Ok(());
    }
    let Some(path) = url::Url::parse(url).ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "search_path")
            .map(|(_, v)| v.into_owned())
    }) else {
        return Ok(());
    };
    let set = format!(
        "SELECT set_config('search_path', '{}', false)",
        path.replace('\'', "''")
    );
    conn.execute(&set)
        .await
        .map(|_| ())
        .map_err(|f| format!("setting search_path from the URL: {}", f.message))
}

/// Resolves the bookkeeping schema of a freshly opened connection, after `init_sql`
/// (see the module comment).
pub(super) async fn resolve(conn: &mut Conn, url: &str) -> Result<Option<String>, String> {
    match conn.dialect {
        Dialect::Sqlite => Ok(Some("main".to_string())),
        Dialect::Postgres => {
            if let Some(s) = url_search_path(url) {
                return Ok(Some(s));
            }
            let current = conn
                .column_strings(postgres::CURRENT_SCHEMA)
                .await
                .map_err(|f| format!("reading current_schema(): {}", f.message))?;
            Ok(Some(
                current
                    .into_iter()
                    .find(|s| !s.is_empty())
                    .unwrap_or_else(|| "public".to_string()),
            ))
        }
        Dialect::Mysql => {
            let db = conn
                .column_strings(mysql::DATABASE)
                .await
                .map_err(|f| format!("reading DATABASE(): {}", f.message))?;
            Ok(db.into_iter().find(|s| !s.is_empty()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_search_path_is_read_as_dbmate_reads_it() {
        assert_eq!(
            url_search_path("postgres://u@h/db?search_path=app,public"),
            Some("app".into())
        );
        assert_eq!(
            url_search_path("postgres://u@h/db?sslmode=disable&search_path=%22My%20App%22"),
            Some("My App".into())
        );
        assert_eq!(url_search_path("postgres://u@h/db"), None);
        assert_eq!(url_search_path("postgres://u@h/db?search_path="), None);
    }

    #[test]
    fn names_are_quoted_per_backend() {
        assert_eq!(quote_ident(Dialect::Postgres, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(Dialect::Mysql, "a`b"), "`a``b`");
        assert_eq!(dq("a\"b"), "\"a\"\"b\"");
        assert_eq!(bq("a`b"), "`a``b`");
    }
}
