//! `cutover_history`: what cutover applied to this target, with the SQL text it
//! applied, so drift can be shown as a diff. Also `cutover_decisions`, where operator
//! decisions (accepting drift) are recorded.

use super::query::{exec, rows, run, Val};
use super::{Conn, DbError};
use crate::sql::Dialect;

// Where tests and callers have always found it.
pub use super::query::table_exists;

pub const HISTORY_TABLE: &str = "cutover_history";

/// The status a ledger row can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Applied,
    RolledBack,
    /// Failed, and its transaction rolled back: nothing of it remains; it may run again.
    Failed,
    /// Running outside one transaction (written before its first statement). Left behind
    /// by a crash or a failure to record: part of the file may be applied.
    Running,
    /// Failed after some of its statements took effect (no transaction could undo them).
    Partial,
    /// Its down SQL was started outside one transaction and not yet recorded as done (a
    /// crash, or a down that failed midway): the next rollback finishes it.
    RollingBack,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::RolledBack => "rolled_back",
            Status::Failed => "failed",
            Status::Running => "running",
            Status::Partial => "partial",
            Status::RollingBack => "rolling_back",
        }
    }

    /// Whether the file may be partly applied, so it must not run again until an
    /// operator has looked.
    pub fn unresolved(self) -> bool {
        matches!(self, Status::Running | Status::Partial)
    }

    fn parse(s: &str) -> Status {
        match s {
            "applied" => Status::Applied,
            "rolled_back" => Status::RolledBack,
            "running" => Status::Running,
            "partial" => Status::Partial,
            "rolling_back" => Status::RollingBack,
            _ => Status::Failed,
        }
    }
}

/// One row of `cutover_history`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Entry {
    pub version: String,
    pub name: String,
    pub checksum: String,
    pub batch: String,
    pub status: Status,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    pub duration_ms: i64,
    pub rolled_back_at: Option<String>,
    #[serde(skip)]
    pub sql_text: String,
    pub error: Option<String>,
}

pub const DECISIONS_TABLE: &str = "cutover_decisions";

/// The DDL with `{history}` and `{decisions}` standing for the qualified names.
fn ddl_template(dialect: Dialect) -> [&'static str; 2] {
    match dialect {
        // WITHOUT ROWID: the version key is the table itself, not a second B-tree, so
        // each file's commit writes one page fewer.
        Dialect::Sqlite => [
            "CREATE TABLE IF NOT EXISTS {history} (
                version TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL,
                batch TEXT NOT NULL, status TEXT NOT NULL, applied_at TEXT, applied_by TEXT,
                duration_ms INTEGER NOT NULL DEFAULT 0, rolled_back_at TEXT,
                sql_text TEXT NOT NULL, error TEXT) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS {decisions} (
                id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, operator TEXT NOT NULL,
                kind TEXT NOT NULL, version TEXT, detail TEXT NOT NULL)",
        ],
        Dialect::Postgres => [
            "CREATE TABLE IF NOT EXISTS {history} (
                version TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL,
                batch TEXT NOT NULL, status TEXT NOT NULL, applied_at TEXT, applied_by TEXT,
                duration_ms BIGINT NOT NULL DEFAULT 0, rolled_back_at TEXT,
                sql_text TEXT NOT NULL, error TEXT)",
            "CREATE TABLE IF NOT EXISTS {decisions} (
                id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, operator TEXT NOT NULL,
                kind TEXT NOT NULL, version TEXT, detail TEXT NOT NULL)",
        ],
        Dialect::Mysql => [
            "CREATE TABLE IF NOT EXISTS {history} (
                version VARCHAR(191) PRIMARY KEY NOT NULL, name TEXT NOT NULL,
                checksum VARCHAR(64) NOT NULL, batch TEXT NOT NULL, status VARCHAR(16) NOT NULL,
                applied_at VARCHAR(40), applied_by TEXT, duration_ms BIGINT NOT NULL DEFAULT 0,
                rolled_back_at VARCHAR(40), sql_text LONGTEXT NOT NULL, error TEXT
            ) CHARACTER SET utf8mb4",
            "CREATE TABLE IF NOT EXISTS {decisions} (
                id BIGINT AUTO_INCREMENT PRIMARY KEY, at VARCHAR(40) NOT NULL, operator TEXT NOT NULL,
                kind VARCHAR(32) NOT NULL, version VARCHAR(191), detail LONGTEXT NOT NULL
            ) CHARACTER SET utf8mb4",
        ],
    }
}

