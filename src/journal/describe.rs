//! Inputs in words: the timeline `cutover replay --headless` prints, one line per input,
//! and the words `cutover audit` lists operator actions in. One line each: an engine
//! message of several lines is joined, so a timeline stays one input per line.

use super::Entry;
use crate::event::{
    Action, CheckResult, CheckpointInfo, CompareProgress, Did, Event, FileStatus, Input, Outcome,
    RollbackPreview, RollbackScope, Stamped, Undo,
};

/// One input in words, or None for what a timeline leaves out (timer ticks).
pub fn input(i: &Input) -> Option<String> {
    input_by(i, None)
}

/// `input`, naming the operator (the journal's header knows who) in operator deeds.
pub fn input_by(i: &Input, operator: Option<&str>) -> Option<String> {
    match i {
        Input::Engine(s) => Some(format!("engine: {}", event(&s.event))),
        Input::Unseen(s) => Some(format!(
            "engine (after the screen closed): {}",
            event(&s.event)
        )),
        Input::Action { action, key, .. } => Some(match key {
            Some(k) => format!("key {k} → {}", action_words(*action)),
            None => format!("action → {}", action_words(*action)),
        }),
        Input::Resize { width, height, .. } => Some(format!("resize {width}x{height}")),
        Input::Tick { .. } => None,
        Input::Operator { did: d, .. } => Some(deed(d, operator.unwrap_or("operator"))),
    }
}

/// The timeline: `+MM:SS.mmm  <words>` per described input, times since the start.
pub fn timeline(entries: &[Entry<Input>]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| input(&e.input).map(|w| format!("{}  {w}", offset(e.t_ms))))
        .collect()
}

/// Time since the start: `+MM:SS.mmm`, `+H:MM:SS.mmm` from one hour on.
pub fn offset(t_ms: i64) -> String {
    let sign = if t_ms < 0 { "-" } else { "+" };
    let t = t_ms.unsigned_abs();
    let (h, m, s, ms) = (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60, t % 1000);
    if h > 0 {
        format!("{sign}{h}:{m:02}:{s:02}.{ms:03}")
    } else {
        format!("{sign}{m:02}:{s:02}.{ms:03}")
    }
}

/// An operator's deed, as the audit lists it.
pub fn deed(d: &Did, who: &str) -> String {
    match d {
        Did::Command { args } => format!("{who} ran: {}", command_line(args)),
        Did::Requested { what } => format!("{who} asked to {what}"),
        Did::Confirmed { what, typed } => format!("{who} confirmed {what:?} with {typed:?}"),
        Did::Mistyped {
            what,
            typed,
            expected,
        } => format!("{who} typed {typed:?} for {what:?} (expected {expected:?}): nothing done"),
        Did::Cancelled { what } => format!("{who} cancelled {what:?}: nothing done"),
    }
}

/// A recorded command line, the program named by its file name (`cutover`, not the
/// path it was run from).
pub fn command_line(args: &[String]) -> String {
    let mut words: Vec<String> = args.iter().map(|a| quoted(a)).collect();
    if let Some(first) = args.first() {
        let name = std::path::Path::new(first)
            .file_name()
            .map_or(first.clone(), |n| n.to_string_lossy().into_owned());
        words[0] = quoted(&name);
    }
    words.join(" ")
}

/// A word as a shell would need it to read back as one.
fn quoted(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// An action in words: `ApplyNext` -> `apply next`, `Type('x')` -> `type "x"`.
fn action_words(a: Action) -> String {
    if let Action::Type(c) = a {
        return format!("type {:?}", c.to_string());
    }
    spaced(&format!("{a:?}"))
}

/// Text of several lines as one: lines trimmed, joined by a space.
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `: detail` when there is one.
fn because(detail: &Option<String>) -> String {
    detail
        .as_deref()
        .map(|d| format!(": {}", one_line(d)))
        .unwrap_or_default()
}

/// A duration in ms as people read it.
pub fn ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

pub fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Succeeded => "succeeded",
        Outcome::NothingToDo => "had nothing to do",
        Outcome::Failed => "failed",
        Outcome::Refused => "was refused",
        Outcome::Cancelled => "was cancelled",
    }
}

pub fn scope_words(s: &RollbackScope) -> String {
    match s {
        RollbackScope::File { version } => format!("{version} and every file after it"),
        RollbackScope::Batch { batch } => format!("batch {batch}"),
        RollbackScope::Emergency => "everything (emergency)".into(),
    }
}

