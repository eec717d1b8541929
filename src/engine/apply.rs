//! The apply job: connect, lock, check drift, then run the pending files in order,
//! batch by batch, stopping at the first failure.

use super::adopt::adopt;
use super::dry_run::dry_run;
use super::preflight::{check_drift, check_unresolved, plan_run};
use super::resolve::resolve;
use super::run_file::{self, FileJob, RunError};
use super::stop::Interrupt;
use super::{Emitter, EngineError, Session, Stop, Workspace};
use crate::db::ledger;
use crate::db::{self, native, ConnectInfo};
use crate::event::{Event, FileStatus, Level, Outcome};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// `--batch N|NAME`: that batch only; the batches before it must be applied.
    pub batch: Option<String>,
    /// `--to VERSION`: up to and including that version.
    pub to: Option<String>,
    pub operator: String,
    /// `--accept-drift VERSION`: versions whose new text the operator accepts.
    pub accept_drift: Vec<String>,
    pub dry_run: bool,
    /// `--resolve VERSION=applied|pending`: what an operator found a partly applied file
    /// to be (a recorded decision).
    pub resolve: Vec<(String, Resolution)>,
}

/// What an operator found a `running` or `partial` file to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// All of its effects are there: record it as applied.
    Applied,
    /// None of its effects remain (undone by hand): it runs again next time.
    Pending,
}

