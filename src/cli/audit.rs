//! `cutover audit FILE [--json]` | `cutover audit --all`: checks a session journal's
//! chain and says who did what, when, and how the session ended.

use super::Global;
use crate::journal::audit::{self as au, Audit, AuditError};
use crate::journal::describe;
use crate::report::exit;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args, Default)]
#[command(
    after_help = "Exit codes: 0 the chain holds (a journal cut off by a crash is reported as truncated, with a warning); 2 a line was edited, deleted, inserted or moved (the first broken line is named), or the file is not a journal."
)]
pub struct AuditArgs {
    /// The journal (a .jsonl file in .cutover/sessions/)
    #[arg(value_name = "FILE", required_unless_present = "all")]
    pub file: Option<PathBuf>,
    /// Print the audit as one JSON object
    #[arg(long)]
    pub json: bool,
    /// List every session of the plan's .cutover/sessions/ with its operator and outcome
    #[arg(long, conflicts_with = "file")]
    pub all: bool,
}

pub async fn run(global: &Global, args: AuditArgs) -> i32 {
    match &args.file {
        Some(file) => one(file, args.json),
        None => all(global, args.json),
    }
}

/// Audits one journal: its report on stdout, the chain's verdict in the exit code.
fn one(file: &Path, json: bool) -> i32 {
    let a = match au::open(file) {
        Ok(a) => a,
        Err(e) => return unreadable(&e),
    };
    if json {
        match serde_json::to_string_pretty(&a) {
            Ok(s) => outln!("{s}"),
            Err(e) => {
                super::print_error(&format!("cannot encode the audit as JSON: {e}"));
                return exit::CANNOT_RUN;
            }
        }
    } else {
        outln!("{}", text(&a));
    }
    verdict(&a)
}

/// Says why a file could not be audited; always exit 2.
fn unreadable(e: &AuditError) -> i32 {
    super::print_error(e);
    if let AuditError::Read(crate::journal::ReadError::Io { .. }) = e {
        errln!("  hint: pass a journal file; `cutover audit --all` lists the plan's sessions");
    }
    exit::CANNOT_RUN
}

/// The chain's verdict on stderr, and the exit code it makes.
fn verdict(a: &Audit) -> i32 {
    let c = &a.integrity;
    let why = c.why.as_deref().unwrap_or("");
    match c.broken_line {
        Some(line) if c.status == "unreadable" => {
            errln!(
                "error: {} cannot be read from line {line}: {why}\n  {}",
                a.file.display(),
                c.meaning
            );
            exit::CANNOT_RUN
        }
        Some(line) => {
            errln!(
                "error: {} is broken at line {line}: {why}\n  {}\n  hint: compare it with a copy kept elsewhere (a backup, the CI's artifacts); this file cannot be trusted as a record",
                a.file.display(),
                c.meaning
            );
            exit::CANNOT_RUN
        }
        None if c.status == "truncated" => {
            errln!(
                "warning: {} is truncated: {why}; {}",
                a.file.display(),
                c.meaning
            );
            exit::OK
        }
        None => exit::OK,
    }
}

/// The audit as people read it.
pub fn text(a: &Audit) -> String {
    let s = &a.session;
    let c = &a.integrity;
    let mut out = Vec::new();
    out.push(format!("journal   {}", a.file.display()));
    let chain = match (c.broken_line, &c.why) {
        (Some(n), Some(why)) if c.status == "unreadable" => {
            format!("UNREADABLE from line {n}: {why}; {}", c.meaning)
        }
        (Some(n), Some(why)) => format!("BROKEN at line {n}: {why}; {}", c.meaning),
        (None, Some(why)) => format!("truncated: {why}; {}", c.meaning),
        _ => format!("intact: {}", c.meaning),
    };
    out.push(format!("chain     {chain}"));
    let sha = s.plan_sha256.as_deref().unwrap_or("none: no plan file");
    out.push(format!("plan      {} (sha256 {sha})", s.plan));
    out.push(format!("session   {} on {}", s.mode, s.target));
    out.push(format!(
        "operator  {} on {}, cutover {}",
        s.operator, s.host, s.version
    ));
    let end = s.ended.as_deref().unwrap_or("no end recorded");
    out.push(format!(
        "time      {} to {} ({}; last line {})",
        when(&s.started),
        when(end),
        span(s.duration_ms),
        clock(&s.last_line)
    ));
    out.push(format!("outcome   {}", a.outcome.summary));
    if s.format > crate::journal::FORMAT {
        out.push(format!(
            "note      written by a newer cutover (journal format {}; this one reads {})",
            s.format,
            crate::journal::FORMAT
        ));
    }
    sections(a, &mut out);
    out.join("\n")
}

fn sections(a: &Audit, out: &mut Vec<String>) {
    let deeds = a
        .actions
        .iter()
        .map(|d| format!("{}  {}", stamp(&d.at, d.t_ms), d.text));
    section(out, "operator actions", deeds);
    let mark = |f: &au::FileMark| {
        let name = f
            .name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        let took = f.duration_ms.map(|d| format!(" ({})", describe::ms(d)));
        format!(
            "{}  {}{name}{}",
            stamp(&f.at, f.t_ms),
            f.version,
            took.unwrap_or_default()
        )
    };
    section(out, "files applied", a.applied.iter().map(mark));
    section(out, "files rolled back", a.rolled_back.iter().map(mark));
    let checks = a.checks_failed.iter().map(|c| {
        let table = c
            .table
            .as_deref()
            .map(|t| format!(" on {t}"))
            .unwrap_or_default();
        format!(
            "{}  {} {:?}{table}: {}",
            stamp(&c.at, c.t_ms),
            c.severity.as_str(),
            c.check,
            c.detail
        )
    });
    section(out, "checks failed", checks);
    let overrides = a.overrides.iter().map(|o| {
        format!(
            "{}  {} went on past batch {}'s failed validation: {}",
            stamp(&o.at, o.t_ms),
            o.operator,
            o.batch,
            describe::one_line(&o.reason)
        )
    });
    section(out, "overrides", overrides);
}