/// An engine event in words. Every variant is named: a new one must be worded here.
pub fn event(e: &Event) -> String {
    match e {
        Event::SessionStarted {
            plan,
            target,
            operator,
            host,
            version,
        } => format!(
            "session started: plan {plan:?} on {target} by {operator}@{host} (cutover {version})"
        ),
        Event::SessionEnded => "session ended".into(),
        Event::PlanLoaded { batches } => {
            let files: usize = batches.iter().map(|b| b.files.len()).sum();
            format!("plan loaded: {} batches, {files} files", batches.len())
        }
        Event::LedgerLoaded { files } => format!("ledger read: {} files recorded", files.len()),
        Event::JobStarted { job } => format!("{job} started"),
        Event::JobFinished { job, outcome } => format!("{job} {}", outcome_words(*outcome)),
        Event::BatchStarted { batch, name } => format!("batch {batch} {name} started"),
        Event::BatchFinished { batch, outcome } => {
            format!("batch {batch} {}", outcome_words(*outcome))
        }
        Event::FileStatus {
            version,
            status,
            detail,
        } => format!("{version} {}{}", status_words(*status), because(detail)),
        Event::StatementStarted {
            version,
            index,
            total,
            line,
        } => format!("{version} statement {index}/{total} (line {line}) started"),
        Event::StatementFinished {
            version,
            index,
            total,
            elapsed_ms,
            ..
        } => format!(
            "{version} statement {index}/{total} done ({})",
            ms(*elapsed_ms)
        ),
        Event::FileApplied {
            version,
            duration_ms,
        } => format!("{version} applied ({})", ms(*duration_ms)),
        Event::FileFailed {
            version,
            file,
            line,
            message,
        } => format!("{version} failed at {file}:{line}: {}", one_line(message)),
        Event::Progress { job, done, total } => format!("{job} {done}/{total}"),
        Event::Log { level, text } => {
            format!(
                "{}: {}",
                format!("{level:?}").to_lowercase(),
                one_line(text)
            )
        }
        Event::CheckpointCreated(c) => checkpoint(c),
        Event::CheckpointStatus { id, status, detail } => {
            format!("checkpoint #{id} {}{}", status.as_str(), because(detail))
        }
        Event::RollbackPreview(p) => preview(p),
        Event::RollbackStarted {
            scope,
            automatic,
            reason,
        } => {
            let how = if *automatic { "automatic " } else { "" };
            format!(
                "{how}rollback of {} started{}",
                scope_words(scope),
                because(reason)
            )
        }
        Event::RollbackFinished {
            scope,
            outcome,
            detail,
            offers_restore,
        } => rollback_finished(scope, *outcome, detail, *offers_restore),
        Event::Rehearsed {
            version,
            verdict,
            detail,
        } => {
            let v = format!("{verdict:?}");
            format!("{version} rehearsed: {}{}", spaced(&v), because(detail))
        }
        Event::WindowClosed { window } => format!("migration window #{window} closed"),
        Event::CheckFinished(c) => check(c),
        Event::BatchValidated {
            batch,
            verdict,
            passed,
            total,
        } => format!(
            "batch {batch} validated: {} ({passed}/{total} checks passed)",
            verdict.as_str()
        ),
        Event::ProgressForced {
            batch,
            operator,
            reason,
        } => format!(
            "operator {operator} went on past batch {batch}'s failed validation: {}",
            one_line(reason)
        ),
        Event::CompareProgress(p) => compare(p),
        Event::BenchSample {
            bench,
            run,
            connection,
            ms: t,
            ..
        } => format!(
            "bench {bench:?} run {run} on connection {connection}: {}",
            ms(*t)
        ),
        Event::BenchSummary(b) => format!(
            "bench {:?}: {}, p50 {} p95 {} max {}",
            b.bench,
            b.verdict.as_str(),
            ms(b.p50_ms),
            ms(b.p95_ms),
            ms(b.max_ms)
        ),
    }
}

fn rollback_finished(
    scope: &RollbackScope,
    outcome: Outcome,
    detail: &Option<String>,
    offers_restore: bool,
) -> String {
    let restore = if offers_restore {
        " (a backup restore is offered)"
    } else {
        ""
    };
    let (scope, outcome) = (scope_words(scope), outcome_words(outcome));
    format!("rollback of {scope} {outcome}{}{restore}", because(detail))
}

fn check(c: &CheckResult) -> String {
    let table = c
        .table
        .as_deref()
        .map(|t| format!(", table {t}"))
        .unwrap_or_default();
    let verdict = if c.passed { "passed" } else { "failed" };
    let sev = c.severity.as_str();
    format!(
        "check {:?} {verdict} ({sev}{table}): {}",
        c.check,
        one_line(&c.detail)
    )
}

fn compare(p: &CompareProgress) -> String {
    let side = format!("{:?}", p.side).to_lowercase();
    let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
    format!("compare {} ({side}): {}{total} rows", p.table, p.rows)
}

/// `DownDiffers` -> `down differs`.
fn spaced(name: &str) -> String {
    let mut s = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            s.push(' ');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

fn status_words(s: FileStatus) -> &'static str {
    match s {
        FileStatus::Running => "running (waits for an operator's word)",
        FileStatus::Partial => "partial (waits for an operator's word)",
        other => other.as_str(),
    }
}

fn checkpoint(c: &CheckpointInfo) -> String {
    let when = match &c.version {
        Some(v) => format!("before {v}"),
        None => "when the window opened".into(),
    };
    let backup = c
        .backup
        .as_ref()
        .map(|b| format!(", backup {} ({} bytes)", b.path, b.size))
        .unwrap_or_default();
    format!("checkpoint #{} created {when}{backup}", c.id)
}

