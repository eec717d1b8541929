//! The signals that ask cutover to stop, registered once at start so that none
//! arriving later is missed: Ctrl-C (SIGINT), SIGTERM, and SIGHUP (a dropped SSH
//! session). SIGHUP is treated as SIGTERM: killing a migration because a terminal went
//! away would be the worst moment to stop.

use tokio::signal::unix::{signal, Signal, SignalKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sig {
    Interrupt,
    Terminate,
    Hangup,
}

impl Sig {
    pub fn name(self) -> &'static str {
        match self {
            Sig::Interrupt => "interrupt",
            Sig::Terminate => "SIGTERM",
            Sig::Hangup => "SIGHUP (terminal closed)",
        }
    }
}

pub struct Signals {
    int: Option<Signal>,
    term: Option<Signal>,
    hup: Option<Signal>,
}

impl Signals {
    /// Registers for all three now. A signal that cannot be registered (never on Unix)
    /// keeps its default action.
    pub fn register() -> Signals {
        Signals {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// Registers for SIGTERM and SIGHUP only: in the cockpit Ctrl-C is a key (raw mode).
    pub fn register_without_interrupt() -> Signals {
        Signals {
            int: None,
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// Adds Ctrl-C, once the terminal is back in cooked mode (the cockpit left it).
    pub fn add_interrupt(&mut self) {
        if self.int.is_none() {
            self.int = signal(SignalKind::interrupt()).ok();
        }
    }

    /// The next signal.
    pub async fn next(&mut self) -> Sig {
        tokio::select! {
            _ = recv(&mut self.int) => Sig::Interrupt,
            _ = recv(&mut self.term) => Sig::Terminate,
            _ = recv(&mut self.hup) => Sig::Hangup,
        }
    }
}

async fn recv(s: &mut Option<Signal>) {
    match s {
        Some(sig) => {
            if sig.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}
