//! Before a run touches anything: files that may be partly applied, drift, files missing
//! from the folder, and which files the run selects (in order, never out of order).

use super::rules::{self, Ask, Refusal, Standing};
use super::{ApplyOptions, Drift, EngineError, Workspace};
use crate::db::ledger::{self, Status};
use crate::source::Kind;
use std::collections::HashMap;

/// A file that may be partly applied never runs again until an operator has looked.
pub(super) fn check_unresolved(
    entries: &HashMap<String, ledger::Entry>,
) -> Result<(), EngineError> {
    // A rollback that was interrupted is finished by a rollback, never by applying on top.
    let mut rolling: Vec<&str> = entries
        .values()
        .filter(|e| e.status == Status::RollingBack)
        .map(|e| e.version.as_str())
        .collect();
    if let Some(oldest) = rolling.iter().min().copied() {
        rolling.sort();
        return Err(EngineError::Ledger(format!(
            "a rollback of {} was interrupted; nothing was run\n  hint: finish it with `cutover rollback --file {oldest} --yes` (it resumes where it stopped), then apply again",
            rolling.join(", ")
        )));
    }
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
pub(super) fn check_drift(
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
pub(super) fn plan_run(
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

/// Which migrations (indices) this run should apply, in order.
fn select(
    ws: &Workspace,
    applied: &HashMap<String, ledger::Entry>,
    opts: &ApplyOptions,
) -> Result<Vec<usize>, EngineError> {
    let migs = &ws.folder.migrations;
    let standing = LedgerStanding {
        ws,
        entries: applied,
    };
    let is_pending = |i: usize| !rules::done(standing.status(i));
    let mut scope: Vec<usize> = match &opts.batch {
        Some(sel) => {
            let b = ws.batch_or_refuse(sel)?;
            // Unresolved files were refused before; an applied batch is nothing to do.
            if let Err(Refusal::EarlierBatchPending { earlier, files, .. }) =
                rules::can_run(&standing, Ask::Batch(b))
            {
                let earlier = &ws.batches[earlier];
                let pending: Vec<&str> = files.iter().map(|&i| migs[i].version.as_str()).collect();
                return Err(EngineError::Selection(format!(
                    "batch {} ({}) cannot start: batch {} ({}) still has pending files: {}\n  hint: apply batch {} first",
                    b + 1, ws.batches[b].name, earlier.number, earlier.name, pending.join(", "), earlier.number
                )));
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

/// The plan as a run sees it from the ledger, for the rules.
struct LedgerStanding<'a> {
    ws: &'a Workspace,
    entries: &'a HashMap<String, ledger::Entry>,
}

impl Standing for LedgerStanding<'_> {
    fn batch_count(&self) -> usize {
        self.ws.batches.len()
    }

    fn batch_files(&self, b: usize) -> &[usize] {
        &self.ws.batches[b].migrations
    }

    fn status(&self, file: usize) -> crate::event::FileStatus {
        let m = &self.ws.folder.migrations[file];
        rules::ledger_status(m, self.entries.get(m.version.as_str()))
    }
}
