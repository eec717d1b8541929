//! A single-pass, linear-time, dialect-aware statement splitter.
//!
//! The scanner walks the input byte by byte. Every byte that matters to the lexer
//! (quotes, comment starts, delimiters, parentheses, word characters) is ASCII, and
//! every non-ASCII byte belongs to a "word", so every position the scanner stops at
//! is either the end of the input or an ASCII byte: slicing there is always on a char
//! boundary. Slices still go through `str::get` so that a logic error could only
//! lose text, never panic.
//!
//! Besides quotes and comments, three things keep `;` from ending a statement:
//! - inside `CREATE TRIGGER ... BEGIN ... END` (SQLite), `CREATE FUNCTION|PROCEDURE
//!   ... BEGIN ATOMIC ... END` (PostgreSQL) and `CREATE PROCEDURE|FUNCTION|TRIGGER|EVENT
//!   ... BEGIN ... END` (MySQL, without `DELIMITER`), a [`Tracker`] follows the depth of
//!   compound blocks;
//! - PostgreSQL: parentheses (as psql does, e.g. `CREATE RULE ... DO ALSO (...; ...)`);
//! - MySQL: a `DELIMITER xx` line replaces `;` by `xx` until the next `DELIMITER ;`.

use super::{Dialect, Statement};

/// Splits a migration file into statements. Never panics, whatever the input.
pub fn split(sql: &str, dialect: Dialect) -> Vec<Statement> {
    split_spans(sql, dialect)
        .into_iter()
        .map(|s| Statement {
            sql: sql.get(s.start..s.end).unwrap_or_default().to_string(),
            line: s.line,
        })
        .collect()
}

/// Where a statement stands in the input: `input[start..end]` is its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub start: usize,
    pub end: usize,
    pub line: usize,
}

pub(super) fn split_spans(sql: &str, dialect: Dialect) -> Vec<Span> {
    let mut s = Splitter {
        src: sql,
        b: sql.as_bytes(),
        dialect,
        pos: 0,
        line: 1,
        line_pos: 0,
        delim: String::from(";"),
        exec_comment: false,
        start: None,
        content_end: 0,
        tr: Tracker::default(),
        out: Vec::new(),
    };
    s.run();
    s.out
}

// ---------------------------------------------------------------------------
// Lexical helpers, shared with `classify`.