fn preview(p: &RollbackPreview) -> String {
    let files: Vec<String> = p
        .files
        .iter()
        .map(|f| match &f.undo {
            Undo::DownSql => f.version.clone(),
            Undo::Restore { checkpoint, .. } => {
                format!("{} (restore of checkpoint #{checkpoint})", f.version)
            }
        })
        .collect();
    let undo = if files.is_empty() {
        "nothing to undo".to_string()
    } else {
        format!("would undo {}", files.join(", "))
    };
    let losses: Vec<String> = p
        .losses
        .iter()
        .map(|l| format!("{} loses {} rows", l.table, l.rows))
        .collect();
    let losses = if losses.is_empty() {
        String::new()
    } else {
        format!("; {}", losses.join(", "))
    };
    format!(
        "rollback of {} {undo}{losses} (confirm with {:?})",
        scope_words(&p.scope),
        p.confirm
    )
}

/// The event a stamped engine input carries, seen or not.
pub fn engine_event(i: &Input) -> Option<&Stamped> {
    match i {
        Input::Engine(s) | Input::Unseen(s) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Severity;

    fn engine(event: Event) -> Input {
        Input::Engine(Stamped { at_ms: 0, event })
    }

    #[test]
    fn inputs_read_as_words() {
        let key = Input::Action {
            action: Action::ApplyNext,
            key: Some("a".into()),
            at_ms: 0,
        };
        assert_eq!(input(&key).as_deref(), Some("key a → apply next"));
        let typed = Input::action(Action::Type('x'), 0);
        assert_eq!(input(&typed).as_deref(), Some("action → type \"x\""));
        let applied = engine(Event::FileApplied {
            version: "0003".into(),
            duration_ms: 12.2,
        });
        assert_eq!(
            input(&applied).as_deref(),
            Some("engine: 0003 applied (12 ms)")
        );
        let cp = engine(Event::CheckpointCreated(CheckpointInfo {
            id: 4,
            version: Some("0003".into()),
            fingerprint: "f".into(),
            status: crate::event::CheckpointState::Created,
            backup: None,
        }));
        assert_eq!(
            input(&cp).as_deref(),
            Some("engine: checkpoint #4 created before 0003")
        );
        let resize = Input::Resize {
            width: 120,
            height: 40,
            at_ms: 0,
        };
        assert_eq!(input(&resize).as_deref(), Some("resize 120x40"));
        assert_eq!(input(&Input::Tick { at_ms: 0 }), None);
    }

    #[test]
    fn operator_deeds_name_the_operator_when_known() {
        let did = Did::Mistyped {
            what: "Roll back batch 1 simple-replacements".into(),
            typed: "wrong".into(),
            expected: "simple-replacements".into(),
        };
        let i = Input::Operator { did, at_ms: 0 };
        assert_eq!(
            input_by(&i, Some("ana")).as_deref(),
            Some("ana typed \"wrong\" for \"Roll back batch 1 simple-replacements\" (expected \"simple-replacements\"): nothing done")
        );
        assert!(input(&i).expect("words").starts_with("operator typed"));
        let cmd = Did::Command {
            args: vec!["/x/target/cutover".into(), "apply".into(), "a b".into()],
        };
        assert_eq!(deed(&cmd, "bob"), "bob ran: cutover apply 'a b'");
    }

    #[test]
    fn a_failed_check_and_a_multiline_log_stay_on_one_line() {
        let check = engine(Event::CheckFinished(Box::new(CheckResult {
            batch: Some(1),
            file: None,
            check: "rows kept".into(),
            kind: "row_count".into(),
            table: Some("orders".into()),
            severity: Severity::Critical,
            passed: false,
            detail: "3 rows\nmissing".into(),
            rows: vec![],
            elapsed_ms: 1.0,
        })));
        assert_eq!(
            input(&check).as_deref(),
            Some("engine: check \"rows kept\" failed (critical, table orders): 3 rows missing")
        );
        let log = engine(Event::Log {
            level: crate::event::Level::Error,
            text: "refused\n  hint: do this".into(),
        });
        assert_eq!(
            input(&log).as_deref(),
            Some("engine: error: refused hint: do this")
        );
    }

    #[test]
    fn the_timeline_counts_from_the_start_and_skips_ticks() {
        let entry = |seq: u64, t_ms: i64, input: Input| Entry {
            line: seq as usize + 1,
            seq,
            t_ms,
            input,
        };
        let entries = [
            entry(
                1,
                5,
                engine(Event::SessionStarted {
                    plan: "shop".into(),
                    target: "sqlite:///x.db".into(),
                    operator: "ana".into(),
                    host: "h".into(),
                    version: "0.1.0".into(),
                }),
            ),
            entry(2, 61_007, Input::Tick { at_ms: 0 }),
            entry(3, 3_723_004, engine(Event::SessionEnded)),
        ];
        assert_eq!(
            timeline(&entries),
            vec![
                "+00:00.005  engine: session started: plan \"shop\" on sqlite:///x.db by ana@h (cutover 0.1.0)".to_string(),
                "+1:02:03.004  engine: session ended".to_string(),
            ]
        );
        assert_eq!(offset(61_007), "+01:01.007");
    }
}
