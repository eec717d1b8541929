//! One file of a rehearsal, on the scratch copy: the schema before it, its up, its down,
//! the schema compared with before, its up again. The verdict says whether the down
//! truly undoes the up, and whether the copy is still fit to rehearse the next file.

use crate::db::schema::{self, Schema};
use crate::db::{Conn, DbError};
use crate::engine::sandbox;
use crate::event::RehearsalVerdict;
use crate::source::{Format, Migration};

/// What became of one file.
#[derive(Debug, Clone)]
pub struct Judged {
    pub verdict: RehearsalVerdict,
    /// Why, for anything but reversible: the error with file:line, or the differences.
    pub detail: Option<String>,
    /// The schema differences a down left (or a second up made).
    pub differences: Vec<String>,
    /// Whether the copy is in a known state (the file applied) so the next file can be
    /// rehearsed on it.
    pub go_on: bool,
}

impl Judged {
    fn new(verdict: RehearsalVerdict, detail: String, go_on: bool) -> Judged {
        Judged {
            verdict,
            detail: Some(detail),
            differences: Vec::new(),
            go_on,
        }
    }

    fn differs(detail: &str, lines: Vec<String>, go_on: bool) -> Judged {
        Judged {
            verdict: RehearsalVerdict::DownDiffers,
            detail: Some(format!("{detail}: {}", lines.join("; "))),
            differences: lines,
            go_on,
        }
    }
}

const DIFFERS: &str = "after its down the schema differs from before its up";

fn at(path: &std::path::Path, f: &sandbox::Failed) -> String {
    format!("{}:{}: {}", path.display(), f.line, f.message)
}

/// Up, down, up of `m` on the copy `conn`; `skip` names the bookkeeping tables the
/// schema leaves out.
pub async fn judge(
    conn: &mut Conn,
    m: &Migration,
    format: Format,
    skip: &[String],
) -> Result<Judged, DbError> {
    let dialect = conn.dialect;
    let before = schema::introspect(conn, skip).await?;
    let (up, up_wrap) = sandbox::up(m, format, dialect);
    if let Err(f) = sandbox::run(conn, &up, &up_wrap).await {
        return Ok(Judged::new(
            RehearsalVerdict::UpFails,
            at(&m.path, &f),
            false,
        ));
    }
    let Some((down, down_wrap)) = sandbox::down(conn, m, format).await else {
        let why = "no down SQL: only a backup restore undoes it".to_string();
        return Ok(Judged::new(RehearsalVerdict::NoDown, why, true));
    };
    let applied = schema::introspect(conn, skip).await?;
    let down_path = m.down_path.as_deref().unwrap_or(&m.path);
    if let Err(f) = sandbox::run(conn, &down, &down_wrap).await {
        // Rolled back whole (one transaction), the copy still holds the file applied;
        // otherwise (MySQL DDL, a file outside a transaction) it is part-way.
        let go_on = schema::introspect(conn, skip).await? == applied;
        let mut detail = at(down_path, &f);
        if !go_on {
            detail.push_str(
                " (it left part of its work done: the files after it were not rehearsed)",
            );
        }
        return Ok(Judged::new(RehearsalVerdict::DownFails, detail, go_on));
    }
    let undone = schema::introspect(conn, skip).await?;
    let left = schema::diff(&before, &undone);
    if let Err(f) = sandbox::run(conn, &up, &up_wrap).await {
        let again = format!("after its down, its up fails again: {}", at(&m.path, &f));
        if !left.is_empty() {
            let mut j = Judged::differs(DIFFERS, left.lines(), false);
            j.detail = j.detail.map(|d| format!("{d}; and {again}"));
            return Ok(j);
        }
        return Ok(Judged::new(RehearsalVerdict::UpFails, again, false));
    }
    if !left.is_empty() {
        return Ok(Judged::differs(DIFFERS, left.lines(), true));
    }
    // The down undoes the up; applied again, the up may still build another schema than
    // the first time (MySQL keeps an index it had dropped implicitly the first time, once
    // a down has created it by name). Reversible, as the issue defines it, but said.
    let again: Schema = schema::introspect(conn, skip).await?;
    let second = schema::diff(&applied, &again);
    if !second.is_empty() {
        let lines = second.lines();
        return Ok(Judged {
            verdict: RehearsalVerdict::Reversible,
            detail: Some(format!(
                "its down restores the schema, but applied again it builds another one than the first time: {}",
                lines.join("; ")
            )),
            differences: lines,
            go_on: true,
        });
    }
    Ok(Judged {
        verdict: RehearsalVerdict::Reversible,
        detail: None,
        differences: Vec::new(),
        go_on: true,
    })
}
