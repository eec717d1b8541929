//! The validate job, and the checks an apply runs: after each file (its verify script,
//! the database's default checks) and at the end of each batch (the batch's checks,
//! whose verdict says whether the next batch may start).
//!
//! Checks only read the target, so `cutover validate` takes no lock: it may run beside
//! an apply in another terminal. What it writes is local: each batch's validation, in
//! `.cutover/state.db`, so an apply knows the batch before it validated.

use super::{Emitter, Session, Workspace};
use crate::check::{self, Check, Context};
use crate::checkpoint::{Checkpoint, Store, StoredValidation};
use crate::db::{self, ledger, native, schema, Conn, ConnectInfo};
use crate::event::{BatchVerdict, CheckResult, CheckpointState, Event, Level, Outcome};
use std::collections::HashSet;

/// `cutover validate` in an open session (the cockpit's `v`): every applied batch's
/// checks (or that batch's), the database's own checks and the applied files' verify
/// scripts; framed by JobStarted/JobFinished("validate").
pub(crate) async fn in_session(
    session: &mut Session,
    ws: &Workspace,
    batch: Option<&str>,
    operator: &str,
    em: &Emitter,
) {
    em.emit(Event::JobStarted {
        job: "validate".into(),
    })
    .await;
    let target = session.target.clone();
    let outcome = validate(&mut session.conn, ws, &target, batch, operator, em).await;
    em.emit(Event::JobFinished {
        job: "validate".into(),
        outcome,
    })
    .await;
}

/// The same, headless: its own connection (no lock: checks only read), framed by
/// SessionStarted/SessionEnded.
pub(crate) async fn headless(
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    operator: &str,
    em: &Emitter,
) {
    em.emit(super::session::started(ws, target, operator)).await;
    em.emit(Event::JobStarted {
        job: "validate".into(),
    })
    .await;
    let info = ConnectInfo {
        create_missing: false,
        ..target.clone()
    };
    let outcome = match db::connect(&info).await {
        Ok((mut conn, _)) => {
            em.emit(super::job::plan_event(ws, conn.dialect)).await;
            let o = validate(&mut conn, ws, target, batch, operator, em).await;
            conn.close().await;
            o
        }
        Err(e) => {
            em.log(Level::Error, e.to_string()).await;
            Outcome::Refused
        }
    };
    em.emit(Event::JobFinished {
        job: "validate".into(),
        outcome,
    })
    .await;
    em.emit(Event::SessionEnded).await;
}

/// The whole validation: the database's default checks once, the verify scripts of the
/// applied files, then each selected batch's validation, then those batches' benchmarks.
async fn validate(
    conn: &mut Conn,
    ws: &Workspace,
    target: &ConnectInfo,
    batch: Option<&str>,
    operator: &str,
    em: &Emitter,
) -> Outcome {
    let applied = match applied(conn, ws).await {
        Ok(a) => a,
        Err(e) => {
            em.log(Level::Error, e).await;
            return Outcome::Refused;
        }
    };
    let batches: Vec<usize> = match batch {
        Some(sel) => match ws.batch_or_refuse(sel) {
            Ok(b) => vec![b],
            Err(e) => {
                em.log(Level::Error, e.to_string()).await;
                return Outcome::Refused;
            }
        },
        None => (0..ws.batches.len())
            .filter(|b| {
                let m = &ws.batches[*b].migrations;
                !m.is_empty() && m.iter().all(|i| applied.contains(i))
            })
            .collect(),
    };
    if let Some(b) = batch.and(batches.first().copied()) {
        let pending = ws.batches[b]
            .migrations
            .iter()
            .filter(|i| !applied.contains(i))
            .count();
        if pending > 0 {
            em.log(
                Level::Warn,
                format!(
                    "batch {} ({}) has {pending} file(s) not applied: its checks see a partly migrated database",
                    b + 1,
                    ws.batches[b].name
                ),
            )
            .await;
        }
    }
    let mut results = database_checks(conn, ws, em).await;
    let files: Vec<usize> = match batch {
        Some(_) => batches
            .iter()
            .flat_map(|b| ws.batches[*b].migrations.iter().copied())
            .filter(|i| applied.contains(i))
            .collect(),
        None => (0..ws.folder.migrations.len())
            .filter(|i| applied.contains(i))
            .collect(),
    };
    for i in files {
        let m = &ws.folder.migrations[i];
        if let Some(sql) = &m.verify_sql {
            let checks = [check::verify(m.version.as_str(), sql)];
            let mut ctx = context(conn, ws, None, Some(m.version.to_string()), em);
            results.extend(check::run(&mut ctx, &checks).await);
        }
    }
    if batches.is_empty() && batch.is_none() {
        em.log(
            Level::Info,
            "no batch has all its files applied: only the database's own checks ran",
        )
        .await;
    }
    for b in &batches {
        let (_, r) = self::batch(conn, ws, &target.display, *b, operator, em).await;
        results.extend(r);
    }
    let mut bench_failed = false;
    for b in &batches {
        let benches = super::bench::batch(conn, ws, target, *b, em).await;
        bench_failed |= benches.iter().any(|r| r.verdict.failed());
    }
    if bench_failed || results.iter().any(|r| !r.passed && r.severity.blocks()) {
        Outcome::Failed
    } else {
        Outcome::Succeeded
    }
}