fn ddl(conn: &Conn) -> [String; 2] {
    ddl_template(conn.dialect).map(|t| {
        t.replace("{history}", &conn.table(HISTORY_TABLE))
            .replace("{decisions}", &conn.table(DECISIONS_TABLE))
    })
}

/// Creates cutover's tables when they are missing.
pub async fn ensure(conn: &mut Conn) -> Result<(), DbError> {
    for stmt in ddl(conn) {
        exec(conn, "creating cutover_history", &stmt).await?;
    }
    Ok(())
}

/// Every row of the ledger, in version order as stored (callers order by migration).
/// An absent ledger reads as empty: nothing was applied by cutover yet.
pub async fn read(conn: &mut Conn) -> Result<Vec<Entry>, DbError> {
    if !table_exists(conn, HISTORY_TABLE).await? {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT version, name, checksum, batch, status, applied_at, applied_by, duration_ms, \
               rolled_back_at, sql_text, error FROM {}",
        conn.table(HISTORY_TABLE)
    );
    rows!(conn, "reading cutover_history", &sql, &[], |r| {
        Ok(Entry {
            version: r.try_get("version")?,
            name: r.try_get("name")?,
            checksum: r.try_get("checksum")?,
            batch: r.try_get("batch")?,
            status: Status::parse(&r.try_get::<String, _>("status")?),
            applied_at: r.try_get("applied_at")?,
            applied_by: r.try_get("applied_by")?,
            duration_ms: r.try_get("duration_ms")?,
            rolled_back_at: r.try_get("rolled_back_at")?,
            sql_text: r.try_get("sql_text")?,
            error: r.try_get("error")?,
        })
    })
}

/// Writes (or replaces) the row for a version. Runs inside the caller's transaction
/// where there is one, so a file and its ledger row commit together.
pub async fn record(conn: &mut Conn, e: &Entry) -> Result<(), DbError> {
    // One statement whether the version is new or seen before (a failed file applied
    // again): fewer statements per file on the hot path.
    let upsert = match conn.dialect {
        Dialect::Mysql => " ON DUPLICATE KEY UPDATE name = VALUES(name), checksum = VALUES(checksum), \
             batch = VALUES(batch), status = VALUES(status), applied_at = VALUES(applied_at), \
             applied_by = VALUES(applied_by), duration_ms = VALUES(duration_ms), \
             rolled_back_at = VALUES(rolled_back_at), sql_text = VALUES(sql_text), error = VALUES(error)",
        _ => " ON CONFLICT (version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, \
             batch = excluded.batch, status = excluded.status, applied_at = excluded.applied_at, \
             applied_by = excluded.applied_by, duration_ms = excluded.duration_ms, \
             rolled_back_at = excluded.rolled_back_at, sql_text = excluded.sql_text, error = excluded.error",
    };
    let ins = format!(
        "INSERT INTO {} (version, name, checksum, batch, status, applied_at, applied_by, \
         duration_ms, rolled_back_at, sql_text, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?){upsert}",
        conn.table(HISTORY_TABLE)
    );
    let vals = [
        Val::Str(&e.version),
        Val::Str(&e.name),
        Val::Str(&e.checksum),
        Val::Str(&e.batch),
        Val::Str(e.status.as_str()),
        Val::OptStr(e.applied_at.as_deref()),
        Val::OptStr(e.applied_by.as_deref()),
        Val::I64(e.duration_ms),
        Val::OptStr(e.rolled_back_at.as_deref()),
        Val::Str(&e.sql_text),
        Val::OptStr(e.error.as_deref()),
    ];
    run(conn, "recording in cutover_history", &ins, &vals)
        .await
        .map(|_| ())
}

