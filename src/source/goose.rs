//! goose (`goose up`): one file `<version>_<desc>.sql` per migration holding a
//! `-- +goose Up` section and an optional `-- +goose Down` section.
//!
//! Follows pressly/goose's `internal/sqlparser` (parser.go) and `NumericComponent`
//! (migration.go):
//! - a file is a migration when its name ends in `.sql` and the part before the first `_`
//!   parses as an int64 of at least 1 (`strconv.ParseInt`: an optional sign, digits).
//!   Other `.sql` files are skipped, as goose skips them; a version beyond int64 is an
//!   error naming the file (goose cannot run it either). Go migrations (`.go`) cannot be
//!   run by cutover: a numbered `.go` file is an error naming it.
//! - annotations are lines starting with `--` (no leading whitespace) that contain
//!   `+goose`: `Up`, `Down`, `StatementBegin`, `StatementEnd`, `NO TRANSACTION`,
//!   `ENVSUB ON`/`OFF`, compared case-insensitively; any other `+goose` comment, or one
//!   with leading whitespace, is an error, as in goose.
//! - only blank and comment lines (and annotations) may precede `-- +goose Up`; a
//!   statement of the Up section must end with a line whose last word ends in `;` (else
//!   goose's "missing semicolon?" error; the Down section is only checked so when goose
//!   runs it, which cutover does not); `StatementBegin` needs its `StatementEnd`.
//!
//! The up SQL is the text after the `-- +goose Up` line up to the `-- +goose Down` line,
//! annotation lines kept: `sql::split` keeps a `StatementBegin`...`StatementEnd` block as
//! one statement, as goose sends it. The Down section is the down SQL and never runs on
//! apply. `-- +goose NO TRANSACTION` anywhere in the file opts out of the transaction.
//! `ENVSUB ON` (substitution of environment variables into the SQL) is refused with a
//! message: cutover does not expand them, and running the text unexpanded would be wrong.

use std::path::Path;

use super::files;
use super::{Migration, Native, SourceError, TxMode, Version};

/// goose's version of a file name: the int64 before the first `_` (None: not a goose
/// migration name). `Some(Err)` for a number goose cannot hold or below 1.
pub(crate) fn version_of(name: &str) -> Option<Result<i64, String>> {
    let (before, _) = name.split_once('_')?;
    let digits = before.strip_prefix(['+', '-']).unwrap_or(before);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match before.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("goose versions must be greater than zero".to_string()),
        Err(_) => Err(format!(
            "version {before} does not fit goose's 64-bit integer (at most {})",
            i64::MAX
        )),
    })
}

/// The text holds a line goose reads as one of its annotations (detection).
pub(crate) fn has_marker(sql: &str) -> bool {
    sql.lines().any(|l| matches!(annotation(l), Some(Ok(_))))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Annotation {
    Up,
    Down,
    StatementBegin,
    StatementEnd,
    NoTransaction,
    EnvsubOn,
    EnvsubOff,
}

/// goose's `extractAnnotation` for a line it treats as an annotation (trimmed, it starts
/// with `--` and it contains `+goose`); None for every other line.
fn annotation(line: &str) -> Option<Result<Annotation, String>> {
    if !(line.trim().starts_with("--") && line.contains("+goose")) {
        return None;
    }
    if line.starts_with([' ', '\t']) {
        return Some(Err(format!(
            "{:?}: a goose annotation must start at the beginning of its line",
            line.trim_end()
        )));
    }
    let cmd = line.replace("--", "").replacen("+goose", "", 1);
    if cmd.contains("+goose") {
        return Some(Err(format!(
            "{:?} holds more than one `+goose` annotation",
            line.trim_end()
        )));
    }
    let cmd = cmd.trim();
    let known = [
        ("Up", Annotation::Up),
        ("Down", Annotation::Down),
        ("StatementBegin", Annotation::StatementBegin),
        ("StatementEnd", Annotation::StatementEnd),
        ("NO TRANSACTION", Annotation::NoTransaction),
        ("ENVSUB ON", Annotation::EnvsubOn),
        ("ENVSUB OFF", Annotation::EnvsubOff),
    ];
    Some(
        known
            .iter()
            .find(|(text, _)| text.eq_ignore_ascii_case(cmd))
            .map(|&(_, a)| a)
            .ok_or_else(|| {
                if cmd.is_empty() {
                    "an empty `-- +goose` annotation".to_string()
                } else {
                    format!("unknown goose annotation {cmd:?} (goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON/OFF)")
                }
            }),
    )
}

/// goose's `endsWithSemicolon`: the last whitespace-separated word before a `--` word
/// ends in `;`.
fn ends_with_semicolon(line: &str) -> bool {
    line.split_whitespace()
        .take_while(|w| !w.starts_with("--"))
        .last()
        .is_some_and(|w| w.ends_with(';'))
}

/// One file's sections.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub up: String,
    pub down: Option<String>,
    pub use_tx: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Up,
    Down,
}