/// First byte of an unquoted identifier or keyword (non-ASCII bytes included).
pub(super) fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// Later bytes of an unquoted identifier (`$` is allowed after the first character
/// in all three dialects).
pub(super) fn is_word_cont(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_tag_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_tag_cont(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// End (exclusive) of a quoted string or identifier opened by `b[p]`, which is `q`.
/// A doubled quote is an escaped quote; with `backslash`, `\x` escapes any byte.
/// Unterminated: the end of the input.
pub(super) fn quoted_end(b: &[u8], p: usize, q: u8, backslash: bool) -> usize {
    let mut i = p + 1;
    while i < b.len() {
        let c = b[i];
        if backslash && c == b'\\' {
            i += 2;
        } else if c == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// End (exclusive) of the block comment opening at `p` (`/*`). PostgreSQL nests them.
pub(super) fn block_comment_end(b: &[u8], p: usize, nested: bool) -> usize {
    let mut depth = 1usize;
    let mut i = p + 2;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'*' && next == Some(b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else if nested && c == b'/' && next == Some(b'*') {
            depth += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Position of the next `\n` at or after `p` (not consumed), or the end of the input.
pub(super) fn line_end(b: &[u8], p: usize) -> usize {
    b.get(p..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        .map_or(b.len(), |i| p + i)
}

/// Whether `--` at `p` opens a comment. MySQL wants whitespace or a control
/// character (or the end of the input) right after it.
pub(super) fn dash_comment_at(b: &[u8], p: usize, dialect: Dialect) -> bool {
    if b.get(p) != Some(&b'-') || b.get(p + 1) != Some(&b'-') {
        return false;
    }
    match dialect {
        Dialect::Mysql => b.get(p + 2).is_none_or(|&c| c <= b' '),
        Dialect::Sqlite | Dialect::Postgres => true,
    }
}

/// PostgreSQL dollar quote opening at `p` (`$$` or `$tag$`): the end (exclusive) of
/// the quoted body, or `None` when `$` does not open one (`$1`, a lone `$`).
pub(super) fn dollar_end(src: &str, p: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut j = p + 1;
    if b.get(j).is_some_and(|&c| is_tag_start(c)) {
        j += 1;
        while b.get(j).is_some_and(|&c| is_tag_cont(c)) {
            j += 1;
        }
    }
    if b.get(j) != Some(&b'$') {
        return None;
    }
    let tag = src.get(p..=j)?;
    let body = j + 1;
    let found = src.get(body..).and_then(|rest| rest.find(tag));
    Some(found.map_or(b.len(), |i| body + i + tag.len()))
}

/// The char starting at byte `p` when it is a non-ASCII whitespace char.
fn unicode_space_len(src: &str, p: usize) -> Option<usize> {
    let c = src.get(p..)?.chars().next()?;
    (!c.is_ascii() && c.is_whitespace()).then(|| c.len_utf8())
}

// ---------------------------------------------------------------------------

struct Splitter<'a> {
    src: &'a str,
    b: &'a [u8],
    dialect: Dialect,
    pos: usize,
    /// Line number at byte `line_pos` (newlines are counted lazily, forward only).
    line: usize,
    line_pos: usize,
    /// Current delimiter (MySQL `DELIMITER`); always `;` for the other dialects.
    delim: String,
    /// Inside a MySQL `/*! ... */` executable comment (its text is SQL).
    exec_comment: bool,
    /// Byte and line of the current statement's first significant character.
    start: Option<(usize, usize)>,
    /// End of the last significant token of the current statement.
    content_end: usize,
    tr: Tracker,
    out: Vec<Span>,
}

impl Splitter<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn mysql(&self) -> bool {
        self.dialect == Dialect::Mysql
    }

    fn custom_delim(&self) -> bool {
        self.delim != ";"
    }

    fn delim_at(&self, p: usize) -> bool {
        self.b
            .get(p..)
            .is_some_and(|rest| rest.starts_with(self.delim.as_bytes()))
    }

    fn line_at(&mut self, p: usize) -> usize {
        if p > self.line_pos {
            let upto = p.min(self.b.len());
            if let Some(chunk) = self.b.get(self.line_pos..upto) {
                self.line += chunk.iter().filter(|&&c| c == b'\n').count();
            }
            self.line_pos = upto;
        }
        self.line
    }

    /// Records `b[a..e]` as significant text of the current statement.
    fn mark(&mut self, a: usize, e: usize) {
        if self.start.is_none() {
            let line = self.line_at(a);
            self.start = Some((a, line));
        }
        self.content_end = e;
    }

    fn run(&mut self) {
        let len = self.b.len();
        while self.pos < len {
            let p = self.pos;
            let c = self.b[p];
            if self.custom_delim() && self.delim_at(p) {
                self.finish();
                self.pos = p + self.delim.len();
                continue;
            }
            match c {
                b';' if !self.custom_delim() => {
                    if self.tr.semicolon_ends(self.dialect) {
                        self.finish();
                    } else {
                        self.mark(p, p + 1);
                    }
                    self.pos = p + 1;
                }
                _ if c.is_ascii_whitespace() || c == 0x0b => self.pos = p + 1,
                b'-' if dash_comment_at(self.b, p, self.dialect) => {
                    self.pos = line_end(self.b, p);
                }
                b'#' if self.mysql() => self.pos = line_end(self.b, p),
                b'/' if self.at(p + 1) == Some(b'*') => self.slash_star(p),
                b'*' if self.exec_comment && self.at(p + 1) == Some(b'/') => {
                    self.exec_comment = false;
                    self.mark(p, p + 2);
                    self.pos = p + 2;
                }
                b'\'' => {
                    let e = quoted_end(self.b, p, b'\'', self.mysql());
                    self.opaque(p, e);
                }
                b'"' => {
                    let e = quoted_end(self.b, p, b'"', self.mysql());
                    self.opaque(p, e);
                }
                b'`' if self.dialect != Dialect::Postgres => {
                    let e = quoted_end(self.b, p, b'`', false);
                    self.opaque(p, e);
                }
                b'[' if self.dialect == Dialect::Sqlite => {
                    let e = self
                        .b
                        .get(p + 1..)
                        .and_then(|rest| rest.iter().position(|&c| c == b']'))
                        .map_or(len, |i| p + 1 + i + 1);
                    self.opaque(p, e);
                }
                b'$' if self.dialect == Dialect::Postgres => match dollar_end(self.src, p) {
                    Some(e) => self.opaque(p, e),
                    None => self.punct(p, c),
                },
                _ if c >= 0x80 => match unicode_space_len(self.src, p) {
                    Some(n) => self.pos = p + n,
                    None => self.word(p),
                },
                _ if is_word_start(c) || c.is_ascii_digit() => self.word(p),
                _ => self.punct(p, c),
            }
        }
        self.finish();
    }

    /// `/*` at `p`: a comment, or in MySQL an executable `/*! ... */` (or MariaDB
    /// `/*M! ... */`) whose content is SQL.
    fn slash_star(&mut self, p: usize) {
        if self.mysql() {
            let marker = match (self.at(p + 2), self.at(p + 3)) {
                (Some(b'!'), _) => Some(3),
                (Some(b'M'), Some(b'!')) => Some(4),
                _ => None,
            };
            if let Some(n) = marker {
                let mut k = p + n;
                while self.at(k).is_some_and(|c| c.is_ascii_digit()) {
                    k += 1;
                }
                self.exec_comment = true;
                self.mark(p, k);
                self.pos = k;
                return;
            }
        }
        self.pos = block_comment_end(self.b, p, self.dialect == Dialect::Postgres);
    }

    /// A string, quoted identifier or dollar-quoted body spanning `p..e`.
    fn opaque(&mut self, p: usize, e: usize) {
        self.mark(p, e);
        self.tr.opaque(self.dialect);
        self.pos = e;
    }

    /// A single ASCII punctuation byte.
    fn punct(&mut self, p: usize, c: u8) {
        self.mark(p, p + 1);
        self.tr.punct(c, self.dialect);
        self.pos = p + 1;
    }

    fn word(&mut self, p: usize) {
        let len = self.b.len();
        let digits = self.b[p].is_ascii_digit();
        let custom = self.custom_delim();
        let mut j = p + 1;
        while j < len {
            let c = self.b[j];
            let cont = if digits {
                c.is_ascii_alphanumeric() || c == b'_'
            } else {
                is_word_cont(c)
            };
            if !cont || (custom && self.delim_at(j)) {
                break;
            }
            if c >= 0xc0 && unicode_space_len(self.src, j).is_some() {
                break;
            }
            j += 1;
        }
        let w = self.src.get(p..j).unwrap_or_default();

        // PostgreSQL escape string: E'...' (backslash escapes).
        if self.dialect == Dialect::Postgres
            && j == p + 1
            && (self.b[p] | 0x20) == b'e'
            && self.at(j) == Some(b'\'')
        {
            let e = quoted_end(self.b, j, b'\'', true);
            self.opaque(p, e);
            return;
        }

        // MySQL client command: DELIMITER <token>, at the start of a statement.
        if self.mysql()
            && self.start.is_none()
            && w.eq_ignore_ascii_case("delimiter")
            && matches!(self.at(j), Some(b' ' | b'\t'))
        {
            if let Some(next) = self.delimiter_command(j) {
                self.pos = next;
                return;
            }
        }

        self.mark(p, j);
        self.tr.word(w, self.dialect);
        self.pos = j;
    }

    /// Parses the argument of `DELIMITER` (the first whitespace-separated token after
    /// `j`), installs it, and returns the end of the line. `None` when there is no
    /// argument (then `DELIMITER` is an ordinary word).
    fn delimiter_command(&mut self, j: usize) -> Option<usize> {
        let len = self.b.len();
        let mut k = j;
        while k < len && matches!(self.b[k], b' ' | b'\t') {
            k += 1;
        }
        let a = k;
        while k < len && !self.b[k].is_ascii_whitespace() {
            k += 1;
        }
        let mut d = self.src.get(a..k)?;
        for q in ['\'', '"', '`'] {
            if d.len() >= 3 && d.starts_with(q) && d.ends_with(q) {
                d = d.get(1..d.len() - 1)?;
                break;
            }
        }
        if d.is_empty() {
            return None;
        }
        // The mysql client keeps at most 15 bytes of a delimiter (and this keeps
        // delimiter matching linear).
        let mut cut = d.len().min(15);
        while !d.is_char_boundary(cut) {
            cut -= 1;
        }
        self.delim = d.get(..cut).unwrap_or(d).to_string();
        self.tr.reset();
        self.exec_comment = false;
        Some(line_end(self.b, k))
    }

    /// Ends the current statement (if it holds anything significant).
    fn finish(&mut self) {
        if let Some((s, line)) = self.start.take() {
            let e = self.content_end.max(s);
            let text = self.src.get(s..e).unwrap_or_default();
            let body = text.trim_start();
            let start = s + (text.len() - body.len());
            let body = body.trim_end();
            if !body.is_empty() {
                let line = if start > s {
                    // Only non-ASCII whitespace can be trimmed here.
                    line + self
                        .src
                        .get(s..start)
                        .map_or(0, |t| t.matches('\n').count())
                } else {
                    line
                };
                self.out.push(Span {
                    start,
                    end: start + body.len(),
                    line,
                });
            }
        }
        self.tr.reset();
        self.exec_comment = false;
    }
}

// ---------------------------------------------------------------------------

/// How far the start of the current statement got in recognising a routine header.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Header {
    #[default]
    Start,
    /// Saw `CREATE` and only modifiers since.
    AfterCreate,
    /// Inside a MySQL `DEFINER = user@host` clause; counts the words of the user.
    Definer(u8),
    /// MariaDB anonymous block `BEGIN NOT ATOMIC ... END`: 1 after `BEGIN`, 2 after `NOT`.
    Anonymous(u8),
    /// A trigger / function / procedure / event whose body may hold `;`.
    Routine,
    /// Anything else: no block tracking for this statement.
    Other,
}

/// An open compound block. Only MySQL needs the kinds (to tell statement `IF`/`CASE`
/// from the `IF()` function and `CASE` expressions); the others only count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Begin,
    If,
    CaseStmt,
    CaseExpr,
    Loop,
}

/// Per-statement state that decides whether a `;` ends the statement.
#[derive(Debug, Default)]
struct Tracker {
    header: Header,
    blocks: Vec<Block>,
    /// PostgreSQL parenthesis depth.
    paren: usize,
    /// MySQL: the next token stands where a statement of a routine body may start.
    ctx: bool,
    /// MySQL: the previous word was `END` (so `IF`, `LOOP`, ... after it close).
    after_end: bool,
    /// MySQL: saw `BEGIN`; it opens a block unless `WORK` or `;` follows.
    pending_begin: bool,
    /// MySQL: saw `FOLLOWS`/`PRECEDES` (trigger order): after the next word, the body.
    body_after_name: bool,
    /// The previous token was `.` (or `@` in MySQL): the next word is a name.
    qualified: bool,
}

fn is_any(w: &str, set: &[&str]) -> bool {
    set.iter().any(|k| w.eq_ignore_ascii_case(k))
}

impl Tracker {
    fn reset(&mut self) {
        self.header = Header::Start;
        self.blocks.clear();
        self.paren = 0;
        self.ctx = false;
        self.after_end = false;
        self.pending_begin = false;
        self.body_after_name = false;
        self.qualified = false;
    }

    fn routine(&self) -> bool {
        self.header == Header::Routine
    }

    fn header_word(&mut self, w: &str, kw: bool, dialect: Dialect) {
        let (kinds, modifiers): (&[&str], &[&str]) = match dialect {
            Dialect::Sqlite => (&["TRIGGER"], &["TEMP", "TEMPORARY"]),
            Dialect::Postgres => (&["FUNCTION", "PROCEDURE"], &["OR", "REPLACE"]),
            Dialect::Mysql => (
                &["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"],
                &["OR", "REPLACE", "DEFINER", "AGGREGATE"],
            ),
        };
        const STOP: &[&str] = &["TABLE", "VIEW", "INDEX", "DATABASE", "SCHEMA", "USER"];
        self.header = match self.header {
            Header::Start if kw && w.eq_ignore_ascii_case("CREATE") => Header::AfterCreate,
            Header::Start if kw && dialect == Dialect::Mysql && w.eq_ignore_ascii_case("BEGIN") => {
                Header::Anonymous(1)
            }
            Header::Start => Header::Other,
            Header::Anonymous(1) if kw && w.eq_ignore_ascii_case("NOT") => Header::Anonymous(2),
            Header::Anonymous(2) if kw && w.eq_ignore_ascii_case("ATOMIC") => {
                // The BEGIN of the header is the outermost block of the body.
                self.blocks.push(Block::Begin);
                self.ctx = true;
                self.header = Header::Routine;
                return;
            }
            Header::Anonymous(_) => Header::Other,
            Header::AfterCreate | Header::Definer(_) if kw && is_any(w, kinds) => Header::Routine,
            Header::AfterCreate | Header::Definer(_) if kw && w.eq_ignore_ascii_case("DEFINER") => {
                Header::Definer(0)
            }
            Header::AfterCreate | Header::Definer(_) if kw && is_any(w, modifiers) => {
                Header::AfterCreate
            }
            Header::Definer(n) if n < 4 && !(kw && is_any(w, STOP)) => Header::Definer(n + 1),
            Header::AfterCreate | Header::Definer(_) => Header::Other,
            h @ (Header::Routine | Header::Other) => h,
        };
    }

    /// A non-word token (punctuation, string, quoted identifier).
    fn header_other(&mut self) {
        if matches!(
            self.header,
            Header::Start | Header::AfterCreate | Header::Anonymous(_)
        ) {
            self.header = Header::Other;
        }
    }

    fn word(&mut self, w: &str, dialect: Dialect) {
        let kw = !std::mem::take(&mut self.qualified);
        let was_routine = self.routine();
        self.header_word(w, kw, dialect);
        if !was_routine {
            // The word that completed the header (TRIGGER, FUNCTION, ATOMIC, ...) is
            // not part of the body.
            return;
        }
        match dialect {
            Dialect::Sqlite if kw => {
                if is_any(w, &["BEGIN", "CASE"]) {
                    self.blocks.push(Block::Begin);
                } else if w.eq_ignore_ascii_case("END") {
                    self.blocks.pop();
                }
            }
            // As psql does: only at parenthesis depth 0; CASE only inside a BEGIN.
            Dialect::Postgres if kw && self.paren == 0 => {
                if w.eq_ignore_ascii_case("BEGIN")
                    || (w.eq_ignore_ascii_case("CASE") && !self.blocks.is_empty())
                {
                    self.blocks.push(Block::Begin);
                } else if w.eq_ignore_ascii_case("END") {
                    self.blocks.pop();
                }
            }
            Dialect::Sqlite | Dialect::Postgres => {}
            Dialect::Mysql => self.mysql_word(w, kw),
        }
    }

    fn mysql_word(&mut self, w: &str, kw: bool) {
        if std::mem::take(&mut self.pending_begin) {
            if kw && w.eq_ignore_ascii_case("WORK") {
                self.ctx = false;
                return;
            }
            self.blocks.push(Block::Begin);
            self.ctx = true;
        }
        if std::mem::take(&mut self.after_end)
            && kw
            && is_any(w, &["IF", "LOOP", "WHILE", "REPEAT", "CASE", "FOR"])
        {
            // END IF, END LOOP, ...: the qualifier of the END just seen.
            self.ctx = false;
            return;
        }
        let at_stmt_start = std::mem::take(&mut self.ctx);
        if std::mem::take(&mut self.body_after_name) {
            // FOLLOWS other_trigger <body>
            self.ctx = true;
            return;
        }
        if !kw {
            return;
        }
        let upper = w.to_ascii_uppercase();
        match upper.as_str() {
            "BEGIN" => self.pending_begin = true,
            "END" => {
                self.blocks.pop();
                self.after_end = true;
            }
            "CASE" => self.blocks.push(if at_stmt_start {
                Block::CaseStmt
            } else {
                Block::CaseExpr
            }),
            // Statement IF (not the IF() function, not IF [NOT] EXISTS).
            "IF" if at_stmt_start => self.blocks.push(Block::If),
            // Statement REPEAT (not the REPEAT() string function).
            "REPEAT" if at_stmt_start => {
                self.blocks.push(Block::Loop);
                self.ctx = true;
            }
            "LOOP" => {
                self.blocks.push(Block::Loop);
                self.ctx = true;
            }
            "WHILE" => self.blocks.push(Block::Loop),
            // MariaDB: FOR x IN 1..10 DO ... END FOR (not CURSOR FOR, HANDLER FOR, FOR UPDATE).
            "FOR" if at_stmt_start => self.blocks.push(Block::Loop),
            "FOLLOWS" | "PRECEDES" => self.body_after_name = true,
            "THEN" | "ELSE" => {
                self.ctx = matches!(self.blocks.last(), Some(Block::If | Block::CaseStmt));
            }
            // WHILE ... DO, CREATE EVENT ... DO, FOR EACH ROW <body>.
            "DO" | "ROW" => self.ctx = true,
            _ => {}
        }
    }

    /// MySQL: whatever token follows `BEGIN` other than `WORK` and `;` confirms a block.
    fn mysql_resolve_begin(&mut self) {
        if std::mem::take(&mut self.pending_begin) {
            self.blocks.push(Block::Begin);
        }
    }

    fn punct(&mut self, c: u8, dialect: Dialect) {
        self.qualified = c == b'.' || (c == b'@' && dialect == Dialect::Mysql);
        match dialect {
            Dialect::Postgres => match c {
                b'(' => self.paren += 1,
                b')' => self.paren = self.paren.saturating_sub(1),
                _ => {}
            },
            Dialect::Mysql if self.routine() => {
                self.mysql_resolve_begin();
                self.after_end = false;
                // `FOLLOWS db.other <body>`: after `db` (which set ctx), the name goes on.
                self.body_after_name = c == b'.' && self.ctx;
                self.ctx = c == b':';
            }
            Dialect::Mysql | Dialect::Sqlite => {}
        }
        // `DEFINER = 'u'@'h'` punctuation keeps the header going.
        self.header_other();
    }

    fn opaque(&mut self, dialect: Dialect) {
        self.qualified = false;
        if dialect == Dialect::Mysql && self.routine() {
            self.mysql_resolve_begin();
            self.after_end = false;
            // FOLLOWS `other_trigger` <body>
            self.ctx = std::mem::take(&mut self.body_after_name);
        }
        self.header_other();
    }

    /// A `;` (the delimiter) outside quotes and comments: whether it ends the
    /// statement. When it does not, it is recorded as an ordinary token.
    fn semicolon_ends(&mut self, dialect: Dialect) -> bool {
        let ends = match dialect {
            Dialect::Postgres => self.paren == 0 && self.blocks.is_empty(),
            Dialect::Sqlite => self.blocks.is_empty(),
            Dialect::Mysql => {
                // `BEGIN;` is a transaction, not a block.
                self.pending_begin = false;
                self.blocks.is_empty()
            }
        };
        if !ends {
            self.qualified = false;
            self.after_end = false;
            self.ctx = true;
            self.header_other();
        }
        ends
    }
}
