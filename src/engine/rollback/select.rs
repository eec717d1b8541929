//! Which files a rollback undoes, and how: the scope read against the ledger and the
//! open window's checkpoints. Nothing here changes the target.
//!
//! Decisions (the safer one each time):
//! - file V: V and every applied file after it, newest first (DESIGN: rolling back an
//!   earlier file rolls back every file after it).
//! - batch: its applied files, newest first. Refused while a later batch still has
//!   applied files: undoing an earlier batch under a later one would leave the later
//!   one's changes on a schema they were not written for. `--file` with the batch's
//!   first file says plainly that everything after it goes too.
//! - a file whose down SQL is missing or empty (whitespace and comments) is undone by
//!   restoring the nearest backup at or before it. That restore undoes every file
//!   applied after the backup: they are added to the rollback and listed, never undone
//!   silently. With no such backup the rollback is refused: nothing could undo it.
//! - emergency: the window start's backup is restored; every file applied in the
//!   window is undone by it.

use crate::checkpoint::Checkpoint;
use crate::db::ledger::{Entry, Status};
use crate::engine::{EngineError, Workspace};
use crate::event::{RollbackScope, Undo};
use crate::source::Migration;
use crate::sql::Dialect;
use std::collections::HashMap;

/// What a rollback will do.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub scope: RollbackScope,
    /// Indices into the folder's migrations, newest first, each with how it is undone.
    pub files: Vec<(usize, Undo)>,
    /// The checkpoint whose backup is restored first, when any file needs it.
    pub restore: Option<Checkpoint>,
    /// The checkpoint the schema must equal when the rollback is done: the one taken
    /// before the oldest file undone (None when there is none to compare with).
    pub base: Option<Checkpoint>,
    /// Why there is nothing to do (when `files` is empty).
    pub nothing: Option<String>,
    pub notes: Vec<String>,
}

/// The open window's checkpoints, as the selection reads them.
pub(crate) struct Window {
    /// Oldest first.
    pub checkpoints: Vec<Checkpoint>,
    pub start: Option<Checkpoint>,
}

impl Window {
    /// The checkpoint taken before `version` last ran, in the open window.
    pub fn before(&self, version: &str) -> Option<&Checkpoint> {
        self.checkpoints
            .iter()
            .rev()
            .find(|c| c.version.as_deref() == Some(version))
    }

    /// The nearest checkpoint with a backup at or before the one taken before `version`
    /// (the window start's included).
    pub fn backup_at_or_before(&self, version: &str) -> Option<&Checkpoint> {
        let limit = self.before(version)?.id;
        self.checkpoints
            .iter()
            .rev()
            .find(|c| c.id <= limit && c.backup.is_some())
    }
}

/// Whether a file's down SQL can undo it: present, and more than whitespace and comments.
pub(crate) fn has_down(m: &Migration, dialect: Dialect) -> bool {
    m.down_sql
        .as_deref()
        .is_some_and(|d| !crate::sql::split(d, dialect).is_empty())
}

/// A file the ledger holds as (partly) undone-able: applied, or left mid-rollback.
fn live(e: Option<&Entry>) -> bool {
    e.is_some_and(|e| matches!(e.status, Status::Applied | Status::RollingBack))
}

pub(crate) struct Inputs<'a> {
    pub ws: &'a Workspace,
    pub entries: &'a HashMap<String, Entry>,
    pub window: &'a Window,
    pub dialect: Dialect,
    /// Undo by restoring a backup instead of running down scripts (`--restore`).
    pub force_restore: bool,
}

impl Inputs<'_> {
    fn entry(&self, i: usize) -> Option<&Entry> {
        self.entries
            .get(self.ws.folder.migrations[i].version.as_str())
    }

    fn version(&self, i: usize) -> &str {
        self.ws.folder.migrations[i].version.as_str()
    }

    /// Every live file, in folder order.
    fn live_files(&self) -> Vec<usize> {
        (0..self.ws.folder.migrations.len())
            .filter(|&i| live(self.entry(i)))
            .collect()
    }
}

/// Reads the scope against the ledger and the window.
pub(crate) fn select(inp: &Inputs<'_>, scope: &RollbackScope) -> Result<Selection, EngineError> {
    let mut sel = Selection {
        scope: scope.clone(),
        files: Vec::new(),
        restore: None,
        base: None,
        nothing: None,
        notes: Vec::new(),
    };
    let chosen = match scope {
        RollbackScope::File { version } => by_file(inp, version)?,
        RollbackScope::Batch { batch } => by_batch(inp, batch)?,
        RollbackScope::Emergency => by_emergency(inp, &mut sel)?,
    };
    let chosen = match chosen {
        Ok(files) => files,
        Err(why) => {
            sel.nothing = Some(why);
            return Ok(sel);
        }
    };
    refuse_under_unresolved(inp, &chosen)?;
    how(inp, &mut sel, chosen)?;
    Ok(sel)
}