/// Records that the operator accepted the file on disk as what is applied: the ledger
/// takes the new text and checksum, and the decision (with the old checksum) is kept.
pub async fn accept_drift(
    conn: &mut Conn,
    version: &str,
    new_checksum: &str,
    new_sql: &str,
    operator: &str,
    at: &str,
    old_checksum: &str,
) -> Result<(), DbError> {
    let upd = format!(
        "UPDATE {} SET checksum = ?, sql_text = ? WHERE version = ?",
        conn.table(HISTORY_TABLE)
    );
    let detail = format!("checksum {old_checksum} -> {new_checksum}");
    let vals = [Val::Str(new_checksum), Val::Str(new_sql), Val::Str(version)];
    run(conn, "recording the drift decision", &upd, &vals).await?;
    decision(conn, at, operator, "accept_drift", version, &detail).await
}

/// Removes a version's row (an operator resolved a partly applied file as not applied).
pub async fn delete(conn: &mut Conn, version: &str) -> Result<(), DbError> {
    let del = format!(
        "DELETE FROM {} WHERE version = ?",
        conn.table(HISTORY_TABLE)
    );
    run(
        conn,
        "removing from cutover_history",
        &del,
        &[Val::Str(version)],
    )
    .await
    .map(|_| ())
}

/// Marks a version's row: `rolling_back` before its down SQL runs outside one
/// transaction, `rolled_back` (with the time) once it is undone, `applied` again when a
/// failed down left nothing changed. `error` says what went wrong, if anything.
pub async fn set_status(
    conn: &mut Conn,
    version: &str,
    status: Status,
    rolled_back_at: Option<&str>,
    error: Option<&str>,
) -> Result<(), DbError> {
    let upd = format!(
        "UPDATE {} SET status = ?, rolled_back_at = ?, error = ? WHERE version = ?",
        conn.table(HISTORY_TABLE)
    );
    let vals = [
        Val::Str(status.as_str()),
        Val::OptStr(rolled_back_at),
        Val::OptStr(error),
        Val::Str(version),
    ];
    run(conn, "recording a rollback in cutover_history", &upd, &vals)
        .await
        .map(|_| ())
}

/// Records an operator's decision (`accept_drift`, `resolve`) with its detail.
pub async fn decision(
    conn: &mut Conn,
    at: &str,
    operator: &str,
    kind: &str,
    version: &str,
    detail: &str,
) -> Result<(), DbError> {
    let ins = format!(
        "INSERT INTO {} (at, operator, kind, version, detail) VALUES (?, ?, ?, ?, ?)",
        conn.table(DECISIONS_TABLE)
    );
    let vals = [at, operator, kind, version, detail].map(Val::Str);
    run(conn, "recording the decision", &ins, &vals)
        .await
        .map(|_| ())
}

/// Corrects the recorded durations of files this run applied to their whole time, COMMIT
/// and bookkeeping included, which the row written inside the file's transaction cannot
/// know. One transaction for all of them, after the files: nothing extra per file.
pub async fn set_durations(conn: &mut Conn, durations: &[(String, i64)]) -> Result<(), DbError> {
    if durations.is_empty() {
        return Ok(());
    }
    let upd = format!(
        "UPDATE {} SET duration_ms = ? WHERE version = ?",
        conn.table(HISTORY_TABLE)
    );
    let ctx = "recording durations in cutover_history";
    conn.begin().await.map_err(|f| conn.failed(ctx, f))?;
    for (version, ms) in durations {
        let vals = [Val::I64(*ms), Val::Str(version)];
        if let Err(e) = run(conn, ctx, &upd, &vals).await {
            conn.rollback_quietly().await;
            return Err(e);
        }
    }
    conn.commit().await.map_err(|f| conn.failed(ctx, f))
}
