//! The headless consumer of engine events: a progress bar on a terminal, plain lines
//! otherwise (pipes, CI logs, screen readers).

use crate::engine::{ApplyReport, Workspace};
use crate::event::{Event, FileStatus, Level, Outcome, Stamped};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use tokio::sync::mpsc;

pub struct Printer {
    names: HashMap<String, String>,
    bar: Option<ProgressBar>,
}

impl Printer {
    pub fn new(ws: &Workspace) -> Self {
        let names = ws
            .folder
            .migrations
            .iter()
            .map(|m| (m.version.to_string(), m.path.display().to_string()))
            .collect();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} files {msg}") {
                bar.set_style(style);
            }
            bar
        });
        Printer { names, bar }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => outln!("{text}"),
        }
    }

    fn file(&self, version: &str) -> String {
        self.names
            .get(version)
            .cloned()
            .unwrap_or_else(|| version.to_string())
    }

    pub async fn consume(self, rx: mpsc::Receiver<Stamped>) {
        crate::engine::consume_paced(rx, |s| self.show(&s.event)).await;
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn show(&self, e: &Event) {
        match e {
            Event::SessionStarted {
                plan,
                target,
                operator,
                ..
            } => self.line(format!(
                "cutover {}: plan {plan:?} on {target} as {operator}",
                env!("CARGO_PKG_VERSION")
            )),
            Event::BatchStarted { batch, name } => self.line(format!("batch {batch} {name}")),
            Event::FileStatus {
                version,
                status: FileStatus::Applying,
                ..
            } => {
                let f = self.file(version);
                match &self.bar {
                    Some(bar) => bar.set_message(f),
                    None => outln!("  applying {f}"),
                }
            }
            Event::StatementStarted { index, total, .. } => {
                if let Some(bar) = &self.bar {
                    let f = bar.message();
                    let f = f.split(" [").next().unwrap_or_default().to_string();
                    bar.set_message(format!("{f} [statement {index}/{total}]"));
                }
            }
            Event::FileApplied {
                version,
                duration_ms,
            } => self.line(format!(
                "  ✔ applied {} ({duration_ms:.0} ms)",
                self.file(version)
            )),
            Event::FileFailed {
                file,
                line,
                message,
                ..
            } => self.line(format!("  ✖ failed {file}:{line}: {message}")),
            // An automatic rollback (the batch's `on_failure`) as it goes.
            Event::FileStatus {
                version,
                status: FileStatus::RolledBack,
                ..
            } => self.line(format!("  ↶ rolled back {}", self.file(version))),
            // The files' bar only: a backup's progress is told by its log lines.
            Event::Progress { job, done, total } if job == "apply" => {
                if let Some(bar) = &self.bar {
                    bar.set_length(*total);
                    bar.set_position(*done);
                }
            }
            Event::Log { level, text } => {
                let tag = match level {
                    Level::Debug => return,
                    Level::Info => "note",
                    Level::Warn => "warning",
                    Level::Error => "error",
                };
                self.line(format!("  {tag}: {text}"))
            }
            _ => {}
        }
    }
}

/// The closing line of a headless apply. `wall` is the time the command took: the sum
/// of the files' durations leaves out connecting, locking and the checks.
/// A job's log line as the headless commands print it (`  note: ...`, `  warning:
/// ...`, `  error: ...`; debug lines are left to the log file). Errors are also kept in
/// `errors`, for the summary.
pub(crate) fn log_line(level: Level, text: &str, errors: &mut Vec<String>) {
    let tag = match level {
        Level::Debug => return,
        Level::Info => "note",
        Level::Warn => "warning",
        Level::Error => {
            errors.push(text.to_string());
            "error"
        }
    };
    outln!("  {tag}: {text}");
}

