//! What the pending files would change, found without changing the target: SQLite runs
//! them on a temporary copy of the database file; PostgreSQL runs them inside one
//! transaction that is rolled back (statements that cannot run in a transaction are
//! listed, not run); MySQL/MariaDB only lists them, because DDL commits implicitly there
//! and nothing it did could be undone. The changes are the schema difference (tables and
//! columns added, altered and dropped, and the other items the fingerprint covers).

use crate::checkpoint::scratch::Scratch;
use crate::db::schema::{self, Schema};
use crate::db::{self, ConnectInfo, DbError};
use crate::engine::{run_file, sandbox, Emitter, EngineError, Workspace};
use crate::event::Level;
use crate::sql::{self, Dialect};
use serde::Serialize;

/// How long a PostgreSQL dry run waits for a lock before giving up: its DDL takes the
/// same locks as the real run, and it must not queue behind (and in front of) the
/// application's traffic for long.
const LOCK_TIMEOUT: &str = "5s";

#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// How they were found: `temporary copy`, `rolled-back transaction`, or `listed`
    /// (nothing ran).
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint_after: Option<String>,
    /// One line per difference: `+ table orders`, `- column users.email`, ...
    pub changes: Vec<String>,
    /// Statements that were listed and not run, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_run: Vec<Listed>,
    /// MySQL/MariaDB: every statement the files hold, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Listed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The statement that failed; nothing after it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<DryFailure>,
}

