//! Statement blocks marked by annotation lines: goose's `-- +goose StatementBegin` /
//! `-- +goose StatementEnd` (and sql-migrate's `-- +migrate StatementBegin` /
//! `StatementEnd`). The text between such lines is one statement, sent whole, as those
//! tools send it: it may hold semicolons the splitter would otherwise end at (PL/pgSQL
//! bodies in single quotes, MySQL procedures). Text outside blocks goes through the
//! dialect splitter.
//!
//! The markers are found line by line, as the tools find them (they do not look at
//! quotes either). A `StatementBegin` without its end takes the rest of the text; the
//! goose reader refuses such files before they get here.

use super::split::split_spans;
use super::{Dialect, Statement};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Begin,
    End,
}

/// A `--` line naming `+goose` or `+migrate` followed by `StatementBegin`/`StatementEnd`
/// (case-insensitive, as goose compares annotations).
fn marker(line: &str) -> Option<Marker> {
    let rest = line.trim_end().strip_prefix("--")?.trim_start();
    let rest = rest
        .strip_prefix("+goose")
        .or_else(|| rest.strip_prefix("+migrate"))?
        .trim();
    if rest.eq_ignore_ascii_case("StatementBegin") {
        Some(Marker::Begin)
    } else if rest.eq_ignore_ascii_case("StatementEnd") {
        Some(Marker::End)
    } else {
        None
    }
}

/// Splits `sql` into statements, honouring annotation blocks.
pub fn split(sql: &str, dialect: Dialect) -> Vec<Statement> {
    if !(sql.contains("+goose") || sql.contains("+migrate")) {
        return super::split::split(sql, dialect);
    }
    let mut out = Vec::new();
    // Start (byte, line) of the text not yet split, and of the open block if any.
    let (mut seg, mut seg_line) = (0usize, 1usize);
    let mut block: Option<(usize, usize)> = None;
    let mut pos = 0usize;
    for (i, line) in sql.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let next = pos + line.len();
        match (marker(line), block) {
            (Some(Marker::Begin), None) => {
                out.extend(plain(&sql[seg..pos], seg_line, dialect));
                block = Some((next, n + 1));
            }
            (Some(Marker::End), Some((start, start_line))) => {
                out.extend(whole(&sql[start..pos], start_line));
                block = None;
                (seg, seg_line) = (next, n + 1);
            }
            _ => {}
        }
        pos = next;
    }
    match block {
        Some((start, start_line)) => out.extend(whole(&sql[start..], start_line)),
        None => out.extend(plain(&sql[seg..], seg_line, dialect)),
    }
    out
}

/// The dialect splitter over a piece of the text that starts at line `first_line`.
fn plain(text: &str, first_line: usize, dialect: Dialect) -> Vec<Statement> {
    split_spans(text, dialect)
        .into_iter()
        .map(|s| Statement {
            sql: text.get(s.start..s.end).unwrap_or_default().to_string(),
            line: s.line + first_line - 1,
        })
        .collect()
}

/// A block as one statement: leading blank and comment lines dropped (goose drops them
/// too), surrounding whitespace and one final `;` removed. None for an empty block.
fn whole(text: &str, first_line: usize) -> Option<Statement> {
    let mut line = first_line;
    let mut rest = text;
    while let Some((head, tail)) = rest.split_once('\n') {
        let t = head.trim();
        if !(t.is_empty() || t.starts_with("--")) {
            break;
        }
        rest = tail;
        line += 1;
    }
    let t = rest.trim();
    if t.is_empty() || t.starts_with("--") && !t.contains('\n') {
        return None;
    }
    let body = t.strip_suffix(';').unwrap_or(t).trim_end();
    Some(Statement {
        sql: body.to_string(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_one_statement() {
        let sql = "CREATE TABLE a (x int);\n-- +goose StatementBegin\n-- a comment\nCREATE FUNCTION f() RETURNS trigger AS '\nBEGIN\n  RETURN NEW;\nEND;\n' LANGUAGE plpgsql;\n-- +goose StatementEnd\nINSERT INTO a VALUES (1);\n";
        let st = split(sql, Dialect::Postgres);
        let texts: Vec<&str> = st.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            texts,
            [
                "CREATE TABLE a (x int)",
                "CREATE FUNCTION f() RETURNS trigger AS '\nBEGIN\n  RETURN NEW;\nEND;\n' LANGUAGE plpgsql",
                "INSERT INTO a VALUES (1)",
            ]
        );
        let lines: Vec<usize> = st.iter().map(|s| s.line).collect();
        assert_eq!(lines, [1, 4, 10]);
    }

    #[test]
    fn mysql_procedure_in_a_block() {
        let sql = "-- +goose StatementBegin\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n-- +GOOSE STATEMENTEND\n";
        let st = split(sql, Dialect::Mysql);
        assert_eq!(st.len(), 1);
        assert!(st[0].sql.ends_with("END"), "{:?}", st[0].sql);
        assert_eq!(st[0].line, 2);
    }

    #[test]
    fn no_markers_is_the_plain_splitter() {
        let sql = "SELECT 1; SELECT '+goose';\n";
        assert_eq!(
            split(sql, Dialect::Sqlite),
            super::super::split::split(sql, Dialect::Sqlite)
        );
        let empty = "-- +goose StatementBegin\n-- nothing\n-- +goose StatementEnd\n";
        assert!(split(empty, Dialect::Sqlite).is_empty());
    }
}
