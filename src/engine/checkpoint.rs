//! The engine's side of checkpoints: the migration window an apply run works in, the
//! checkpoint taken before each file (fingerprint, table statistics, a backup where the
//! plan's policy says so), and its lifecycle as the file runs.
//!
//! When a backup is taken, by `[checkpoints] backup`:
//! - `session` (the default): once, when the window opens;
//! - `per-batch`: when the window opens, and before the first file of each batch that
//!   has none in this window yet;
//! - `per-file`: when the window opens, and before every file;
//! - `none`: never.
//!
//! A backup is not taken twice of the same state: the file right after a backup (no
//! file ran in between) shares it.
//!
//! If a checkpoint cannot be taken the file does not run (safer): the run stops, says
//! why, and how to go on (`backup = "none"`).

use super::run_file::FileJob;
use super::{Emitter, EngineError, Workspace};
use crate::checkpoint::{self, Backup, Checkpoint, NewCheckpoint, Store, ToolEvent};
use crate::db::schema;
use crate::db::{Conn, ConnectInfo};
use crate::event::{CheckpointState, Event, FileStatus, Level};
use crate::plan::BackupPolicy;
use std::collections::HashMap;

/// What the run knows of its window and its last backup.
pub(super) struct Checkpointer {
    store: Store,
    policy: BackupPolicy,
    row_limit: u64,
    /// The target as displayed: the store's key.
    target: String,
    /// The target's URL (with its password: only ever handed to tools by environment).
    url: String,
    skip: Vec<String>,
    window: i64,
    /// The window start, while it waits to turn active with the first file applied.
    start: Option<i64>,
    /// The last backup taken in this run, while no file has run since: the next
    /// checkpoint shares it instead of taking the same state again.
    fresh: Option<Backup>,
}

fn refused(e: impl std::fmt::Display) -> EngineError {
    EngineError::Checkpoint(format!(
        "{e}\n  nothing was applied: a file runs only after its checkpoint is taken\n  hint: fix the cause and apply again, or set `backup = \"none\"` under [checkpoints] to go on without backups"
    ))
}

impl Checkpointer {
    /// Opens the state store and the target's migration window; when none was open
    /// (the target at rest), or the window has no usable start, takes the window-start
    /// checkpoint (with its backup, unless the policy is `none`).
    pub(super) async fn begin(
        conn: &mut Conn,
        ws: &Workspace,
        target: &ConnectInfo,
        operator: &str,
        em: &Emitter,
    ) -> Result<Checkpointer, EngineError> {
        // Before the window opens: a policy this machine cannot honour runs nothing.
        checkpoint::tools::require(ws.plan.checkpoints.backup, conn.dialect)
            .map_err(|e| EngineError::Checkpoint(e.to_string()))?;
        let store = Store::open(&ws.plan.base_dir).await.map_err(refused)?;
        let (window, opened) = store
            .begin_window(&target.display, operator)
            .await
            .map_err(refused)?;
        let start = store.window_start(&target.display).await.map_err(refused)?;
        if opened {
            em.log(
                Level::Info,
                format!(
                    "migration window #{} opened on {} (closed by `cutover close`)",
                    window.id, target.display
                ),
            )
            .await;
        }
        let mut cp = Checkpointer {
            store,
            policy: ws.plan.checkpoints.backup,
            row_limit: ws.plan.checkpoints.checksum_row_limit,
            target: target.display.clone(),
            url: target.url.clone(),
            skip: schema::bookkeeping_tables(ws.folder.format),
            window: window.id,
            start: start
                .as_ref()
                .filter(|c| c.status == CheckpointState::Validated)
                .map(|c| c.id),
            fresh: None,
        };
        cp.remove_stale_partials();
        if start.is_none() {
            let backup = cp.policy != BackupPolicy::None;
            let c = cp
                .take(conn, None, None, backup, em)
                .await
                .map_err(refused)?;
            cp.start = Some(c.id);
        }
        Ok(cp)
    }