fn section(out: &mut Vec<String>, title: &str, lines: impl Iterator<Item = String>) {
    let lines: Vec<String> = lines.collect();
    out.push(String::new());
    out.push(format!("{title} ({})", lines.len()));
    if lines.is_empty() {
        out.push("  none".into());
    }
    out.extend(lines.into_iter().map(|l| format!("  {l}")));
}

/// `08:06:37.401 (+00:00.015)`.
fn stamp(at: &str, t_ms: i64) -> String {
    format!("{} ({})", clock(at), describe::offset(t_ms))
}

/// The time of day of a journal time (`2026-12-02T08:06:37.401Z` -> `08:06:37.401`).
fn clock(at: &str) -> &str {
    at.get(11..23).unwrap_or(at)
}

/// A journal time as people read it: `2026-12-02 08:06:37.401 UTC`.
fn when(at: &str) -> String {
    match (at.get(0..10), at.get(11..23)) {
        (Some(d), Some(t)) if at.ends_with('Z') => format!("{d} {t} UTC"),
        _ => at.to_string(),
    }
}

/// A duration: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`.
fn span(ms: i64) -> String {
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, s / 60 % 60)
    }
}

/// `--all`: one line per session of the plan's `.cutover/sessions/`.
fn all(global: &Global, json: bool) -> i32 {
    let dir = match sessions_dir(global) {
        Ok(d) => d,
        Err(e) => {
            super::print_error(&e);
            return exit::CANNOT_RUN;
        }
    };
    let files = match crate::journal::list(&dir) {
        Ok(f) => f,
        Err(e) => {
            super::print_error(&format!("cannot read {}: {e}", dir.display()));
            return exit::CANNOT_RUN;
        }
    };
    if files.is_empty() {
        if json {
            outln!("[]");
        } else {
            outln!("no sessions recorded in {}", dir.display());
        }
        return exit::OK;
    }
    let rows: Vec<Row> = files.iter().map(|f| row(f)).collect();
    if json {
        let v: Vec<&serde_json::Value> = rows.iter().map(|r| &r.json).collect();
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        outln!("sessions in {}", dir.display());
        print_rows(&rows);
    }
    let broken = rows.iter().filter(|r| r.broken).count();
    if broken > 0 {
        errln!(
            "error: {broken} of {} journals cannot be trusted or read\n  hint: `cutover audit FILE` names the first broken line of each",
            rows.len()
        );
        return exit::CANNOT_RUN;
    }
    exit::OK
}

/// The plan's sessions folder (`-p`, CUTOVER_PLAN, ./cutover.toml), or the current
/// folder's when there is no plan file.
fn sessions_dir(global: &Global) -> Result<PathBuf, String> {
    let base = match crate::plan::locate(global.plan.as_deref()).map_err(|e| e.to_string())? {
        Some(plan) => match plan.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
        None => PathBuf::from("."),
    };
    let base = std::path::absolute(&base).unwrap_or(base);
    Ok(crate::journal::sessions_dir(&base.join(".cutover")))
}

/// One session in the listing.
struct Row {
    cells: [String; 6],
    broken: bool,
    json: serde_json::Value,
}

fn row(file: &Path) -> Row {
    let name = file
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    match au::open(file) {
        Ok(a) => {
            let s = &a.session;
            let chain = match (a.integrity.status, a.integrity.broken_line) {
                ("unreadable", Some(n)) => format!("UNREADABLE from line {n}"),
                (_, Some(n)) => format!("BROKEN at line {n}"),
                (status, None) => status.to_string(),
            };
            let outcome = short_outcome(&a);
            let json = serde_json::json!({
                "file": a.file, "started": s.started, "mode": s.mode, "operator": s.operator,
                "outcome": outcome, "ended_cleanly": a.outcome.ended_cleanly,
                "chain": a.integrity.status, "broken_line": a.integrity.broken_line,
            });
            Row {
                cells: [
                    when(&s.started),
                    s.mode.clone(),
                    s.operator.clone(),
                    outcome,
                    chain,
                    name,
                ],
                broken: a.integrity.broken_line.is_some(),
                json,
            }
        }
        Err(e) => {
            let why = if e.tampered() {
                "BROKEN at line 1"
            } else {
                "not a journal"
            };
            Row {
                cells: [
                    String::new(),
                    "?".into(),
                    "?".into(),
                    "?".into(),
                    why.into(),
                    name,
                ],
                broken: true,
                json: serde_json::json!({ "file": file, "chain": "broken", "error": e.to_string() }),
            }
        }
    }
}

/// The jobs' outcomes, and `no end recorded` for a session that crashed or was killed.
fn short_outcome(a: &Audit) -> String {
    let mut s: Vec<String> = a
        .outcome
        .jobs
        .iter()
        .map(|j| format!("{} {}", j.job, describe::outcome_words(j.outcome)))
        .collect();
    if s.is_empty() {
        s.push("no job".into());
    }
    if !a.outcome.ended_cleanly {
        s.push("no end recorded".into());
    }
    s.join(", ")
}

fn print_rows(rows: &[Row]) {
    let head = ["started", "mode", "operator", "outcome", "chain", "file"];
    let mut width = head.map(str::len);
    for r in rows {
        for (w, c) in width.iter_mut().zip(&r.cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        s
    };
    outln!("{}", line(head));
    for r in rows {
        outln!("{}", line(r.cells.each_ref().map(String::as_str)));
    }
}