pub fn summary(r: &ApplyReport, wall: std::time::Duration) {
    let applied = r
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Applied)
        .count();
    let wall = format_wall(wall);
    if !r.decisions.is_empty() {
        let pending = match r.pending.len() {
            0 => "nothing is pending".to_string(),
            n => format!(
                "{n} file(s) pending: {}\n  hint: applying them is a separate step: `cutover apply`",
                r.pending.join(", ")
            ),
        };
        let (did, applied) = if r.dry_run {
            ("dry run: would record", "would apply nothing")
        } else {
            ("recorded", "applied nothing")
        };
        outln!(
            "{did} {} decision(s); {applied}; {pending}",
            r.decisions.len()
        );
        return;
    }
    if r.dry_run {
        return dry_summary(r);
    }
    match r.outcome {
        Outcome::NothingToDo => outln!("nothing to apply: the target is up to date"),
        Outcome::Succeeded => outln!("applied {applied} file(s) in {wall}"),
        // A validation stopped the run (the files it ran are applied).
        Outcome::Failed if r.stopped_by.is_some() => errln!(
            "stopped: {}\n  applied {applied} file(s) in {wall}",
            r.stopped_by.as_deref().unwrap_or_default()
        ),
        Outcome::Failed => {
            if let Some(f) = r.files.iter().find(|f| f.status == FileStatus::Failed) {
                errln!(
                    "error: {}:{}: {}\n  applied {applied} file(s) before it in {wall}; {}; the files after it were not run\n  hint: {}",
                    f.file,
                    f.line.unwrap_or(0),
                    f.error.as_deref().unwrap_or(""),
                    f.aftermath.as_deref().unwrap_or("it failed"),
                    f.hint.as_deref().unwrap_or("run `cutover status`"),
                );
            }
        }
        // A file whose statement the operator cancelled carries the database's message.
        Outcome::Cancelled => match r.files.iter().find(|f| f.error.is_some()) {
            Some(f) if f.partly_applied => errln!(
                "stopped: applied {applied} file(s) in {wall}; {}:{} was cancelled after some of its statements took effect: it is marked partial and will not run again by itself\n  hint: check the target, then `cutover apply --resolve {}=applied` (all of it is there) or `=pending` (undone by hand; it runs again)",
                f.file,
                f.line.unwrap_or(0),
                f.version
            ),
            Some(f) => outln!(
                "stopped: applied {applied} file(s) in {wall}; {} was cancelled and its transaction rolled back: it stays pending; run `cutover apply` to continue",
                f.file
            ),
            None => {
                outln!("stopped: applied {applied} file(s) in {wall}; run `cutover apply` to continue")
            }
        },
        Outcome::Refused => {
            if let Some(e) = &r.error {
                errln!("error: {e}\n  applied {applied} file(s) before this in this run ({wall})");
            }
        }
    }
    if let Some(rb) = &r.automatic_rollback {
        automatic_rollback(rb);
    }
}

/// What the automatic rollback (the batch's `on_failure`) did after the failure.
fn automatic_rollback(rb: &crate::engine::rollback::RollbackReport) {
    let detail = rb.detail.as_deref().unwrap_or("");
    match rb.outcome {
        Outcome::Succeeded => outln!(
            "automatic rollback: undid {} file(s): {}",
            rb.undone.len(),
            rb.undone.join(", ")
        ),
        Outcome::NothingToDo => outln!("automatic rollback: nothing else to undo ({detail})"),
        _ => errln!("automatic rollback FAILED: {detail}"),
    }
}

/// The closing lines of `apply --dry-run`: what the files would change, then the verdict.
fn dry_summary(r: &ApplyReport) {
    if let Some(c) = &r.changes {
        show_changes(c);
    }
    let failure = r.changes.as_ref().and_then(|c| c.failure.as_ref());
    match (r.outcome, failure) {
        (Outcome::NothingToDo, _) => outln!("nothing to apply: the target is up to date"),
        (_, Some(f)) => errln!(
            "error: dry run: {}:{}: {}\n  the target is untouched: nothing was applied\n  hint: fix the file, then run `cutover apply --dry-run` again",
            f.file,
            f.line,
            f.message
        ),
        _ => outln!(
            "dry run: {} file(s) would be applied; the target was not changed",
            r.files.len()
        ),
    }
}

fn show_changes(c: &crate::engine::DryRunChanges) {
    if c.method == "listed" {
        outln!("statements the files hold (not run):");
        for s in &c.statements {
            let why = s
                .why
                .as_deref()
                .map(|w| format!("  [{w}]"))
                .unwrap_or_default();
            outln!("  {}:{}: {}{why}", s.file, s.line, s.sql);
        }
    } else if c.failure.is_none() {
        outln!("changes (found on a {}):", c.method);
        if c.changes.is_empty() {
            outln!("  no schema change");
        }
        for line in &c.changes {
            outln!("  {line}");
        }
    }
    if !c.not_run.is_empty() {
        outln!("listed, not run:");
        for s in &c.not_run {
            let why = s.why.as_deref().unwrap_or("");
            outln!("  {}:{}: {}  [{why}]", s.file, s.line, s.sql);
        }
    }
    for n in &c.notes {
        outln!("  note: {n}");
    }
}

/// Wall time as people read it: `840 ms`, `12.3 s`, `4 min 05 s`.
fn format_wall(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", d.as_secs_f64()),
        _ => format!("{} min {:02} s", ms / 60_000, (ms / 1000) % 60),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wall_time_reads_naturally() {
        use std::time::Duration;
        assert_eq!(super::format_wall(Duration::from_millis(127)), "127 ms");
        assert_eq!(super::format_wall(Duration::from_millis(10_400)), "10.4 s");
        assert_eq!(
            super::format_wall(Duration::from_millis(245_000)),
            "4 min 05 s"
        );
    }
}