/// A file after the ones chosen that may be partly applied would stay on top of a
/// schema it was not written for: the operator says what it is first (or restores).
fn refuse_under_unresolved(inp: &Inputs<'_>, chosen: &[usize]) -> Result<(), EngineError> {
    let Some(&oldest) = chosen.first() else {
        return Ok(());
    };
    let above: Vec<&str> = (oldest..inp.ws.folder.migrations.len())
        .filter(|&i| inp.entry(i).is_some_and(|e| e.status.unresolved()))
        .map(|i| inp.version(i))
        .collect();
    if above.is_empty() || inp.force_restore {
        return Ok(());
    }
    Err(EngineError::Selection(format!(
        "{} may be partly applied (after the files to roll back): a rollback under it is refused\n  hint: record what it is first (`cutover apply --resolve VERSION=applied|pending`), or undo everything from a backup with `--restore`",
        above.join(", ")
    )))
}

/// Files chosen by the scope (folder order), or why there is nothing to do.
type Chosen = Result<Vec<usize>, String>;

fn by_file(inp: &Inputs<'_>, version: &str) -> Result<Chosen, EngineError> {
    let migs = &inp.ws.folder.migrations;
    let Some(i) = migs
        .iter()
        .position(|m| m.version.as_str() == version)
        .or_else(|| {
            let v = crate::source::Version::parse(version);
            migs.iter().position(|m| m.version.cmp(&v).is_eq())
        })
    else {
        return Err(EngineError::Selection(format!(
            "--file {version}: no migration has that version\n  hint: `cutover status` lists the versions"
        )));
    };
    if !live(inp.entry(i)) {
        let why = match inp.entry(i).map(|e| e.status) {
            Some(Status::RolledBack) => format!("{} is already rolled back", migs[i].version),
            _ => format!("{} is not applied", migs[i].version),
        };
        return Ok(Err(format!("nothing to roll back: {why}")));
    }
    Ok(Ok(inp
        .live_files()
        .into_iter()
        .filter(|&j| j >= i)
        .collect()))
}

