//! Taking and restoring backups, per backend. Every backup is written to a `.partial`
//! file, synced, then renamed into place and its folder synced: a killed process or a
//! failed tool leaves no file that could be mistaken for a backup, and a recorded one
//! survives a power cut.

mod mysql;
mod postgres;
mod sqlite;

use super::tools::ToolCommand;
use super::{verify_backup, Backup, CheckpointError};
use crate::db::Conn;
use crate::private::owner_only;
use crate::sql::Dialect;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, BufReader};

/// How long a backup or a restore waits for a lock another session holds before it
/// gives up (a PostgreSQL restore then changes nothing): an answer within a minute
/// beats a window that hangs.
pub(super) const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// What a backup tells as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolEvent {
    /// A line of the tool's output (already free of passwords: none is ever given to it
    /// by argument, and its output is scrubbed of the URL's anyway).
    Line(String),
    /// Tables done so far, out of `total` (0 when unknown).
    Step { done: u64, total: u64 },
}

/// Takes a backup of the target `conn` is connected to, to `dest` plus the backend's
/// extension (`.db`, `.dump`, `.sql`). `url` is the target's (with its password: only
/// ever handed to a tool by environment). `tables` is how many tables it holds (for
/// progress; 0 when unknown).
pub async fn take_backup(
    conn: &mut Conn,
    url: &str,
    dest: &Path,
    tables: u64,
    progress: &mut (dyn FnMut(ToolEvent) + Send),
) -> Result<Backup, CheckpointError> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir)
            .and_then(|()| owner_only(dir, 0o700))
            .map_err(|e| {
                CheckpointError::Backup(format!(
                    "cannot create {}: {e}\n  hint: cutover keeps backups beside the plan; make that folder writable",
                    dir.display()
                ))
            })?;
    }
    match conn.dialect {
        Dialect::Sqlite => sqlite::backup(conn, &dest.with_extension("db")).await,
        Dialect::Postgres => {
            let schema = conn.schema().unwrap_or("public").to_string();
            postgres::backup(url, &schema, &dest.with_extension("dump"), tables, progress).await
        }
        Dialect::Mysql => mysql::backup(url, &dest.with_extension("sql"), tables, progress).await,
    }
}

/// Restores a backup onto the target `url` (which holds the password: never print it).
/// Its sha256 is checked first: a missing or corrupted backup is refused
/// (`CheckpointError::Corrupt`) and nothing is touched. `progress` receives the tool's
/// output lines.
///
/// The target ends up as it was when the backup was taken: objects created since are
/// dropped, the bookkeeping tables are the backup's (see the module's notes on the
/// ledger). SQLite and PostgreSQL restore in one transaction (a failure changes
/// nothing); MariaDB cannot (DDL commits), so a failure there leaves the target partly
/// restored, and restoring again is the way on.
pub async fn restore(
    url: &str,
    b: &Backup,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), CheckpointError> {
    let path = b.path.clone();
    let check = b.clone();
    tokio::task::spawn_blocking(move || verify_backup(&check))
        .await
        .map_err(|e| CheckpointError::Backup(format!("verifying {}: {e}", path.display())))??;
    match crate::db::dialect_of(url) {
        Some(Dialect::Sqlite) => sqlite::restore(url, b).await,
        Some(Dialect::Postgres) => postgres::restore(url, b, progress).await,
        Some(Dialect::Mysql) => mysql::restore(url, b, progress).await,
        None => Err(CheckpointError::Backup(
            "cannot restore: the target URL has an unknown scheme".into(),
        )),
    }
}

/// A file being written: removed on drop unless `finish` renamed it into place.
pub(super) struct Partial {
    pub tmp: PathBuf,
    pub dest: PathBuf,
    done: bool,
}

impl Partial {
    pub fn new(dest: &Path) -> Partial {
        let mut tmp = dest.as_os_str().to_owned();
        tmp.push(".partial");
        let tmp = PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        Partial {
            tmp,
            dest: dest.to_path_buf(),
            done: false,
        }
    }

