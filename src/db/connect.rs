//! Opening a connection: URL parsing per backend, timeouts, `init_sql`, and error
//! messages that say what to do (never echoing a password).

use super::{mysql, postgres, sqlite, Conn, DbError, Inner};
use crate::sql::Dialect;
use sqlx::ConnectOptions;
use std::time::Duration;

/// How long a server may take to accept a connection before we say it is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What `connect` needs: the URL (with its password), the same URL redacted for display,
/// and the statements to run on every new connection.
#[derive(Clone)]
pub struct ConnectInfo {
    pub url: String,
    pub display: String,
    pub init_sql: Vec<String>,
    /// Create a SQLite file that does not exist yet (apply does; status does not).
    pub create_missing: bool,
}

impl std::fmt::Debug for ConnectInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectInfo")
            .field("url", &self.display)
            .field("init_sql", &self.init_sql)
            .finish()
    }
}

/// The dialect a URL speaks, from its scheme.
pub fn dialect_of(url: &str) -> Option<Dialect> {
    let scheme = url.split(':').next()?.to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Some(Dialect::Sqlite),
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "mysql" | "mariadb" => Some(Dialect::Mysql),
        _ => None,
    }
}

/// Opens one connection and runs `init_sql` on it. A SQLite file that does not exist
/// yet is created; `created` in the result says so.
pub async fn connect(info: &ConnectInfo) -> Result<(Conn, bool), DbError> {
    let dialect = dialect_of(&info.url).ok_or_else(|| DbError::Connect {
        target: info.display.clone(),
        message: "unknown URL scheme".into(),
        hint: "use a sqlite:, postgres:// or mysql:// URL".into(),
    })?;
    if crate::plan::ambiguous_userinfo(&info.url)
        || (dialect == Dialect::Sqlite && info.url.contains('@'))
    {
        return Err(ambiguous(info, dialect));
    }
    let err = |message: String, hint: &str| DbError::Connect {
        target: info.display.clone(),
        message: scrub(&message, &info.url),
        hint: hint.to_string(),
    };
    let mut created = false;
    let mut sqlite_file = None;
    let inner = match dialect {
        Dialect::Sqlite => {
            let opts = sqlite::options(&info.url)
                .map_err(|e| err(e.to_string(), "check the sqlite: URL"))?;
            let file = opts.get_filename().to_path_buf();
            if !sqlite::in_memory(&file) {
                created = !file.exists();
                if created && !info.create_missing {
                    return Err(DbError::Missing {
                        target: info.display.clone(),
                    });
                }
                if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                    if !parent.exists() {
                        return Err(err(
                            format!("folder {} does not exist", parent.display()),
                            "create the folder, or fix the path in [target] url",
                        ));
                    }
                }
                sqlite_file = Some(file);
            }
            let c = opts.create_if_missing(true).connect().await.map_err(|e| {
                err(
                    super::failure(&e).message,
                    "check that the file is a SQLite database and is writable",
                )
            })?;
            Inner::Sqlite(c)
        }
        Dialect::Postgres => {
            let opts = postgres::options(&info.url)
                .map_err(|e| err(e.to_string(), "check the postgres:// URL"))?;
            let c = timed(opts.connect())
                .await
                .map_err(|e| server_error(&e, info, "PostgreSQL"))?;
            Inner::Postgres(c)
        }
        Dialect::Mysql => {
            let opts = mysql::options(&info.url)
                .map_err(|e| err(e.to_string(), "check the mysql:// URL"))?;
            let c = timed(opts.connect())
                .await
                .map_err(|e| server_error(&e, info, "MySQL/MariaDB"))?;
            Inner::Mysql(c)
        }
    };
    let mut conn = Conn {
        inner,
        dialect,
        display: info.display.clone(),
        sqlite_file,
        schema: None,
    };
    super::names::set_url_search_path(&mut conn, &info.url)
        .await
        .map_err(|m| err(m, "check the search_path option in the URL"))?;
    for (i, stmt) in info.init_sql.iter().enumerate() {
        if let Err(f) = conn.execute(stmt).await {
            return Err(err(
                format!(
                    "init_sql statement {} ({stmt}) failed: {}",
                    i + 1,
                    f.message
                ),
                "fix [target] init_sql in the plan",
            ));
        }
    }
    conn.schema = super::names::resolve(&mut conn, &info.url)
        .await
        .map_err(|m| err(m, "check the URL and the server's log"))?;
    Ok((conn, created))
}

async fn timed<T>(
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(CONNECT_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

/// Turns a server connection error into a message with a hint for the usual causes.
fn server_error(e: &sqlx::Error, info: &ConnectInfo, server: &str) -> DbError {
    let code = match e {
        sqlx::Error::Database(db) => db.code().map(|c| c.to_string()),
        _ => None,
    };
    let (message, hint) = match (e, code.as_deref()) {
        (sqlx::Error::PoolTimedOut, _) => (
            format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
            format!("is {server} running and reachable at that host and port?"),
        ),
        (sqlx::Error::Io(io), _) => (
            io.to_string(),
            format!("is {server} running and listening at that host and port?"),
        ),
        (_, Some("28P01" | "28000" | "1045")) => (
            super::failure(e).message,
            "check the user name and password in the URL".to_string(),
        ),
        (_, Some("3D000" | "1049" | "42000")) => (
            super::failure(e).message,
            "create the database first, or fix its name in the URL".to_string(),
        ),
        _ => (
            super::failure(e).message,
            "check the URL and the server's log".to_string(),
        ),
    };
    DbError::Connect {
        target: info.display.clone(),
        message: scrub(&message, &info.url),
        hint,
    }
}

/// A URL whose `@` the driver would not read as the end of the userinfo is refused
/// before anything is sent: connecting would hand part of the password to a host or
/// name it as a database or file, and the driver's errors would echo it.
fn ambiguous(info: &ConnectInfo, dialect: Dialect) -> DbError {
    let (message, hint) = match dialect {
        Dialect::Sqlite => (
            "a sqlite: URL takes no user or password, and it holds an `@`",
            "remove `user:password@`; write an `@` in the file name as %40",
        ),
        _ => (
            "the URL holds an `@` after its host part: the password holds an unencoded `@`, `/`, `?` or `#`, and the driver would read part of it as host or database",
            "percent-encode those characters in the password: `@` %40, `/` %2F, `?` %3F, `#` %23, `%` %25",
        ),
    };
    DbError::Connect {
        target: info.display.clone(),
        message: message.to_string(),
        hint: hint.to_string(),
    }
}

/// Removes the URL's password from a message, should a driver ever echo it: the
/// password as the `url` crate reads it, and everything between `//` and the last `@`
/// (and its part after the first `:`), each as written and percent-decoded.
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let mut secrets = Vec::new();
    if let Some(pw) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_string))
    {
        secrets.push(pw);
    }
    if let (Some(start), Some(at)) = (url.find("//"), url.rfind('@')) {
        if let Some(userinfo) = url.get(start + 2..at) {
            secrets.push(userinfo.to_string());
            if let Some((_, pw)) = userinfo.split_once(':') {
                secrets.push(pw.to_string());
            }
        }
    }
    let decoded: Vec<String> = secrets.iter().map(|s| percent_decoded(s)).collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    // Longest first, so that a password inside the userinfo does not leave the rest.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
        .iter()
        .fold(message.to_string(), |out, s| out.replace(s.as_str(), "***"))
}

/// `%XX` decoded as the drivers decode a password (no `+` to space).
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