/// The files (indices) applied on the target: cutover's ledger, and the folder's own
/// tool's history for files applied before cutover was used.
async fn applied(conn: &mut Conn, ws: &Workspace) -> Result<HashSet<usize>, String> {
    let entries = ledger::read(conn).await.map_err(|e| e.to_string())?;
    let done: HashSet<&str> = entries
        .iter()
        .filter(|e| e.status == ledger::Status::Applied)
        .map(|e| e.version.as_str())
        .collect();
    let mut out: HashSet<usize> = ws
        .folder
        .migrations
        .iter()
        .enumerate()
        .filter(|(_, m)| done.contains(m.version.as_str()))
        .map(|(i, _)| i)
        .collect();
    let known: HashSet<&str> = entries.iter().map(|e| e.version.as_str()).collect();
    let theirs = native::peek(conn, ws.folder.format, &ws.folder.migrations)
        .await
        .map_err(|e| e.to_string())?;
    for i in theirs.map(|r| r.applied).unwrap_or_default() {
        // cutover's ledger has the last word on files it knows (a rolled-back one).
        if !known.contains(ws.folder.migrations[i].version.as_str()) {
            out.insert(i);
        }
    }
    Ok(out)
}

fn context<'a>(
    conn: &'a mut Conn,
    ws: &'a Workspace,
    batch: Option<usize>,
    file: Option<String>,
    em: &'a Emitter,
) -> Context<'a> {
    Context {
        target: conn,
        source: None,
        checkpoint: None,
        base_dir: &ws.plan.base_dir,
        batch,
        file,
        em,
    }
}

/// The database's default checks (an orphan check per foreign key, integrity),
/// attributed to no batch and no file; a schema that cannot be read is a finding.
async fn database_checks(conn: &mut Conn, ws: &Workspace, em: &Emitter) -> Vec<CheckResult> {
    let skip = schema::bookkeeping_tables(ws.folder.format);
    match schema::introspect(conn, &skip).await {
        Ok(s) => {
            let checks = check::defaults(&s);
            let mut ctx = context(conn, ws, None, None, em);
            check::run_with(&mut ctx, &checks, Some(s)).await
        }
        Err(e) => vec![unreadable(None, None, &e.to_string(), em).await],
    }
}

/// The finding for a schema that could not be read (the default checks cannot run).
async fn unreadable(
    batch: Option<usize>,
    file: Option<String>,
    why: &str,
    em: &Emitter,
) -> CheckResult {
    let r = CheckResult {
        batch,
        file,
        check: "integrity".into(),
        kind: "integrity".into(),
        table: None,
        severity: crate::event::Severity::Error,
        passed: false,
        detail: format!("cannot read the target's schema: {why}"),
        rows: Vec::new(),
        elapsed_ms: 0.0,
    };
    em.emit(Event::CheckFinished(Box::new(r.clone()))).await;
    r
}