/// The parser's state between lines (goose's state machine, both directions at once).
struct Scan {
    state: State,
    in_block: bool,
    use_tx: bool,
    /// The line where a statement started that has not ended yet (goose's non-empty
    /// buffer).
    open: Option<usize>,
}

type LineError = (usize, String);

impl Scan {
    /// Applies annotation `a` on line `n`; true when the line is a section header, which
    /// belongs to no section's text.
    fn annotation(&mut self, a: Annotation, n: usize) -> Result<bool, LineError> {
        let err = |what: &str| Err((n, what.to_string()));
        match (a, self.state, self.in_block) {
            (Annotation::Up, State::Start, _) => {
                self.state = State::Up;
                return Ok(true);
            }
            (Annotation::Up, _, _) => return err("a second `-- +goose Up` annotation"),
            (Annotation::Down, State::Up, false) => {
                if let Some(at) = self.open {
                    return Err(unfinished(at));
                }
                self.state = State::Down;
                return Ok(true);
            }
            (Annotation::Down, _, _) => {
                return err("`-- +goose Down` must follow `-- +goose Up` (and close any StatementBegin first)")
            }
            (Annotation::StatementBegin, State::Up | State::Down, false) => self.in_block = true,
            (Annotation::StatementBegin, _, _) => {
                return err("`-- +goose StatementBegin` must come after `-- +goose Up` or `-- +goose Down`")
            }
            (Annotation::StatementEnd, _, true) => {
                self.in_block = false;
                self.open = None;
            }
            (Annotation::StatementEnd, _, false) => {
                return err("`-- +goose StatementEnd` without a `-- +goose StatementBegin` before it")
            }
            (Annotation::NoTransaction, ..) => self.use_tx = false,
            (Annotation::EnvsubOn, ..) => {
                return err("`-- +goose ENVSUB ON` asks goose to substitute environment variables into the SQL; cutover does not, and will not run the text unexpanded\n  hint: write the values into the file, or run this file with goose")
            }
            (Annotation::EnvsubOff, ..) => {}
        }
        Ok(false)
    }

    /// Follows a line of SQL (or a comment) on line `n`; true when it stands before
    /// `-- +goose Up` (a comment or blank line there, which goose ignores).
    fn sql(&mut self, bare: &str, n: usize) -> Result<bool, LineError> {
        // Whitespace never makes a statement (goose trims what it checks).
        let comment_or_blank = bare.trim().starts_with("--") || bare.trim().is_empty();
        if self.state == State::Start {
            if comment_or_blank {
                return Ok(true);
            }
            return Err((
                n,
                "SQL before `-- +goose Up`: a goose file must start with `-- +goose Up`"
                    .to_string(),
            ));
        }
        if self.open.is_none() && !comment_or_blank {
            self.open = Some(n);
        }
        if !self.in_block && ends_with_semicolon(bare) {
            self.open = None;
        }
        Ok(false)
    }
}

