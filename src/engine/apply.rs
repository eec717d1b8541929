//! The apply job: connect, lock, check drift, then run the pending files in order,
//! batch by batch, stopping at the first failure.

use super::run_file::{self, FileJob, RunError};
use super::{Drift, Emitter, EngineError, Session, Workspace};
use crate::db::ledger::{self, Status};
use crate::db::{self, native, ConnectInfo};
use crate::event::{Event, FileStatus, Level, Outcome};
use crate::source::Kind;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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

/// Runs the apply job. `cancel` is checked between files (never inside one).
pub async fn apply(
    ws: &Workspace,
    target: &ConnectInfo,
    opts: &ApplyOptions,
    em: &Emitter,
    cancel: Arc<AtomicBool>,
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
        let result = session.apply(ws, opts, em, cancel).await;
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

/// Which migrations (indices) this run should apply, in order.
fn select(
    ws: &Workspace,
    applied: &HashMap<String, ledger::Entry>,
    opts: &ApplyOptions,
) -> Result<Vec<usize>, EngineError> {
    let migs = &ws.folder.migrations;
    let is_pending = |i: usize| {
        let m = &migs[i];
        match applied.get(m.version.as_str()) {
            Some(e) if e.status == Status::Applied => {
                m.kind == Kind::Repeatable && e.checksum != m.checksum
            }
            _ => true,
        }
    };
    let mut scope: Vec<usize> = match &opts.batch {
        Some(sel) => {
            let b = ws.find_batch(sel).ok_or_else(|| {
                EngineError::Selection(format!(
                    "no batch {sel:?}: the plan has {}\n  hint: --batch takes a number from 1 or a batch name",
                    ws.batches
                        .iter()
                        .map(|b| format!("{} {:?}", b.number, b.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            for earlier in &ws.batches[..b] {
                let pending: Vec<&str> = earlier
                    .migrations
                    .iter()
                    .filter(|&&i| is_pending(i))
                    .map(|&i| migs[i].version.as_str())
                    .collect();
                if !pending.is_empty() {
                    return Err(EngineError::Selection(format!(
                        "batch {} ({}) cannot start: batch {} ({}) still has pending files: {}\n  hint: apply batch {} first",
                        b + 1, ws.batches[b].name, earlier.number, earlier.name, pending.join(", "), earlier.number
                    )));
                }
            }
            ws.batches[b].migrations.clone()
        }
        None => ws
            .batches
            .iter()
            .flat_map(|b| b.migrations.iter().copied())
            .collect(),
    };
    if let Some(to) = &opts.to {
        let target = crate::source::Version::parse(to);
        let Some(last) = migs.iter().position(|m| {
            m.kind == Kind::Versioned && m.version.cmp(&target).is_eq() || m.version.as_str() == to
        }) else {
            return Err(EngineError::Selection(format!(
                "--to {to}: no migration has that version\n  hint: `cutover status` lists the versions"
            )));
        };
        let limit = migs[last].version.clone();
        scope.retain(|&i| migs[i].kind == Kind::Versioned && migs[i].version <= limit);
    }
    Ok(scope.into_iter().filter(|&i| is_pending(i)).collect())
}

/// Brings cutover's ledger in line with what the folder's own tool recorded: versions it
/// applied count as applied; versions it reverted since are marked rolled back; when its
/// table was just created, it is filled from our ledger.
async fn adopt(
    conn: &mut db::Conn,
    ws: &Workspace,
    n: &native::History,
    entries: &mut HashMap<String, ledger::Entry>,
    em: &Emitter,
    operator: &str,
) -> Result<(), EngineError> {
    let migs = &ws.folder.migrations;
    let tool = n.tool.name();
    if n.created {
        // The tool's table is new this session: fill it from our ledger, once. Later
        // jobs of the same session find those rows (and the ones they wrote) there.
        let have = n.recorded(conn, migs).await?.applied;
        for (i, m) in migs.iter().enumerate() {
            let Some(e) = entries.get(m.version.as_str()) else {
                continue;
            };
            if e.status == Status::Applied && !have.contains(&i) {
                let took = std::time::Duration::from_millis(e.duration_ms.max(0) as u64);
                n.record_apply(conn, m, migs, took, operator).await?;
            }
        }
        return Ok(());
    }
    let rec = n.recorded(conn, migs).await?;
    if let Some(v) = rec.dirty {
        return Err(EngineError::Ledger(format!(
            "{tool} marked version {v} as failed in {}: what it left behind must be checked by a person\n  hint: repair the database, clear the mark with {tool}'s own command, then run cutover again",
            n.table
        )));
    }
    if !rec.mismatched.is_empty() {
        let drift = rec
            .mismatched
            .iter()
            .map(|(i, recorded, disk)| Drift {
                version: migs[*i].version.to_string(),
                file: migs[*i].path.display().to_string(),
                applied_checksum: recorded.clone(),
                disk_checksum: disk.clone(),
                diff: format!("({tool} keeps only a checksum of what it applied: {recorded}; the file on disk gives {disk})\n"),
            })
            .collect();
        return Err(EngineError::Drift(drift));
    }
    for v in &rec.unknown {
        em.log(
            Level::Warn,
            format!("{tool} recorded version {v}, which no file in the folder has"),
        )
        .await;
    }
    let mut adopted = 0;
    for &i in &rec.applied {
        let m = &migs[i];
        // Applied already, or waiting for an operator's decision: never adopt over that.
        if entries
            .get(m.version.as_str())
            .is_some_and(|e| e.status == Status::Applied || e.status.unresolved())
        {
            continue;
        }
        let e = ledger::Entry {
            version: m.version.to_string(),
            name: m.name.clone(),
            checksum: m.checksum.clone(),
            batch: ws
                .batch_of(i)
                .map(|b| ws.batches[b].name.clone())
                .unwrap_or_default(),
            status: Status::Applied,
            applied_at: Some(run_file::now()),
            applied_by: Some(format!("{tool} (adopted)")),
            duration_ms: 0,
            rolled_back_at: None,
            sql_text: m.up_sql.clone(),
            error: None,
        };
        ledger::record(conn, &e).await?;
        entries.insert(e.version.clone(), e);
        adopted += 1;
    }
    if adopted > 0 {
        em.log(
            Level::Info,
            format!(
                "adopted {adopted} version(s) {tool} had applied, from {}",
                n.table
            ),
        )
        .await;
    }
    // Applied in our ledger, absent from the tool's: the tool reverted it since.
    for (i, m) in migs.iter().enumerate() {
        // A changed repeatable is pending again, not reverted.
        if rec.applied.contains(&i) || m.kind == Kind::Repeatable {
            continue;
        }
        if let Some(e) = entries
            .get_mut(m.version.as_str())
            .filter(|e| e.status == Status::Applied)
        {
            e.status = Status::RolledBack;
            e.rolled_back_at = Some(run_file::now());
            ledger::record(conn, e).await?;
            em.log(
                Level::Warn,
                format!(
                    "{} was reverted with {tool} since cutover applied it; marked rolled back",
                    m.path.display()
                ),
            )
            .await;
        }
    }
    Ok(())
}

impl Session {
    /// Applies what `opts` selects, in this session (its connection and lock).
    pub async fn apply(
        &mut self,
        ws: &Workspace,
        opts: &ApplyOptions,
        em: &Emitter,
        cancel: Arc<AtomicBool>,
    ) -> Result<ApplyReport, EngineError> {
        let native = self.native.clone();
        apply_with(&mut self.conn, ws, opts, em, cancel, native.as_ref()).await
    }
}

async fn apply_with(
    conn: &mut db::Conn,
    ws: &Workspace,
    opts: &ApplyOptions,
    em: &Emitter,
    cancel: Arc<AtomicBool>,
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
        if cancel.load(Ordering::SeqCst) {
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
                em.emit(Event::FileStatus {
                    version: fr.version.clone(),
                    status: FileStatus::Failed,
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

/// Records the operator's `--resolve` decisions about partly applied files.
async fn resolve(
    conn: &mut db::Conn,
    ws: &Workspace,
    opts: &ApplyOptions,
    native: Option<&native::History>,
    entries: &mut HashMap<String, ledger::Entry>,
    em: &Emitter,
) -> Result<(), EngineError> {
    let migs = &ws.folder.migrations;
    for (v, how) in &opts.resolve {
        let Some(e) = entries.get_mut(v).filter(|e| e.status.unresolved()) else {
            return Err(EngineError::Selection(format!(
                "--resolve {v}: no file with that version is running or partly applied\n  hint: `cutover status` shows each file's status"
            )));
        };
        let at = run_file::now();
        let i = migs.iter().position(|m| m.version.as_str() == v);
        let in_tool = match (native, i) {
            (Some(n), Some(i)) => n.recorded(conn, migs).await?.applied.contains(&i),
            _ => false,
        };
        match how {
            Resolution::Applied => {
                if let (Some(n), Some(i), false) = (native, i, in_tool) {
                    n.record_apply(
                        conn,
                        &migs[i],
                        migs,
                        std::time::Duration::ZERO,
                        &opts.operator,
                    )
                    .await?;
                }
                e.status = Status::Applied;
                e.error = None;
                ledger::record(conn, e).await?;
            }
            Resolution::Pending => {
                if let (Some(n), Some(i), true) = (native, i, in_tool) {
                    n.record_revert(conn, &migs[i], migs, &opts.operator)
                        .await?;
                }
                ledger::delete(conn, v).await?;
                entries.remove(v);
            }
        }
        let detail = format!("resolved as {how:?}").to_lowercase();
        ledger::decision(conn, &at, &opts.operator, "resolve", v, &detail).await?;
        em.log(Level::Warn, format!("{v}: {detail} by {}", opts.operator))
            .await;
    }
    Ok(())
}

/// A file that may be partly applied never runs again until an operator has looked.
fn check_unresolved(entries: &HashMap<String, ledger::Entry>) -> Result<(), EngineError> {
    let mut unresolved: Vec<&ledger::Entry> =
        entries.values().filter(|e| e.status.unresolved()).collect();
    if !unresolved.is_empty() {
        unresolved.sort_by(|a, b| a.version.cmp(&b.version));
        let lines: Vec<String> = unresolved
            .iter()
            .map(|e| {
                let what = if e.status == Status::Running {
                    "was running outside a transaction when cutover stopped or could not record it"
                } else {
                    "failed after some of its statements had taken effect"
                };
                format!(
                    "  {} ({}) {what} ({} by {}{})",
                    e.version,
                    e.name,
                    e.applied_at.as_deref().unwrap_or("?"),
                    e.applied_by.as_deref().unwrap_or("?"),
                    e.error
                        .as_deref()
                        .map(|x| format!("; {x}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        return Err(EngineError::Ledger(format!(
            "part of a file may be applied; nothing was run:\n{}\n  hint: check the target, then record what you found: `cutover apply --resolve VERSION=applied` (all of it took effect) or `--resolve VERSION=pending` (undone by hand; it runs again)",
            lines.join("\n")
        )));
    }
    Ok(())
}

/// Drift and missing files stop the run before anything is applied.
fn check_drift(
    ws: &Workspace,
    entries: &HashMap<String, ledger::Entry>,
) -> Result<(), EngineError> {
    let migs = &ws.folder.migrations;
    let file_of = |v: &str| migs.iter().find(|m| m.version.as_str() == v);
    let mut drift = Vec::new();
    let mut missing = Vec::new();
    for e in entries.values().filter(|e| e.status == Status::Applied) {
        match file_of(&e.version) {
            Some(m) if m.kind == Kind::Versioned && m.checksum != e.checksum => {
                drift.push(Drift::new(
                    &e.version,
                    &m.path.display().to_string(),
                    (&e.checksum, &e.sql_text),
                    (&m.checksum, &m.up_sql),
                ))
            }
            Some(_) => {}
            None => missing.push(format!("{} ({})", e.version, e.name)),
        }
    }
    if !drift.is_empty() {
        drift.sort_by(|a, b| a.version.cmp(&b.version));
        return Err(EngineError::Drift(drift));
    }
    if !missing.is_empty() {
        missing.sort();
        return Err(EngineError::Ledger(format!(
            "applied to this target but missing from {}: {}\n  hint: check out the revision of the migrations folder that matches this database",
            ws.folder.dir.display(),
            missing.join(", ")
        )));
    }
    Ok(())
}

/// The files this run applies, in order; refuses a selection that would run a file out
/// of order.
fn plan_run(
    ws: &Workspace,
    entries: &HashMap<String, ledger::Entry>,
    opts: &ApplyOptions,
) -> Result<Vec<usize>, EngineError> {
    let migs = &ws.folder.migrations;
    let todo = select(ws, entries, opts)?;
    // A pending versioned file below the newest applied one would run out of order.
    let newest_applied = migs
        .iter()
        .filter(|m| m.kind == Kind::Versioned)
        .filter(|m| {
            entries
                .get(m.version.as_str())
                .is_some_and(|e| e.status == Status::Applied)
        })
        .map(|m| &m.version)
        .max();
    if let Some(newest) = newest_applied {
        let early: Vec<&str> = todo
            .iter()
            .map(|&i| &migs[i])
            .filter(|m| m.kind == Kind::Versioned && &m.version < newest)
            .map(|m| m.version.as_str())
            .collect();
        if !early.is_empty() {
            return Err(EngineError::Selection(format!(
                "out of order: {} not applied, but the newer {newest} is\n  hint: give the new file a version after {newest}",
                early.join(", ")
            )));
        }
    }
    Ok(todo)
}

/// `--dry-run`: what `apply` would do, read without writing anything to the target: no
/// database file created, no table, no lock row, no adoption. The operator's
/// `--accept-drift` and `--resolve` are taken as given, in memory only.
async fn dry_run(
    ws: &Workspace,
    target: &ConnectInfo,
    opts: &ApplyOptions,
    em: &Emitter,
) -> Result<ApplyReport, EngineError> {
    let migs = &ws.folder.migrations;
    let info = ConnectInfo {
        create_missing: false,
        ..target.clone()
    };
    let mut entries: HashMap<String, ledger::Entry> = HashMap::new();
    match db::connect(&info).await {
        Ok((mut conn, _)) => {
            let read = async {
                let ours = ledger::read(&mut conn).await?;
                let theirs = native::peek(&mut conn, ws.folder.format, migs).await?;
                Ok::<_, db::DbError>((ours, theirs))
            }
            .await;
            conn.close().await;
            let (ours, theirs) = read?;
            entries = ours.into_iter().map(|e| (e.version.clone(), e)).collect();
            for i in theirs.map(|r| r.applied).unwrap_or_default() {
                let m = &migs[i];
                entries
                    .entry(m.version.to_string())
                    .or_insert_with(|| ledger::Entry {
                        version: m.version.to_string(),
                        name: m.name.clone(),
                        checksum: m.checksum.clone(),
                        batch: String::new(),
                        status: Status::Applied,
                        applied_at: None,
                        applied_by: None,
                        duration_ms: 0,
                        rolled_back_at: None,
                        sql_text: m.up_sql.clone(),
                        error: None,
                    });
            }
        }
        Err(db::DbError::Missing { .. }) => {
            em.log(
                Level::Info,
                format!(
                    "{} does not exist yet; apply would create it",
                    target.display
                ),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    em.log(Level::Info, "dry run: nothing is written to the target")
        .await;
    for (v, how) in &opts.resolve {
        match how {
            Resolution::Applied => {
                if let Some(e) = entries.get_mut(v) {
                    e.status = Status::Applied;
                }
            }
            Resolution::Pending => {
                entries.remove(v);
            }
        }
    }
    for v in &opts.accept_drift {
        if let (Some(e), Some(m)) = (
            entries.get_mut(v),
            migs.iter().find(|m| m.version.as_str() == v),
        ) {
            e.checksum = m.checksum.clone();
        }
    }
    check_unresolved(&entries)?;
    check_drift(ws, &entries)?;
    let todo = plan_run(ws, &entries, opts)?;
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
    for i in todo {
        let m = &migs[i];
        let batch = ws
            .batch_of(i)
            .map(|b| ws.batches[b].name.clone())
            .unwrap_or_default();
        em.log(
            Level::Info,
            format!(
                "would apply {} ({}) in batch {batch}",
                m.version,
                m.path.display()
            ),
        )
        .await;
        report.files.push(FileReport {
            version: m.version.to_string(),
            name: m.name.clone(),
            file: m.path.display().to_string(),
            batch,
            status: FileStatus::Pending,
            duration_ms: 0,
            line: None,
            error: None,
            partly_applied: false,
        });
    }
    Ok(report)
}
