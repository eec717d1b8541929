//! What a journal tells an auditor: whether its chain holds, whose session it was, what
//! the operator did and when, which files were applied and rolled back, which checks
//! failed, who overrode a failed validation, and how the session ended. Only the lines
//! that checked are used: nothing past a broken line is reported as having happened.

use super::describe::{self, engine_event};
use super::{Integrity, Journal, ReadError};
use crate::event::{Did, Event, FileStatus, Input, Outcome, Severity};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The header fields an audit reads (serde ignores the rest: theme, depth...).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Header {
    #[serde(default)]
    pub format: u32,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub plan_sha256: Option<String>,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub width: u16,
    #[serde(default)]
    pub height: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub file: PathBuf,
    pub integrity: Chain,
    pub session: Session,
    pub actions: Vec<Deed>,
    pub applied: Vec<FileMark>,
    pub rolled_back: Vec<FileMark>,
    pub checks_failed: Vec<FailedCheck>,
    pub overrides: Vec<Override>,
    pub outcome: SessionOutcome,
}

/// Whether the chain held.
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    /// `intact`, `truncated`, `broken`, or `unreadable` (sealed lines of a newer cutover).
    pub status: &'static str,
    /// Lines verified (the header included).
    pub verified_lines: usize,
    /// The first line that breaks the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// What it means for the reader, in one sentence.
    pub meaning: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub plan: String,
    pub plan_sha256: Option<String>,
    pub target: String,
    pub operator: String,
    pub host: String,
    pub version: String,
    /// `cockpit`, or the headless command that recorded it.
    pub mode: String,
    pub format: u32,
    /// UTC, RFC 3339 to the millisecond.
    pub started: String,
    /// When the session's end was recorded; None when it never was.
    pub ended: Option<String>,
    /// The last verified line's time.
    pub last_line: String,
    /// From the start to the last verified line.
    pub duration_ms: i64,
}

