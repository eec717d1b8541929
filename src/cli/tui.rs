//! `cutover [tui]`: the cockpit on a plan.

use super::{workspace, Global};
use crate::engine::{Emitter, Session};
use crate::event::Event;
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
    let operator = global.operator();
    let (tx, rx) = tokio::sync::mpsc::channel(4096);
    let em = Emitter::new(tx);
    em.emit(Event::SessionStarted {
        plan: ws.plan.name.clone(),
        target: target.display.clone(),
        operator: operator.clone(),
        host: crate::engine::host(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
    .await;
    // The terminal belongs to the cockpit: the log panel says it, once.
    let _log = match log {
        Ok(guard) => guard,
        Err(e) => {
            em.log(crate::event::Level::Warn, e.to_string()).await;
            None
        }
    };
    // Open the session (and so take the lock) before taking the screen: a target held
    // by another cutover is refused with the holder's name on a normal terminal.
    let session = match Session::open(&target, &operator, &ws, &em).await {
        Ok(s) => s,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    tracing::info!(plan = %ws.plan.name, target = %target.display, "cockpit opened");
    match crate::ui::app::run(Arc::new(ws), session, theme, operator, em, rx).await {
        Ok(None) => exit::OK,
        // SIGTERM or SIGHUP: the job stopped after its current file, as on Ctrl-C.
        Ok(Some(_)) => exit::INTERRUPTED,
        Err(e) => {
            super::print_error(&format!("terminal: {e}"));
            exit::CANNOT_RUN
        }
    }
}