    /// Removes what a killed backup left (`*.partial`, restore work files) in this
    /// window's folder: no backup is being written there, since the run holds the
    /// target's lock and the folder is the target's window's.
    fn remove_stale_partials(&self) {
        let dir = self.store.backup_dir(self.window);
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".partial") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// Before a file: the checkpoint it is undone to. Err: it could not be taken, and
    /// the file must not run.
    pub(super) async fn before_file(
        &mut self,
        conn: &mut Conn,
        job: &FileJob<'_>,
        em: &Emitter,
    ) -> Result<i64, String> {
        let version = job.migration.version.to_string();
        em.emit(Event::FileStatus {
            version: version.clone(),
            status: FileStatus::Checkpointing,
            detail: None,
        })
        .await;
        let backup = self
            .wants_backup(job.batch, &version)
            .await
            .map_err(|e| e.to_string())?;
        let c = self
            .take(conn, Some(&version), Some(job.batch), backup, em)
            .await
            .map_err(|e| {
                format!(
                    "{version}: no checkpoint could be taken, so it did not run: {e}\n  hint: fix the cause and apply again, or set `backup = \"none\"` under [checkpoints] to go on without backups"
                )
            })?;
        Ok(c.id)
    }

    /// After a file ran: an applied file makes its checkpoint (and the window start, the
    /// first time) active; any file that ran makes the last backup stale.
    pub(super) async fn after_file(&mut self, id: i64, applied: bool, em: &Emitter) {
        self.fresh = None;
        if !applied {
            return;
        }
        let mut ids = vec![id];
        ids.extend(self.start.take());
        for id in ids {
            match self.store.set_status(id, CheckpointState::Active).await {
                Ok(()) => {
                    em.emit(Event::CheckpointStatus {
                        id,
                        status: CheckpointState::Active,
                        detail: None,
                    })
                    .await
                }
                Err(e) => em.log(Level::Warn, e.to_string()).await,
            }
        }
    }

    /// Whether the checkpoint before `version`, a file of `batch`, takes a backup, by
    /// policy. Per batch: unless a live checkpoint of the batch taken before another file
    /// holds one. A checkpoint taken before this very file is left out: the file was
    /// rolled back and runs again, that checkpoint is about to be superseded, and the
    /// database may have changed since its backup.
    async fn wants_backup(
        &self,
        batch: &str,
        version: &str,
    ) -> Result<bool, checkpoint::CheckpointError> {
        Ok(match self.policy {
            BackupPolicy::None | BackupPolicy::Session => false,
            BackupPolicy::PerFile => true,
            BackupPolicy::PerBatch => {
                let cps = self.store.in_open_window(&self.target).await?;
                !cps.iter().any(|c| {
                    c.batch.as_deref() == Some(batch)
                        && c.version.as_deref() != Some(version)
                        && c.backup.is_some()
                        && matches!(
                            c.status,
                            CheckpointState::Validated | CheckpointState::Active
                        )
                })
            }
        })
    }

    /// Records a checkpoint (schema, fingerprint, stats) and its backup if asked.
    async fn take(
        &mut self,
        conn: &mut Conn,
        version: Option<&str>,
        batch: Option<&str>,
        backup: bool,
        em: &Emitter,
    ) -> Result<Checkpoint, checkpoint::CheckpointError> {
        let db = |e: crate::db::DbError| checkpoint::CheckpointError::Store(e.to_string());
        let started = std::time::Instant::now();
        let schema = schema::introspect(conn, &self.skip).await.map_err(db)?;
        let stats = schema::table_stats(conn, &schema, self.row_limit)
            .await
            .map_err(db)?;
        let fingerprint = schema.fingerprint();
        let (c, superseded) = self
            .store
            .record(&NewCheckpoint {
                window: self.window,
                target: &self.target,
                version,
                batch,
                fingerprint: &fingerprint,
                schema: &schema,
                stats: &stats,
                awaits_backup: backup && self.fresh.is_none(),
            })
            .await?;
        for id in superseded {
            em.emit(Event::CheckpointStatus {
                id,
                status: CheckpointState::Superseded,
                detail: Some(format!(
                    "a new checkpoint, #{}, was taken before the same file",
                    c.id
                )),
            })
            .await;
        }
        em.emit(Event::CheckpointCreated(c.info(self.store.base_dir())))
            .await;
        em.log(
            Level::Debug,
            format!(
                "checkpoint {}: fingerprint {}, {} table(s), recorded in {:.1} ms",
                c.label(),
                checkpoint::short(&c.fingerprint),
                stats.len(),
                started.elapsed().as_secs_f64() * 1e3
            ),
        )
        .await;
        let result = if !backup {
            Ok(None)
        } else if let Some(b) = self.fresh.clone() {
            Ok(Some(b))
        } else {
            self.backup(conn, &c, schema.table_names().len() as u64, em)
                .await
                .map(Some)
        };
        match result {
            Ok(b) => {
                if let Some(b) = &b {
                    self.store.attach_backup(c.id, b).await?;
                }
                self.fresh = b.or(self.fresh.take());
                em.emit(Event::CheckpointStatus {
                    id: c.id,
                    status: CheckpointState::Validated,
                    detail: None,
                })
                .await;
                let mut c = c;
                c.status = CheckpointState::Validated;
                Ok(c)
            }
            Err(e) => {
                let why = e.to_string();
                let first = why.lines().next().unwrap_or_default();
                let _ = self
                    .store
                    .set_status_detail(c.id, CheckpointState::Failed, Some(first))
                    .await;
                em.emit(Event::CheckpointStatus {
                    id: c.id,
                    status: CheckpointState::Failed,
                    detail: Some(first.to_string()),
                })
                .await;
                Err(e)
            }
        }
    }

