//! Dialogs as components. Each dialog kind is a small type that owns its state and its
//! key handling: while it is open it takes every key (none reaches the screen beneath),
//! and it defaults to cancel — Esc (or `n` where a key is not text) closes it, and
//! nothing happens unless the operator explicitly confirms. What a confirmation does is
//! the dialog's payload, handed back in [`Outcome::Confirmed`]; the reducer carries it
//! out. Pure: no clock, no I/O.
//!
//! - [`confirm`]: yes/no (quit while a job runs, cancel the running statement).
//! - [`resolve`]: pick what a `running`/`partial` file turned out to be, then confirm.
//! - [`text`]: a [`TextInput`] and [`TypedConfirm`], a dialog confirmed only by typing
//!   an expected word (rollback: the version, the batch name, or `EMERGENCY`).
//! - [`rollback`]: the rollback preview (files, restores, lost rows, notes) around a
//!   [`TypedConfirm`], and the restore offered after a failed rollback.
//! - [`force`]: going on past a batch whose validation failed, confirmed by typing the
//!   batch's name.

pub mod confirm;
pub mod force;
pub mod resolve;
pub mod rollback;
pub mod text;

pub use text::{TextInput, TypedConfirm};

/// What an open dialog did with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<P> {
    /// Swallowed: the key means nothing here, nothing changed, the dialog stays open.
    Ignored,
    /// The dialog's own state changed (text typed, a choice picked); it stays open.
    Changed,
    /// Closed without doing anything.
    Cancelled,
    /// Closed by an explicit confirmation: this is what to do.
    Confirmed(P),
}
