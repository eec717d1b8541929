//! `cutover [tui]`: the cockpit on a plan.

use super::{workspace, Global};
use crate::engine;
use crate::report::exit;
use crate::ui::theme::{Depth, Theme};
use std::io::IsTerminal;
use std::sync::Arc;

pub async fn run(global: &Global) -> i32 {
    let (ws, target) = match workspace::load(global) {
        Ok(w) => w,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    if let Err(e) = workspace::require_backup_tools(&ws, &target) {
        super::print_error(&e);
        return exit::CANNOT_RUN;
    }
    let choice = global.theme.clone().or_else(|| ws.plan.theme.clone());
    let theme = match Theme::load(choice.as_deref(), &ws.plan.base_dir, Depth::detect()) {
        Ok(t) => t,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        super::print_error(&"the cockpit needs a terminal\n  hint: for scripts and CI, use `cutover apply` (same engine, plain output)");
        return exit::CANNOT_RUN;
    }
    let log = crate::logging::init(&ws.plan.base_dir);
    // The terminal belongs to the cockpit: the log panel says it, once.
    let (_log, warnings) = match log {
        Ok(guard) => (guard, Vec::new()),
        Err(e) => (None, vec![e.to_string()]),
    };
    let (plan, shown) = (ws.plan.name.clone(), target.display.clone());
    // What the recording's header says of the session (the engine's SessionStarted too).
    let session = crate::ui::record::SessionInfo {
        plan: plan.clone(),
        target: shown.clone(),
        operator: global.operator(),
        host: engine::host(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    // Every session is recorded: one that cannot be is refused before it starts.
    let sessions = crate::journal::sessions_dir(&ws.plan.base_dir.join(".cutover"));
    if let Err(source) = crate::journal::prepare(&sessions) {
        super::print_error(&crate::journal::JournalError::Create {
            path: sessions,
            source,
        });
        return exit::CANNOT_RUN;
    }
    let sha = (!ws.plan.sha256.is_empty()).then(|| ws.plan.sha256.clone());
    let mut journal = crate::ui::record::JournalRecorder::new(
        sessions,
        chrono::Utc::now().timestamp_millis(),
        sha,
    );
    let setup = engine::Setup {
        ws: Arc::new(ws),
        target,
        operator: global.operator(),
        warnings,
    };
    // The session opens (and so takes the lock) before the screen is taken: a target
    // held by another cutover is refused with the holder's name on a normal terminal.
    let handle = match engine::start(setup, engine::Sessions::Held).await {
        Ok(h) => h,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    tracing::info!(plan = %plan, target = %shown, "cockpit opened");
    let result = crate::ui::app::run(handle, theme, session, &mut journal).await;
    let recorded = journal.finish();
    let code = match result {
        Ok(None) => exit::OK,
        // SIGTERM or SIGHUP: the job stopped after its current file, as on Ctrl-C.
        Ok(Some(_)) => exit::INTERRUPTED,
        Err(e) if journal_error(&e) => {
            super::print_error(&e);
            exit::CANNOT_RUN
        }
        Err(e) => {
            super::print_error(&format!("terminal: {e}"));
            exit::CANNOT_RUN
        }
    };
    match recorded {
        Ok(Some(path)) => errln!("session recorded in {}", path.display()),
        Ok(None) => {}
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    }
    code
}

/// Whether the loop ended because the journal could not be written.
fn journal_error(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<crate::journal::JournalError>())
}