/// Splits a goose file into its sections, with goose's checks. Errors carry the 1-based
/// line they are about.
pub(crate) fn parse(contents: &str) -> Result<Parsed, LineError> {
    let mut scan = Scan {
        state: State::Start,
        in_block: false,
        use_tx: true,
        open: None,
    };
    let (mut up, mut down) = (String::new(), None::<String>);
    for (i, line) in contents.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        let skip = match annotation(bare) {
            Some(Err(e)) => return Err((n, e)),
            Some(Ok(a)) => scan.annotation(a, n)?,
            None => scan.sql(bare, n)?,
        };
        if scan.state == State::Down && down.is_none() {
            down = Some(String::new());
        }
        if skip {
            continue;
        }
        // Annotation lines inside the sections are kept (the splitter reads the blocks).
        match scan.state {
            State::Start => {}
            State::Up => up.push_str(line),
            State::Down => down.get_or_insert_with(String::new).push_str(line),
        }
    }
    if scan.state == State::Start {
        return Err((
            1,
            "no `-- +goose Up` annotation: goose files start with `-- +goose Up`".to_string(),
        ));
    }
    if scan.in_block {
        return Err((
            contents.lines().count().max(1),
            "`-- +goose StatementBegin` without its `-- +goose StatementEnd`".to_string(),
        ));
    }
    // `goose up` parses only the Up direction: an unfinished last statement of the Down
    // section does not stop it (gophish's folders have one), so it does not stop us.
    if let (Some(at), State::Up) = (scan.open, scan.state) {
        return Err(unfinished(at));
    }
    Ok(Parsed {
        up,
        down,
        use_tx: scan.use_tx,
    })
}

fn unfinished(at: usize) -> LineError {
    (
        at,
        "a statement that never ends: goose ends a statement at a line ending in `;` (missing semicolon?)\n  hint: end the statement with `;`, or wrap it in `-- +goose StatementBegin` / `-- +goose StatementEnd`".to_string(),
    )
}

pub(crate) fn read(dir: &Path) -> Result<Vec<Migration>, SourceError> {
    let mut migrations = Vec::new();
    for entry in files::list(dir)? {
        if !entry.is_file || files::ignored(&entry.name) {
            continue;
        }
        let is_go = entry.name.ends_with(".go") && !entry.name.ends_with("_test.go");
        if !(entry.name.ends_with(".sql") || is_go) {
            continue;
        }
        let Some(version) = version_of(&entry.name) else {
            continue;
        };
        let invalid = |what: String| SourceError::Invalid {
            path: entry.path.clone(),
            what,
        };
        let version = version.map_err(|e| invalid(format!("{e}\n  hint: rename the file")))?;
        if is_go {
            return Err(invalid("a goose Go migration: cutover runs SQL files only\n  hint: rewrite it as a `.sql` migration, or apply this folder with goose".to_string()));
        }
        let text = files::read_text(&entry.path)?;
        let parsed =
            parse(&text).map_err(|(line, what)| invalid(format!("line {line}: {what}")))?;
        let desc = entry.name[..entry.name.len() - ".sql".len()]
            .split_once('_')
            .map_or("", |(_, d)| d)
            .to_string();
        let tx = if parsed.use_tx {
            TxMode::Wrapped
        } else {
            TxMode::OptedOut("`-- +goose NO TRANSACTION`".to_string())
        };
        let native = Native {
            version: version.to_string(),
            ..Native::default()
        };
        let path = files::relative(dir, &entry.path);
        let raw = entry.name.split_once('_').map_or("", |(v, _)| v);
        let mut m = files::migration(
            Version::keyed(raw, &version.to_string()),
            desc,
            path.clone(),
            parsed.up,
            tx,
            native,
        );
        if let Some(down) = parsed.down {
            m.down_sql = Some(down);
            m.down_path = Some(path);
        }
        migrations.push(m);
    }
    files::sort_and_check(dir, &mut migrations)?;
    Ok(migrations)
}

#[cfg(test)]
mod tests;