fn by_batch(inp: &Inputs<'_>, sel: &str) -> Result<Chosen, EngineError> {
    let ws = inp.ws;
    let Some(b) = ws.find_batch(sel) else {
        return Err(EngineError::Selection(format!(
            "--batch {sel}: no such batch; the plan has {}\n  hint: --batch takes a number from 1 or a batch name",
            ws.batches
                .iter()
                .map(|b| format!("{} {:?}", b.number, b.name))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let batch = &ws.batches[b];
    let files: Vec<usize> = batch
        .migrations
        .iter()
        .copied()
        .filter(|&i| live(inp.entry(i)))
        .collect();
    let later: Vec<&str> = ws.batches[b + 1..]
        .iter()
        .flat_map(|l| l.migrations.iter().copied())
        .filter(|&i| live(inp.entry(i)))
        .map(|i| inp.version(i))
        .collect();
    if !later.is_empty() && !files.is_empty() {
        let first = inp.version(files[0]);
        return Err(EngineError::Selection(format!(
            "batch {} ({}) cannot be rolled back while later batches are applied: {}\n  hint: roll back the later batches first, or `cutover rollback --file {first}` to undo it and everything after it",
            batch.number,
            batch.name,
            later.join(", ")
        )));
    }
    if files.is_empty() {
        let rolled = batch
            .migrations
            .iter()
            .any(|&i| inp.entry(i).is_some_and(|e| e.status == Status::RolledBack));
        let why = if rolled {
            format!(
                "batch {} ({}) is already rolled back",
                batch.number, batch.name
            )
        } else {
            format!(
                "no file of batch {} ({}) is applied",
                batch.number, batch.name
            )
        };
        return Ok(Err(format!("nothing to roll back: {why}")));
    }
    Ok(Ok(files))
}

fn by_emergency(inp: &Inputs<'_>, sel: &mut Selection) -> Result<Chosen, EngineError> {
    let Some(start) = inp.window.start.clone() else {
        return Err(EngineError::Selection(
            "emergency rollback: no migration window is open on this target, so there is no window-start backup to restore\n  hint: `cutover checkpoints list` shows the checkpoints; a window opens with the first apply after `cutover close`".into(),
        ));
    };
    if start.backup.is_none() {
        return Err(EngineError::Selection(format!(
            "emergency rollback: the window start's checkpoint #{} has no backup (the plan's [checkpoints] backup = \"none\"?)\n  hint: roll back by file or batch with their down scripts instead",
            start.id
        )));
    }
    let files = covered(inp, &start);
    sel.restore = Some(start);
    if files.is_empty() {
        return Ok(Err(
            "nothing to roll back: no file applied since the migration window opened is still applied"
                .into(),
        ));
    }
    Ok(Ok(files))
}

/// The live files a restore of `cp`'s backup undoes: those whose latest checkpoint in
/// the window was taken at or after it.
fn covered(inp: &Inputs<'_>, cp: &Checkpoint) -> Vec<usize> {
    inp.live_files()
        .into_iter()
        .filter(|&i| {
            inp.window
                .before(inp.version(i))
                .is_some_and(|c| c.id >= cp.id)
        })
        .collect()
}

/// Decides how each chosen file is undone, widening the rollback to what a restore
/// undoes, and the checkpoint the result must equal.
fn how(inp: &Inputs<'_>, sel: &mut Selection, chosen: Vec<usize>) -> Result<(), EngineError> {
    let migs = &inp.ws.folder.migrations;
    if sel.restore.is_none() {
        let needs: Vec<usize> = chosen
            .iter()
            .copied()
            .filter(|&i| inp.force_restore || !has_down(&migs[i], inp.dialect))
            .collect();
        if let Some(&oldest) = needs.first() {
            let v = inp.version(oldest);
            let Some(cp) = inp.window.backup_at_or_before(v) else {
                let why = if inp.force_restore {
                    "a restore was asked (`--restore`, or it is partly applied)"
                } else {
                    "it has no down SQL"
                };
                return Err(EngineError::Selection(format!(
                    "{v} ({}) cannot be undone: {why}, and no backup was taken at or before it in the open window\n  hint: write its down script, or restore your own backup of the target by hand and then record it with `cutover apply --resolve`",
                    migs[oldest].path.display()
                )));
            };
            sel.restore = Some(cp.clone());
        }
    }
    let mut files = chosen;
    if let Some(cp) = &sel.restore {
        let by_restore = covered(inp, cp);
        let extra: Vec<&str> = by_restore
            .iter()
            .filter(|i| !files.contains(i))
            .map(|&i| inp.version(i))
            .collect();
        if !extra.is_empty() {
            sel.notes.push(format!(
                "the backup restored was taken {} (checkpoint #{}); restoring it also undoes {}, listed above",
                describe(cp),
                cp.id,
                extra.join(", ")
            ));
        }
        files.extend(by_restore.iter().copied());
        files.sort_unstable();
        files.dedup();
        sel.notes.push(format!(
            "writes made since {} (when the backup was taken) are lost",
            cp.created_at
        ));
    }
    let restored: Vec<usize> = sel
        .restore
        .as_ref()
        .map_or(Vec::new(), |cp| covered(inp, cp));
    sel.files = files
        .iter()
        .rev()
        .map(|&i| {
            let undo = match &sel.restore {
                Some(cp) if restored.contains(&i) => Undo::Restore {
                    checkpoint: cp.id,
                    taken_at: cp.created_at.clone(),
                },
                _ => Undo::DownSql,
            };
            (i, undo)
        })
        .collect();
    sel.base = match (&sel.scope, files.first()) {
        (RollbackScope::Emergency, _) => sel.restore.clone(),
        (_, Some(&oldest)) => inp.window.before(inp.version(oldest)).cloned(),
        _ => None,
    };
    if inp.dialect == Dialect::Mysql && sel.files.iter().any(|(_, u)| *u == Undo::DownSql) {
        sel.notes.push("MySQL/MariaDB commit DDL implicitly: a down script that fails midway leaves its earlier statements applied (the file stays `rolling_back`; the backup restore puts it back)".into());
    }
    Ok(())
}

/// "before 0008" or "when the window opened".
pub(crate) fn describe(cp: &Checkpoint) -> String {
    match &cp.version {
        Some(v) => format!("before {v} ran, at {}", cp.created_at),
        None => format!("when the window opened, at {}", cp.created_at),
    }
}

#[cfg(test)]
mod tests {
    use super::has_down;
    use crate::source::{Kind, Migration, Native, TxMode, Version};
    use crate::sql::Dialect;

    fn with_down(down: Option<&str>) -> Migration {
        Migration {
            version: Version::parse("1"),
            name: "m".into(),
            kind: Kind::Versioned,
            path: "1_m.up.sql".into(),
            up_sql: "CREATE TABLE t (id INT);".into(),
            down_sql: down.map(str::to_string),
            down_path: None,
            verify_sql: None,
            tx: TxMode::Wrapped,
            checksum: String::new(),
            native: Native::default(),
        }
    }

    #[test]
    fn an_empty_or_comment_only_down_cannot_undo_a_file() {
        for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            assert!(!has_down(&with_down(None), d));
            assert!(!has_down(&with_down(Some("  \n")), d));
            assert!(!has_down(
                &with_down(Some("-- SQL section 'Down' is executed when rolled back\n")),
                d
            ));
            assert!(!has_down(&with_down(Some("/* nothing */\n")), d));
            assert!(has_down(&with_down(Some("-- undo\nDROP TABLE t;\n")), d));
        }
    }
}