    /// Takes a backup for checkpoint `c`, streaming the tool's lines and progress.
    async fn backup(
        &self,
        conn: &mut Conn,
        c: &Checkpoint,
        tables: u64,
        em: &Emitter,
    ) -> Result<Backup, checkpoint::CheckpointError> {
        let name = match &c.version {
            Some(v) => format!("{}-before-{}", c.id, safe(v)),
            None => format!("{}-window-start", c.id),
        };
        let dest = self.store.backup_dir(self.window).join(name);
        em.emit(Event::Progress {
            job: "backup".into(),
            done: 0,
            total: tables,
        })
        .await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
        let forward = {
            let em = em.clone();
            tokio::spawn(async move {
                while let Some(e) = rx.recv().await {
                    em.emit(e).await;
                }
            })
        };
        let started = std::time::Instant::now();
        let result = checkpoint::take_backup(conn, &self.url, &dest, tables, &mut |e| {
            let _ = tx.send(match e {
                ToolEvent::Line(text) => Event::Log {
                    level: Level::Debug,
                    text,
                },
                ToolEvent::Step { done, total } => Event::Progress {
                    job: "backup".into(),
                    done,
                    total,
                },
            });
        })
        .await;
        drop(tx);
        let _ = forward.await;
        if let Ok(b) = &result {
            em.emit(Event::Progress {
                job: "backup".into(),
                done: tables,
                total: tables,
            })
            .await;
            em.log(
                Level::Info,
                format!(
                    "backup for checkpoint {}: {} ({} bytes, sha256 {}, {} ms)",
                    c.label(),
                    b.path
                        .strip_prefix(self.store.base_dir())
                        .unwrap_or(&b.path)
                        .display(),
                    b.size,
                    checkpoint::short(&b.sha256),
                    started.elapsed().as_millis()
                ),
            )
            .await;
        }
        result
    }
}

/// A version as a file name part.
fn safe(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The id of the checkpoint each file was last applied from in the open window (for
/// `status --json`); empty without a state database or an open window.
pub async fn checkpoint_ids(ws: &Workspace, target: &str) -> HashMap<String, i64> {
    let state = ws.plan.base_dir.join(".cutover").join("state.db");
    if !state.exists() {
        return HashMap::new();
    }
    let Ok(store) = Store::open(&ws.plan.base_dir).await else {
        return HashMap::new();
    };
    store
        .in_open_window(target)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.status != CheckpointState::Failed)
        .filter_map(|c| c.version.map(|v| (v, c.id)))
        .collect()
}

/// The open window's checkpoints as events, for a screen that opens on a window in
/// progress (the cockpit shows each file's checkpoint).
pub async fn window_events(ws: &Workspace, target: &str, em: &Emitter) {
    if !ws.plan.base_dir.join(".cutover").join("state.db").exists() {
        return;
    }
    let Ok(store) = Store::open(&ws.plan.base_dir).await else {
        return;
    };
    for c in store.in_open_window(target).await.unwrap_or_default() {
        em.emit(Event::CheckpointCreated(c.info(&ws.plan.base_dir)))
            .await;
    }
}