/// A statement named by its place in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub version: String,
    pub file: String,
    pub line: usize,
    /// Its first line.
    pub sql: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DryFailure {
    pub version: String,
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Finds what the files `todo` (indices, in order) would change on the target.
pub(in crate::engine) async fn find(
    ws: &Workspace,
    target: &ConnectInfo,
    todo: &[usize],
    em: &Emitter,
) -> Result<Changes, EngineError> {
    match db::dialect_of(&target.url) {
        Some(Dialect::Postgres) => in_rollback(ws, target, todo).await,
        Some(Dialect::Mysql) => Ok(listed(ws, todo)),
        _ => on_copy(ws, target, todo, em).await,
    }
}

fn first_line(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

fn listed_at(ws: &Workspace, i: usize, st: &sql::Statement, why: Option<String>) -> Listed {
    let m = &ws.folder.migrations[i];
    Listed {
        version: m.version.to_string(),
        file: m.path.display().to_string(),
        line: st.line,
        sql: first_line(&st.sql),
        why,
    }
}

fn failure_at(ws: &Workspace, i: usize, f: sandbox::Failed) -> DryFailure {
    let m = &ws.folder.migrations[i];
    DryFailure {
        version: m.version.to_string(),
        file: m.path.display().to_string(),
        line: f.line,
        message: f.message,
    }
}

/// The changes between two schemas, filled into `c`.
fn compare(c: &mut Changes, before: &Schema, after: &Schema) {
    c.fingerprint_before = Some(before.fingerprint());
    c.fingerprint_after = Some(after.fingerprint());
    c.changes = schema::diff(before, after).lines();
}

/// SQLite: the files run on a copy in a temporary folder, removed afterwards.
async fn on_copy(
    ws: &Workspace,
    target: &ConnectInfo,
    todo: &[usize],
    em: &Emitter,
) -> Result<Changes, EngineError> {
    let mut said = Vec::new();
    let scratch = Scratch::create(target, &mut |l| said.push(l))
        .await
        .map_err(|e| EngineError::Scratch(e.to_string()))?;
    for l in said {
        em.log(Level::Info, l).await;
    }
    let result = run_on(ws, &scratch.info, todo).await;
    if let Err(e) = scratch.drop_now().await {
        em.log(Level::Warn, e.to_string()).await;
    }
    let mut c = result?;
    c.method = "temporary copy".into();
    Ok(c)
}

async fn run_on(
    ws: &Workspace,
    copy: &ConnectInfo,
    todo: &[usize],
) -> Result<Changes, EngineError> {
    let (mut conn, _) = db::connect(copy).await?;
    let result = async {
        let skip = schema::bookkeeping_tables(ws.folder.format);
        let before = schema::introspect(&mut conn, &skip).await?;
        let mut c = Changes::default();
        for &i in todo {
            let m = &ws.folder.migrations[i];
            let (stmts, wrap) = sandbox::up(m, ws.folder.format, conn.dialect);
            if let Err(f) = sandbox::run(&mut conn, &stmts, &wrap).await {
                c.failure = Some(failure_at(ws, i, f));
                return Ok(c);
            }
        }
        let after = schema::introspect(&mut conn, &skip).await?;
        compare(&mut c, &before, &after);
        Ok::<_, DbError>(c)
    }
    .await;
    conn.close().await;
    Ok(result?)
}

/// PostgreSQL: every statement that can runs inside one transaction on the target, which
/// is then rolled back; a lost connection or a killed process rolls it back too.
async fn in_rollback(
    ws: &Workspace,
    target: &ConnectInfo,
    todo: &[usize],
) -> Result<Changes, EngineError> {
    let info = ConnectInfo {
        create_missing: false,
        ..target.clone()
    };
    let (mut conn, _) = db::connect(&info).await?;
    let result = rolled_back(ws, &mut conn, todo).await;
    conn.rollback_quietly().await;
    conn.close().await;
    let mut c = result?;
    c.method = "rolled-back transaction".into();
    c.notes.push(format!(
        "ran inside one transaction on the target, then rolled back (lock_timeout {LOCK_TIMEOUT}); sequences that inserts drew from stay advanced, as PostgreSQL never rolls them back"
    ));
    Ok(c)
}

async fn rolled_back(
    ws: &Workspace,
    conn: &mut db::Conn,
    todo: &[usize],
) -> Result<Changes, EngineError> {
    let query_error = |f: db::SqlFailure| {
        EngineError::Db(DbError::Query {
            target: conn_display(ws),
            context: "dry run".into(),
            message: f.message,
        })
    };
    conn.begin().await.map_err(query_error)?;
    conn.execute(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        .await
        .map_err(query_error)?;
    let skip = schema::bookkeeping_tables(ws.folder.format);
    let before = schema::introspect(conn, &skip).await?;
    let mut c = Changes::default();
    for &i in todo {
        let m = &ws.folder.migrations[i];
        for st in m.statements(ws.folder.format, Dialect::Postgres) {
            let why = if sql::is_transaction_control(&st.sql, Dialect::Postgres).is_some() {
                Some("transaction control: the dry run's own transaction stays open".to_string())
            } else {
                sql::cannot_run_in_transaction(&st.sql, Dialect::Postgres).map(str::to_string)
            };
            if let Some(why) = why {
                c.not_run.push(listed_at(ws, i, &st, Some(why)));
                continue;
            }
            if let Err(f) = conn.execute(&st.sql).await {
                let line = run_file::failing_line(&st, f.position);
                let failed = sandbox::Failed {
                    line,
                    message: f.message,
                };
                c.failure = Some(failure_at(ws, i, failed));
                return Ok(c);
            }
        }
    }
    let after = schema::introspect(conn, &skip).await?;
    compare(&mut c, &before, &after);
    if !c.not_run.is_empty() {
        c.notes.push(
            "statements listed as not run are left out of the changes, and what follows them ran without them"
                .into(),
        );
    }
    Ok(c)
}

fn conn_display(ws: &Workspace) -> String {
    crate::plan::redacted_url(&ws.plan.target.url)
}

/// MySQL/MariaDB: the statements, listed; nothing runs.
fn listed(ws: &Workspace, todo: &[usize]) -> Changes {
    let mut c = Changes {
        method: "listed".into(),
        ..Changes::default()
    };
    for &i in todo {
        let m = &ws.folder.migrations[i];
        for st in m.statements(ws.folder.format, Dialect::Mysql) {
            let why = sql::implicit_commit(&st.sql).then(|| "commits implicitly".to_string());
            c.statements.push(listed_at(ws, i, &st, why));
        }
    }
    c.notes.push(
        "nothing was run: on MySQL/MariaDB DDL commits implicitly, so it cannot be tried inside a transaction and undone; `cutover rehearse` runs the files on a scratch copy of the target instead"
            .into(),
    );
    c
}
