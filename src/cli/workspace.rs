//! Loading what every command needs: the plan, its migrations folder and batches.

use super::Global;
use crate::db::ConnectInfo;
use crate::engine::Workspace;
use crate::plan;
use crate::source::{self, ReadOptions};

/// Loads the plan (from -p, CUTOVER_PLAN, ./cutover.toml, or DATABASE_URL alone), reads
/// its folder and resolves its batches. Errors are returned as the message to print.
pub fn load(global: &Global) -> Result<(Workspace, ConnectInfo), String> {
    let plan = match plan::locate(global.plan.as_deref()).map_err(|e| e.to_string())? {
        Some(path) => plan::load(&path).map_err(|e| e.to_string())?,
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            plan::from_env_defaults(&cwd).map_err(|e| e.to_string())?
        }
    };
    let opts = ReadOptions {
        format: plan.migrations.format,
        pattern: plan.migrations.pattern.clone(),
    };
    let folder = source::read_folder(&plan.migrations.dir, &opts).map_err(|e| e.to_string())?;
    let batches = plan::resolve_batches(&plan, &folder.migrations).map_err(|e| e.to_string())?;
    let target = ConnectInfo {
        url: plan.target.url.clone(),
        display: plan::redacted_url(&plan.target.url),
        init_sql: plan.target.init_sql.clone(),
        create_missing: true,
    };
    Ok((
        Workspace {
            plan,
            folder,
            batches,
        },
        target,
    ))
}

/// Refuses, before anything connects, a backup policy that needs a tool this machine
/// lacks (`pg_dump`, `mariadb-dump`, ...): the message names it and how to install it.
pub fn require_backup_tools(ws: &Workspace, target: &ConnectInfo) -> Result<(), String> {
    match crate::db::dialect_of(&target.url) {
        Some(d) => crate::checkpoint::tools::require(ws.plan.checkpoints.backup, d)
            .map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

/// What a headless command that runs one engine job holds: the workspace, the target as
/// displayed, the engine's handle (one session per job), and the log file's guard (the
/// log is written until it drops).
pub struct Headless {
    pub ws: std::sync::Arc<Workspace>,
    pub display: String,
    pub handle: crate::engine::Handle,
    /// The session's journal: `close_journal` it once the events are read.
    pub journal: Option<super::journal::Recording>,
    _log: Option<(
        tracing_appender::non_blocking::WorkerGuard,
        std::path::PathBuf,
    )>,
}

/// Loads the plan, starts the log and the engine's per-job worker. On Err the error is
/// already printed and the value is the exit code.
pub async fn headless(global: &Global, mode: &str) -> Result<Headless, i32> {
    use crate::engine::{self, Sessions, Setup};
    let (ws, target) = load(global).map_err(|e| {
        super::print_error(&e);
        crate::report::exit::CANNOT_RUN
    })?;
    let log = crate::logging::init(&ws.plan.base_dir)
        .map_err(|e| errln!("warning: {e}"))
        .ok()
        .flatten();
    let ws = std::sync::Arc::new(ws);
    let display = target.display.clone();
    let rec = super::journal::open(mode, &ws, &display, global.operator()).map_err(|e| {
        super::print_error(&e);
        crate::report::exit::CANNOT_RUN
    })?;
    let setup = Setup {
        ws: ws.clone(),
        target,
        operator: global.operator(),
        warnings: Vec::new(),
    };
    let handle = engine::start(setup, Sessions::PerJob).await.map_err(|e| {
        super::print_error(&e);
        crate::report::exit::CANNOT_RUN
    })?;
    let (handle, journal) = super::journal::attach(rec, handle);
    Ok(Headless {
        ws,
        display,
        handle,
        journal: Some(journal),
        _log: log,
    })
}

/// Runs a headless command's `work` on its engine session, recorded: the journal is
/// opened before the engine starts (a session that cannot be recorded is refused) and
/// closed once the work has read every event.
pub async fn recorded<F, Fut>(global: &Global, mode: &str, work: F) -> i32
where
    F: FnOnce(Headless) -> Fut,
    Fut: std::future::Future<Output = i32>,
{
    let mut headless = match headless(global, mode).await {
        Ok(h) => h,
        Err(code) => return code,
    };
    let journal = headless.journal.take();
    let code = work(headless).await;
    close_journal(journal, code).await
}

/// Closes a headless session's journal once the command's events were read: says where
/// it is; a journal that could not be written makes the exit code 2.
pub async fn close_journal(journal: Option<super::journal::Recording>, code: i32) -> i32 {
    match journal {
        Some(j) => j.close(code).await,
        None => code,
    }
}
