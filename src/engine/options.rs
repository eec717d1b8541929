//! What an apply job is asked to do: the operator's selection and decisions. A leaf of
//! the engine, so the job and its steps (preflight, dry run, resolve) all import it and
//! not each other.

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
    /// `--force-progress REASON`: go on past a batch whose validation failed, recorded
    /// with the operator and this reason.
    pub force_progress: Option<String>,
}

/// The engine's word for it is the command vocabulary's.
pub use crate::command::Resolution;