/// After file `migration` (index into the folder) is applied: its verify script and
/// the default checks, attributed to that file. Quick (under 100 ms on the demo): the
/// schema is read once for every check; only the foreign keys from or to the tables the
/// file may have changed rows or keys of are checked (`check::tables_written`,
/// `check::defaults_for`), each with one anti-join; and SQLite's integrity check is the
/// quick one, on those tables.
pub(crate) async fn after_file(
    conn: &mut Conn,
    ws: &Workspace,
    migration: usize,
    em: &Emitter,
) -> Vec<CheckResult> {
    let m = &ws.folder.migrations[migration];
    let version = m.version.to_string();
    let mut checks: Vec<Check> = Vec::new();
    if let Some(sql) = &m.verify_sql {
        checks.push(check::verify(&version, sql));
    }
    let skip = schema::bookkeeping_tables(ws.folder.format);
    let schema = match schema::introspect(conn, &skip).await {
        Ok(s) => {
            let touched = check::tables_written(&m.up_sql, conn.dialect, &s);
            checks.extend(check::defaults_for(&s, Some(&touched)));
            Some(s)
        }
        Err(e) => {
            let r = unreadable(None, Some(version.clone()), &e.to_string(), em).await;
            let mut ctx = context(conn, ws, None, Some(version), em);
            let mut out = check::run(&mut ctx, &checks).await;
            out.push(r);
            return out;
        }
    };
    if enforced(conn, &m.up_sql).await {
        for c in checks.iter_mut().filter(|c| c.kind() == "orphans") {
            c.enforced = true;
        }
    }
    let mut ctx = context(conn, ws, None, Some(version), em);
    check::run_with(&mut ctx, &checks, schema).await
}

/// Whether the database held every write of the file to its foreign keys, so that the
/// file cannot have left an orphan: enforcement is on in this session now (SQLite
/// `PRAGMA foreign_keys`, MySQL `@@foreign_key_checks`, PostgreSQL's triggers firing as
/// `origin`) and the file's text never names the switch that turns it off (a file that
/// turned it off and on again leaves no other trace). Deferred keys are checked at
/// commit, so they count too. Rows orphaned before the file are not its doing: the
/// batch's checks and `cutover validate` scan every key.
async fn enforced(conn: &mut Conn, up_sql: &str) -> bool {
    let text = up_sql.to_ascii_lowercase();
    let (switches, probe): (&[&str], &str) = match conn.dialect {
        crate::sql::Dialect::Sqlite => (&["foreign_keys", "defer_foreign_keys"], "PRAGMA foreign_keys"),
        crate::sql::Dialect::Mysql => (&["foreign_key_checks"], "SELECT CAST(@@foreign_key_checks AS SIGNED)"),
        crate::sql::Dialect::Postgres => (
            &["session_replication_role", "disable trigger"],
            "SELECT CAST(CASE WHEN current_setting('session_replication_role') = 'origin' THEN 1 ELSE 0 END AS BIGINT)",
        ),
    };
    if switches.iter().any(|s| text.contains(s)) {
        return false;
    }
    matches!(conn.scalar_i64(probe).await, Ok(1))
}