    /// Syncs the file, renames it into place, syncs the folder; returns its size.
    pub fn finish(mut self) -> Result<u64, CheckpointError> {
        let io = |e: std::io::Error| {
            CheckpointError::Backup(format!("writing {}: {e}", self.dest.display()))
        };
        // A backup holds the data: readable by its owner only, whatever the umask.
        owner_only(&self.tmp, 0o600).map_err(io)?;
        let f = std::fs::File::open(&self.tmp).map_err(io)?;
        f.sync_all().map_err(io)?;
        let size = f.metadata().map_err(io)?.len();
        std::fs::rename(&self.tmp, &self.dest).map_err(io)?;
        if let Some(dir) = self.dest.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        self.done = true;
        Ok(size)
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Runs a tool to its end, its stderr (and stdout, unless `stdout` takes it) streamed
/// line by line to `on_line` with the URL's secrets scrubbed. A non-zero exit is an
/// error that quotes the tool's last lines.
pub(super) async fn run_tool(
    cmd: &ToolCommand,
    url: &str,
    what: &str,
    stdout: Option<std::fs::File>,
    on_line: &mut (dyn FnMut(String) + Send),
) -> Result<(), CheckpointError> {
    run(cmd, url, what, stdout, None, on_line).await
}

/// Runs a dump tool: its output lines are passed on, and each line holding `marker`
/// (the tool's word for starting a table) counts as one of `tables` progress steps.
pub(super) async fn run_dump(
    cmd: &ToolCommand,
    url: &str,
    marker: &str,
    tables: u64,
    progress: &mut (dyn FnMut(ToolEvent) + Send),
) -> Result<(), CheckpointError> {
    let mut done = 0u64;
    run_tool(cmd, url, "backup", None, &mut |line: String| {
        let table = line.contains(marker);
        progress(ToolEvent::Line(line));
        if table {
            done += 1;
            progress(ToolEvent::Step {
                done,
                total: tables,
            });
        }
    })
    .await
}

/// Input a tool reads on stdin.
pub(super) type Input = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

/// `run_tool` with `input` fed to the tool's stdin.
pub(super) async fn run_tool_input(
    cmd: &ToolCommand,
    url: &str,
    what: &str,
    input: Input,
    on_line: &mut (dyn FnMut(String) + Send),
) -> Result<(), CheckpointError> {
    run(cmd, url, what, None, Some(input), on_line).await
}

async fn run(
    cmd: &ToolCommand,
    url: &str,
    what: &str,
    stdout: Option<std::fs::File>,
    input: Option<Input>,
    on_line: &mut (dyn FnMut(String) + Send),
) -> Result<(), CheckpointError> {
    let mut c = cmd.command();
    c.stderr(std::process::Stdio::piped());
    if input.is_some() {
        c.stdin(std::process::Stdio::piped());
    }
    match stdout {
        Some(f) => c.stdout(std::process::Stdio::from(f)),
        None => c.stdout(std::process::Stdio::piped()),
    };
    let mut child = c.spawn().map_err(|e| {
        CheckpointError::Backup(format!(
            "{what}: cannot start {}: {e}",
            cmd.program.display()
        ))
    })?;
    // A tool that stops reading (it failed) ends the copy with a broken pipe: its exit
    // status says what went wrong, so the copy's own error is not reported.
    let feeder = match (input, child.stdin.take()) {
        (Some(mut input), Some(mut stdin)) => Some(tokio::spawn(async move {
            let _ = tokio::io::copy(&mut input, &mut stdin).await;
        })),
        _ => None,
    };
    let mut tail: Vec<String> = Vec::new();
    let mut err_lines = child.stderr.take().map(|s| BufReader::new(s).lines());
    let mut out_lines = child.stdout.take().map(|s| BufReader::new(s).lines());
    let mut take = |line: String, tail: &mut Vec<String>| {
        let line = crate::db::scrub(&line, url);
        if tail.len() >= 5 {
            tail.remove(0);
        }
        tail.push(line.clone());
        on_line(line);
    };
    loop {
        tokio::select! {
            l = async { match err_lines.as_mut() { Some(r) => r.next_line().await, None => std::future::pending().await } } => match l {
                Ok(Some(line)) => take(line, &mut tail),
                _ => err_lines = None,
            },
            l = async { match out_lines.as_mut() { Some(r) => r.next_line().await, None => std::future::pending().await } } => match l {
                Ok(Some(line)) => take(line, &mut tail),
                _ => out_lines = None,
            },
            else => break,
        }
        if err_lines.is_none() && out_lines.is_none() {
            break;
        }
    }
    if let Some(f) = feeder {
        let _ = f.await;
    }
    let status = child.wait().await.map_err(|e| {
        CheckpointError::Backup(format!("{what}: waiting for {}: {e}", cmd.display()))
    })?;
    if status.success() {
        return Ok(());
    }
    Err(CheckpointError::Backup(format!(
        "{what}: {} failed ({status}){}\n  hint: check that the tool can reach the target with the plan's URL and that its version matches the server's",
        cmd.program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        if tail.is_empty() {
            String::new()
        } else {
            format!(":\n    {}", tail.join("\n    "))
        }
    )))
}