/// Something the operator did, or decided.
#[derive(Debug, Clone, Serialize)]
pub struct Deed {
    pub at: String,
    pub t_ms: i64,
    pub line: usize,
    /// `command`, `requested`, `resolve`, `confirmed`, `mistyped`, `cancelled`, `override`.
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileMark {
    pub at: String,
    pub t_ms: i64,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedCheck {
    pub at: String,
    pub t_ms: i64,
    pub check: String,
    pub kind: String,
    pub table: Option<String>,
    pub severity: Severity,
    pub batch: Option<usize>,
    pub file: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Override {
    pub at: String,
    pub t_ms: i64,
    pub batch: usize,
    pub operator: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionOutcome {
    pub jobs: Vec<JobOutcome>,
    /// Whether the session's end was recorded.
    pub ended_cleanly: bool,
    /// In words: the jobs' outcomes and how the session ended.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobOutcome {
    pub at: String,
    pub job: String,
    pub outcome: Outcome,
}

/// Why a file could not be audited at all.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The header line is a journal line but does not check: nothing can be trusted.
    #[error("{path}: line 1 (the session header): {why}\n  nothing in this journal can be trusted: it was edited")]
    HeaderBroken { path: PathBuf, why: String },
}

impl AuditError {
    /// Whether the file is a journal whose chain is broken (rather than not a journal).
    pub fn tampered(&self) -> bool {
        matches!(self, AuditError::HeaderBroken { .. })
    }
}

/// Reads, checks and audits the journal at `path`.
pub fn open(path: &Path) -> Result<Audit, AuditError> {
    match super::read::<Header, Input>(path) {
        Ok(j) => Ok(audit(&j)),
        Err(ReadError::NotAJournal { why, .. }) if looks_like_a_header(path) => {
            Err(AuditError::HeaderBroken {
                path: path.to_path_buf(),
                why: why.trim_start_matches("line 1: ").to_string(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the file starts as a journal's header line does (an edited header then
/// reads as tampering, not as some other file).
fn looks_like_a_header(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    head.starts_with(b"{\"seq\":0,\"t_ms\":") && head.windows(3).any(|w| w == b"at\"")
}

/// The audit of a journal as read.
pub fn audit(j: &Journal<Header, Input>) -> Audit {
    let wall = |t_ms: i64| super::wall(j.started_ms + t_ms);
    let mut a = Collect::default();
    for e in &j.entries {
        a.entry(e.line, e.t_ms, &e.input, &j.header, &wall);
    }
    let last = j.entries.last().map_or(0, |e| e.t_ms);
    let integrity = chain(&j.integrity);
    let outcome = outcome(&a, &j.integrity);
    let h = &j.header;
    Audit {
        file: j.path.clone(),
        integrity,
        session: Session {
            plan: h.plan.clone(),
            plan_sha256: h.plan_sha256.clone(),
            target: h.target.clone(),
            operator: h.operator.clone(),
            host: h.host.clone(),
            version: h.version.clone(),
            mode: h.mode.clone(),
            format: h.format,
            started: wall(0),
            ended: a.ended.map(&wall),
            last_line: wall(last),
            duration_ms: last,
        },
        actions: a.actions,
        applied: a.applied,
        rolled_back: a.rolled_back,
        checks_failed: a.checks_failed,
        overrides: a.overrides,
        outcome,
    }
}

/// What the entries add up to, gathered in one pass.
#[derive(Default)]
struct Collect {
    names: HashMap<String, String>,
    actions: Vec<Deed>,
    applied: Vec<FileMark>,
    rolled_back: Vec<FileMark>,
    checks_failed: Vec<FailedCheck>,
    overrides: Vec<Override>,
    jobs: Vec<JobOutcome>,
    ended: Option<i64>,
}

impl Collect {
    fn entry(
        &mut self,
        line: usize,
        t_ms: i64,
        input: &Input,
        h: &Header,
        wall: &dyn Fn(i64) -> String,
    ) {
        let at = wall(t_ms);
        if let Input::Operator { did, .. } = input {
            let who = if h.operator.is_empty() {
                "operator"
            } else {
                &h.operator
            };
            self.actions.push(Deed {
                at,
                t_ms,
                line,
                kind: kind(did),
                text: describe::deed(did, who),
            });
            return;
        }
        if let Some(s) = engine_event(input) {
            self.event(line, t_ms, at, &s.event);
        }
    }

    fn event(&mut self, line: usize, t_ms: i64, at: String, e: &Event) {
        match e {
            Event::PlanLoaded { batches } => {
                for f in batches.iter().flat_map(|b| &b.files) {
                    self.names.insert(f.version.clone(), f.name.clone());
                }
            }
            Event::FileApplied {
                version,
                duration_ms,
            } => self.applied.push(FileMark {
                at,
                t_ms,
                name: self.names.get(version).cloned(),
                version: version.clone(),
                duration_ms: Some(*duration_ms),
            }),
            Event::FileStatus {
                version,
                status: FileStatus::RolledBack,
                ..
            } => self.rolled_back.push(FileMark {
                at,
                t_ms,
                name: self.names.get(version).cloned(),
                version: version.clone(),
                duration_ms: None,
            }),
            Event::CheckFinished(c) if !c.passed => self.checks_failed.push(FailedCheck {
                at,
                t_ms,
                check: c.check.clone(),
                kind: c.kind.clone(),
                table: c.table.clone(),
                severity: c.severity,
                batch: c.batch,
                file: c.file.clone(),
                detail: describe::one_line(&c.detail),
            }),
            Event::ProgressForced {
                batch,
                operator,
                reason,
            } => {
                self.actions.push(Deed {
                    at: at.clone(),
                    t_ms,
                    line,
                    kind: "override",
                    text: describe::event(e),
                });
                self.overrides.push(Override {
                    at,
                    t_ms,
                    batch: *batch,
                    operator: operator.clone(),
                    reason: reason.clone(),
                });
            }
            Event::JobFinished { job, outcome } => self.jobs.push(JobOutcome {
                at,
                job: job.clone(),
                outcome: *outcome,
            }),
            Event::SessionEnded => self.ended = Some(t_ms),
            _ => {}
        }
    }
}

fn kind(d: &Did) -> &'static str {
    match d {
        Did::Command { .. } => "command",
        Did::Requested { what } if what.starts_with("resolve ") => "resolve",
        Did::Requested { .. } => "requested",
        Did::Confirmed { .. } => "confirmed",
        Did::Mistyped { .. } => "mistyped",
        Did::Cancelled { .. } => "cancelled",
    }
}

fn chain(i: &Integrity) -> Chain {
    match i {
        Integrity::Intact { lines } => Chain {
            status: "intact",
            verified_lines: *lines,
            broken_line: None,
            why: None,
            meaning: format!("all {lines} lines are as recorded"),
        },
        Integrity::Truncated { lines } => Chain {
            status: "truncated",
            verified_lines: *lines,
            broken_line: None,
            why: Some(format!(
                "line {} was cut off mid-line: the session crashed or was killed while writing it",
                lines + 1
            )),
            meaning: format!(
                "the {lines} lines before it are as recorded; the cut line is not counted"
            ),
        },
        // Sealed (its hash holds) but of a kind this cutover does not know: not tampering.
        Integrity::Unreadable { line, why } => Chain {
            status: "unreadable",
            verified_lines: line - 1,
            broken_line: Some(*line),
            why: Some(why.clone()),
            meaning: format!(
                "line {line} is sealed but this cutover cannot read it; the {} lines before it are as recorded; audit the journal with the cutover that wrote it",
                line - 1
            ),
        },
        Integrity::Broken { line, why } => Chain {
            status: "broken",
            verified_lines: line - 1,
            broken_line: Some(*line),
            why: Some(why.clone()),
            meaning: format!(
                "nothing from line {line} on can be trusted; the {} lines before it are as recorded",
                line - 1
            ),
        },
    }
}

fn outcome(a: &Collect, i: &Integrity) -> SessionOutcome {
    let mut parts: Vec<String> = a
        .jobs
        .iter()
        .map(|j| format!("{} {}", j.job, describe::outcome_words(j.outcome)))
        .collect();
    if parts.is_empty() {
        parts.push("no job finished".into());
    }
    let end = match (a.ended.is_some(), i) {
        (true, _) => "the session ended cleanly".to_string(),
        (false, Integrity::Broken { line, .. }) => {
            format!("how the session ended is unknown: the chain breaks at line {line}")
        }
        (false, Integrity::Unreadable { line, .. }) => {
            format!("how the session ended is unknown: line {line} cannot be read here")
        }
        (false, _) => {
            "the session did not end cleanly (no end recorded): it crashed or was killed".into()
        }
    };
    SessionOutcome {
        jobs: a.jobs.clone(),
        ended_cleanly: a.ended.is_some(),
        summary: format!("{}; {end}", parts.join(", ")),
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