/// Batch `b`'s (0-based) validation: its configured checks, compared with the
/// checkpoint taken before its first file and with the plan's `[source]`; emits
/// `BatchValidated` and records it in the state database.
pub(crate) async fn batch(
    conn: &mut Conn,
    ws: &Workspace,
    target_display: &str,
    b: usize,
    operator: &str,
    em: &Emitter,
) -> (BatchVerdict, Vec<CheckResult>) {
    let spec = &ws.batches[b];
    let number = b + 1;
    let mut results = Vec::new();
    let mut checks = Vec::new();
    for c in &spec.checks {
        match check::parse(c) {
            Ok(c) => checks.push(c),
            // The plan refused these already; a check built otherwise still says why.
            Err(e) => results.push(invalid(number, c, &e, em).await),
        }
    }
    let store = match Store::open(&ws.plan.base_dir).await {
        Ok(s) => Some(s),
        Err(e) => {
            em.log(Level::Warn, e.to_string()).await;
            None
        }
    };
    let checkpoint = match &store {
        Some(s) if !checks.is_empty() => checkpoint_before(s, ws, target_display, b).await,
        _ => None,
    };
    let mut source = connect_source(ws, &checks, em).await;
    {
        let mut ctx = Context {
            target: conn,
            source: source.as_mut(),
            checkpoint: checkpoint.as_ref(),
            base_dir: &ws.plan.base_dir,
            batch: Some(number),
            file: None,
            em,
        };
        results.extend(check::run(&mut ctx, &checks).await);
    }
    if let Some(s) = source {
        s.close().await;
    }
    let verdict = check::verdict(&results);
    let passed = results.iter().filter(|r| r.passed).count();
    em.emit(Event::BatchValidated {
        batch: number,
        verdict,
        passed,
        total: results.len(),
    })
    .await;
    if let Some(store) = store {
        let v = StoredValidation {
            batch: number,
            batch_name: spec.name.clone(),
            verdict,
            passed,
            total: results.len(),
            at: super::run_file::now(),
            operator: operator.to_string(),
        };
        let findings: Vec<&CheckResult> = results.iter().filter(|r| !r.passed).collect();
        let json = serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into());
        if let Err(e) = store.record_validation(target_display, &v, &json).await {
            em.log(Level::Warn, format!("the validation was not recorded: {e}"))
                .await;
        }
    }
    (verdict, results)
}

/// A check the plan module should have refused: a failed result saying why.
async fn invalid(
    batch: usize,
    spec: &crate::plan::CheckSpec,
    why: &str,
    em: &Emitter,
) -> CheckResult {
    let r = CheckResult {
        batch: Some(batch),
        file: None,
        check: spec.name.clone().unwrap_or_else(|| spec.kind.clone()),
        kind: spec.kind.clone(),
        table: spec.table.clone(),
        severity: spec
            .severity
            .as_deref()
            .and_then(crate::event::Severity::parse)
            .unwrap_or_default(),
        passed: false,
        detail: format!("invalid check: {why}"),
        rows: Vec::new(),
        elapsed_ms: 0.0,
    };
    em.emit(Event::CheckFinished(Box::new(r.clone()))).await;
    r
}

/// The checkpoint taken before batch `b`'s first file: in the open window, else the
/// latest one (a window closed since); the window start's when the file had none.
async fn checkpoint_before(
    store: &Store,
    ws: &Workspace,
    target: &str,
    b: usize,
) -> Option<Checkpoint> {
    let first = ws.batches[b].migrations.first()?;
    let version = ws.folder.migrations[*first].version.to_string();
    if let Ok(Some(c)) = store.before(target, &version).await {
        return Some(c);
    }
    let all = store.list(target).await.ok()?;
    let usable = |c: &&Checkpoint| c.status != CheckpointState::Failed;
    all.iter()
        .rev()
        .filter(usable)
        .find(|c| c.version.as_deref() == Some(version.as_str()))
        .or_else(|| {
            all.iter()
                .rev()
                .filter(usable)
                .find(|c| c.version.is_none())
        })
        .cloned()
}

/// The plan's `[source]`, connected, when a check compares with it; a source that
/// cannot be reached is said, and those checks then say they could not compare.
async fn connect_source(ws: &Workspace, checks: &[Check], em: &Emitter) -> Option<Conn> {
    let src = ws.plan.source.as_ref()?;
    let wanted = checks.iter().any(|c| {
        matches!(c.kind(), "row_count" | "checksum")
            && matches!(c.compare(), Ok(check::Compare::Source))
    });
    if !wanted {
        return None;
    }
    let info = ConnectInfo {
        url: src.url.clone(),
        display: crate::plan::redacted_url(&src.url),
        init_sql: src.init_sql.clone(),
        create_missing: false,
    };
    match db::connect(&info).await {
        Ok((c, _)) => Some(c),
        Err(e) => {
            em.log(Level::Error, format!("[source]: {e}")).await;
            None
        }
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