impl std::str::FromStr for Resolution {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "applied" => Ok(Resolution::Applied),
            "pending" => Ok(Resolution::Pending),
            _ => Err(format!("`{s}`: expected `applied` or `pending`")),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    pub version: String,
    pub name: String,
    pub file: String,
    pub batch: String,
    pub status: FileStatus,
    pub duration_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a failed file: whether some of its statements may remain applied (nothing
    /// undid them); such a file does not run again until resolved.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partly_applied: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApplyReport {
    pub outcome: Outcome,
    /// The files this run tried, in order.
    pub files: Vec<FileReport>,
    /// True when the SQLite database file did not exist and was created.
    pub created_database: bool,
    /// Why the run stopped when it could not go on (outcome `refused`) after it began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs the apply job. `stop` is checked between files; asked twice, it cancels the
/// running statement.
pub async fn apply(
    ws: &Workspace,
    target: &ConnectInfo,
    opts: &ApplyOptions,
    em: &Emitter,
    stop: &Stop,
) -> Result<ApplyReport, EngineError> {
    em.emit(Event::SessionStarted {
        plan: ws.plan.name.clone(),
        target: target.display.clone(),
        operator: opts.operator.clone(),
        host: super::session::host(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
    .await;
    em.emit(Event::JobStarted {
        job: "apply".into(),
    })
    .await;
    let result = async {
        if opts.dry_run {
            return dry_run(ws, target, opts, em).await;
        }
        let mut session = Session::open(target, &opts.operator, ws, em).await?;
        let result = session.apply(ws, opts, em, stop).await;
        let created = session.created_database;
        session.close(em).await;
        result.map(|mut r| {
            r.created_database = created;
            r
        })
    }
    .await;
    let outcome = match &result {
        Ok(r) => r.outcome,
        Err(_) => Outcome::Refused,
    };
    em.emit(Event::JobFinished {
        job: "apply".into(),
        outcome,
    })
    .await;
    em.emit(Event::SessionEnded).await;
    result
}

impl Session {
    /// Applies what `opts` selects, in this session (its connection and lock).
    pub async fn apply(
        &mut self,
        ws: &Workspace,
        opts: &ApplyOptions,
        em: &Emitter,
        stop: &Stop,
    ) -> Result<ApplyReport, EngineError> {
        let native = self.native.clone();
        let interrupt = Interrupt {
            stop,
            canceller: self.canceller.as_ref(),
        };
        apply_with(&mut self.conn, ws, opts, em, interrupt, native.as_ref()).await
    }
}

async fn apply_with(
    conn: &mut db::Conn,
    ws: &Workspace,
    opts: &ApplyOptions,
    em: &Emitter,
    interrupt: Interrupt<'_>,
    native: Option<&native::History>,
) -> Result<ApplyReport, EngineError> {
    let mut entries: HashMap<String, ledger::Entry> = ledger::read(conn)
        .await?
        .into_iter()
        .map(|e| (e.version.clone(), e))
        .collect();
    if let Some(n) = native {
        adopt(conn, ws, n, &mut entries, em, &opts.operator).await?;
    }
    let migs = &ws.folder.migrations;
    let file_of = |v: &str| migs.iter().find(|m| m.version.as_str() == v);

    resolve(conn, ws, opts, native, &mut entries, em).await?;
    check_unresolved(&entries)?;

    // Accepting drift is a recorded decision, taken before the drift check.
    for v in &opts.accept_drift {
        let (Some(e), Some(m)) = (entries.get_mut(v), file_of(v)) else {
            return Err(EngineError::Selection(format!(
                "--accept-drift {v}: no applied file has that version"
            )));
        };
        if e.checksum == m.checksum {
            em.log(
                Level::Info,
                format!("--accept-drift {v}: no drift to accept"),
            )
            .await;
            continue;
        }
        ledger::accept_drift(
            conn,
            v,
            &m.checksum,
            &m.up_sql,
            &opts.operator,
            &run_file::now(),
            &e.checksum,
        )
        .await?;
        // The folder's own tool must see the new text as applied too.
        if let Some(n) = native {
            n.record_accept(conn, m).await?;
        }
        em.log(
            Level::Warn,
            format!("{}: drift accepted by {}", m.path.display(), opts.operator),
        )
        .await;
        e.checksum = m.checksum.clone();
        e.sql_text = m.up_sql.clone();
    }

    check_drift(ws, &entries)?;

    let todo = plan_run(ws, &entries, opts)?;
    let total = todo.len() as u64;
    let mut report = ApplyReport {
        outcome: if todo.is_empty() {
            Outcome::NothingToDo
        } else {
            Outcome::Succeeded
        },
        files: Vec::new(),
        created_database: false,
        error: None,
    };
    if todo.is_empty() {
        em.log(
            Level::Info,
            "nothing to apply: every selected file is applied",
        )
        .await;
        return Ok(report);
    }
    em.emit(Event::Progress {
        job: "apply".into(),
        done: 0,
        total,
    })
    .await;
    let mut current_batch: Option<usize> = None;
    for (n, &i) in todo.iter().enumerate() {
        if interrupt.stop.stopping() {
            report.outcome = Outcome::Cancelled;
            em.log(Level::Warn, "stopped by the operator between files")
                .await;
            break;
        }
        let m = &migs[i];
        let b = ws.batch_of(i).unwrap_or(0);
        let batch = ws.batches.get(b);
        let batch_name = batch.map_or("", |b| b.name.as_str());
        if current_batch != Some(b) {
            if let Some(prev) = current_batch {
                em.emit(Event::BatchFinished {
                    batch: prev + 1,
                    outcome: Outcome::Succeeded,
                })
                .await;
            }
            em.emit(Event::BatchStarted {
                batch: b + 1,
                name: batch_name.to_string(),
            })
            .await;
            current_batch = Some(b);
        }
        let mut fr = FileReport {
            version: m.version.to_string(),
            name: m.name.clone(),
            file: m.path.display().to_string(),
            batch: batch_name.to_string(),
            status: FileStatus::Pending,
            duration_ms: 0,
            line: None,
            error: None,
            partly_applied: false,
        };
        let job = FileJob {
            migration: m,
            format: ws.folder.format,
            all: migs,
            batch: batch_name,
            operator: &opts.operator,
            native,
            interrupt: Some(interrupt),
        };
        match run_file::run(conn, &job, em).await {
            Ok(ms) => {
                fr.status = FileStatus::Applied;
                fr.duration_ms = ms;
                em.emit(Event::FileApplied {
                    version: fr.version.clone(),
                    duration_ms: ms as f64,
                })
                .await;
                em.emit(Event::FileStatus {
                    version: fr.version.clone(),
                    status: FileStatus::Applied,
                    detail: None,
                })
                .await;
                report.files.push(fr);
                em.emit(Event::Progress {
                    job: "apply".into(),
                    done: n as u64 + 1,
                    total,
                })
                .await;
            }
            Err(RunError::File(f)) if f.cancelled => {
                cancelled_file(em, &mut fr, &f).await;
                report.files.push(fr);
                report.outcome = Outcome::Cancelled;
                break;
            }
            Err(RunError::File(f)) => {
                let where_ = format!("{}:{}", fr.file, f.line);
                let after = if f.rolled_back {
                    "its transaction was rolled back; nothing of it remains"
                } else {
                    "statements before the failing one may remain applied"
                };
                em.emit(Event::FileFailed {
                    version: fr.version.clone(),
                    file: fr.file.clone(),
                    line: f.line,
                    message: f.message.clone(),
                })
                .await;
                // The ledger's word: a failure nothing undid leaves the file `partial`.
                let status = if f.rolled_back {
                    FileStatus::Failed
                } else {
                    FileStatus::Partial
                };
                em.emit(Event::FileStatus {
                    version: fr.version.clone(),
                    status,
                    detail: Some(format!("{where_}: {}", f.message)),
                })
                .await;
                em.log(Level::Error, format!("{where_}: {}; {after}", f.message))
                    .await;
                fr.status = FileStatus::Failed;
                fr.line = Some(f.line);
                fr.error = Some(f.message);
                fr.partly_applied = !f.rolled_back;
                report.files.push(fr);
                report.outcome = Outcome::Failed;
                break;
            }
            // Bookkeeping failed: stop, keeping what this run already did in the report.
            Err(RunError::Db(e)) => {
                fr.status = FileStatus::Failed;
                fr.error = Some(e.to_string());
                report.files.push(fr);
                report.error = Some(e.to_string());
                report.outcome = Outcome::Refused;
                break;
            }
            Err(RunError::Unrecorded(msg)) => {
                // Its `running` row stays: that is what the screen must show.
                em.emit(Event::FileStatus {
                    version: fr.version.clone(),
                    status: FileStatus::Running,
                    detail: Some(msg.clone()),
                })
                .await;
                fr.status = FileStatus::Failed;
                fr.error = Some(msg.clone());
                fr.partly_applied = true;
                report.files.push(fr);
                report.error = Some(msg);
                report.outcome = Outcome::Refused;
                break;
            }
        }
    }
    if let Some(b) = current_batch {
        em.emit(Event::BatchFinished {
            batch: b + 1,
            outcome: report.outcome,
        })
        .await;
    }
    Ok(report)
}

/// Says what the operator's cancel left: a rolled-back file stays pending; one outside a
/// transaction is `partial` until resolved.
async fn cancelled_file(em: &Emitter, fr: &mut FileReport, f: &run_file::FileFailure) {
    let where_ = format!("{}:{}", fr.file, f.line);
    let (status, after) = if f.rolled_back {
        (
            FileStatus::Pending,
            "its transaction was rolled back: nothing of it remains and it stays pending"
                .to_string(),
        )
    } else {
        (
            FileStatus::Partial,
            format!(
                "it ran outside a transaction, so the statements before it remain applied: it is marked partial\n  hint: check the target, then `cutover apply --resolve {}=applied` (all of it is there) or `=pending` (undone by hand), or `r` in the cockpit",
                fr.version
            ),
        )
    };
    em.emit(Event::FileStatus {
        version: fr.version.clone(),
        status,
        detail: Some(format!("{where_}: {}", f.message)),
    })
    .await;
    em.log(Level::Warn, format!("{where_}: {}; {after}", f.message))
        .await;
    fr.status = if f.rolled_back {
        FileStatus::Pending
    } else {
        FileStatus::Failed
    };
    fr.line = Some(f.line);
    fr.error = Some(f.message.clone());
    fr.partly_applied = !f.rolled_back;
}
