//! MariaDB/MySQL: `mariadb-dump --single-transaction` (or `mysqldump`) of the target's
//! database; restored through the `mariadb` (or `mysql`) client after dropping every
//! table, view, sequence and routine the database holds now (the dump's own `DROP TABLE
//! IF EXISTS` would leave a table created after the backup in place).
//!
//! DDL commits implicitly on MariaDB/MySQL: a restore cannot be one transaction. A
//! restore that fails midway leaves the target partly restored; the backup is intact
//! (checked before), and restoring again is the way on: the error says so.

use super::super::tools;
use super::super::{Backup, CheckpointError};
use super::{run_dump, Partial, ToolEvent};
use crate::db::{Conn, ConnectInfo};
use std::path::Path;

fn bq(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn no_database() -> CheckpointError {
    CheckpointError::Backup(
        "the target URL names no database\n  hint: put the database in [target] url (mysql://user@host/DATABASE)".into(),
    )
}

pub(super) async fn backup(
    url: &str,
    dest: &Path,
    tables: u64,
    progress: &mut (dyn FnMut(ToolEvent) + Send),
) -> Result<Backup, CheckpointError> {
    let (mut cmd, db) = tools::my_dump(url)?;
    let db = db.ok_or_else(no_database)?;
    let tool = cmd
        .program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = Partial::new(dest);
    cmd.args.extend([
        "--single-transaction".to_string(),
        "--routines".to_string(),
        "--triggers".to_string(),
        "--hex-blob".to_string(),
        "--no-tablespaces".to_string(),
        "--skip-dump-date".to_string(),
        "--default-character-set=utf8mb4".to_string(),
        "--verbose".to_string(),
        format!("--result-file={}", partial.tmp.display()),
        "--".to_string(),
        db.clone(),
    ]);
    run_dump(
        &cmd,
        url,
        "Retrieving table structure for table",
        tables,
        progress,
    )
    .await?;
    super::postgres::finish(partial, &tool, &db).await
}

/// The statements that empty the database before the dump is loaded.
async fn drop_all(url: &str) -> Result<String, CheckpointError> {
    let info = ConnectInfo {
        url: url.to_string(),
        display: crate::plan::redacted_url(url),
        init_sql: Vec::new(),
        create_missing: false,
    };
    let (mut conn, _) = crate::db::connect(&info)
        .await
        .map_err(|e| CheckpointError::Backup(format!("cannot restore: {e}")))?;
    let r = list_objects(&mut conn).await;
    conn.close().await;
    let objects = r.map_err(|m| CheckpointError::Backup(format!("cannot restore: {m}")))?;
    let mut sql = format!(
        "SET FOREIGN_KEY_CHECKS = 0;\nSET SESSION lock_wait_timeout = {};\n",
        super::LOCK_WAIT.as_secs()
    );
    for (kind, name) in objects {
        sql.push_str(&format!("DROP {kind} IF EXISTS {};\n", bq(&name)));
    }
    Ok(sql)
}

/// (kind, name) of every view, table, sequence and routine of the current database,
/// views first (they depend on tables).
async fn list_objects(conn: &mut Conn) -> Result<Vec<(String, String)>, String> {
    let q = |sql: &'static str| sql;
    let mut out = Vec::new();
    for (kind, sql) in [
        ("VIEW", q("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'VIEW'")),
        ("SEQUENCE", q("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'SEQUENCE'")),
        ("TABLE", q("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type IN ('BASE TABLE', 'SYSTEM VERSIONED')")),
        ("PROCEDURE", q("SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'PROCEDURE'")),
        ("FUNCTION", q("SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'FUNCTION'")),
    ] {
        let names = conn.column_strings(sql).await.map_err(|f| f.message)?;
        out.extend(names.into_iter().map(|n| (kind.to_string(), n)));
    }
    Ok(out)
}

pub(super) async fn restore(
    url: &str,
    b: &Backup,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), CheckpointError> {
    let (mut cmd, db) = tools::my_client(url)?;
    let db = db.ok_or_else(no_database)?;
    let pre = {
        let mut p = b.path.as_os_str().to_owned();
        p.push(format!(".restore-{}.sql", std::process::id()));
        Partial::new(&std::path::PathBuf::from(p))
    };
    std::fs::write(&pre.tmp, drop_all(url).await?)
        .map_err(|e| CheckpointError::Backup(format!("restore: {e}")))?;
    cmd.args.extend([
        "--default-character-set=utf8mb4".to_string(),
        format!("--database={db}"),
        "--batch".to_string(),
    ]);
    // Both files through stdin, one after the other, as `mariadb db < file` would.
    let input = tokio::io::AsyncReadExt::chain(
        tokio::fs::File::open(&pre.tmp)
            .await
            .map_err(|e| CheckpointError::Backup(format!("restore: {e}")))?,
        tokio::fs::File::open(&b.path)
            .await
            .map_err(|e| CheckpointError::Backup(format!("restore: {e}")))?,
    );
    super::run_tool_input(&cmd, url, "restore", Box::new(input), progress)
        .await
        .map_err(|e| CheckpointError::Backup(format!(
            "{e}\n  (MariaDB/MySQL cannot restore in one transaction: the target may be partly restored; the backup is intact, restore it again once the cause is fixed)"
        )))
}
