//! Just enough reading of a benchmark's SELECT to suggest an index: the tables of its
//! FROM and JOIN clauses with their aliases, and the columns its WHERE and ON clauses
//! compare (`col = ...`, `col IN (...)`, `col < ...`, `col BETWEEN`, `col LIKE`,
//! `... = col`). Not a SQL parser: anything it does not understand gives no suggestion,
//! never a wrong statement about the plan (the plan itself comes from the database).

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword, unquoted; dotted names stay whole (`o.customer_id`).
    Word(String),
    /// A string or number.
    Lit,
    Op(String),
    Open,
    Close,
    Comma,
}

/// One column a filter compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The table or alias before the dot, if any.
    pub qualifier: Option<String>,
    pub column: String,
    /// `=`, `IN`, `IS`: an index on it can be followed by another column.
    pub equality: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Alias (and table name) -> table name, lower case keys.
    pub tables: HashMap<String, String>,
    pub filters: Vec<Filter>,
}

impl Parsed {
    /// The table an alias (or table name) stands for; the name itself when unknown.
    pub fn table_of(&self, name: &str) -> String {
        self.tables
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
}

const CLAUSE_END: &[&str] = &[
    "GROUP",
    "ORDER",
    "LIMIT",
    "HAVING",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "OFFSET",
    "FETCH",
    "WINDOW",
    "RETURNING",
    "FOR",
];
const NOT_ALIAS: &[&str] = &[
    "WHERE",
    "JOIN",
    "ON",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "FULL",
    "CROSS",
    "NATURAL",
    "USING",
    "GROUP",
    "ORDER",
    "LIMIT",
    "HAVING",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "OFFSET",
    "STRAIGHT_JOIN",
    "WINDOW",
    "FOR",
    "LATERAL",
];
const NOT_COLUMN: &[&str] = &[
    "AND", "OR", "NOT", "NULL", "TRUE", "FALSE", "EXISTS", "CASE",
];

fn is(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

fn keyword_in(w: &str, list: &[&str]) -> bool {
    list.iter().any(|k| w.eq_ignore_ascii_case(k))
}

fn tokens(sql: &str) -> Vec<Tok> {
    let b: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            i += 1;
            while i < b.len() {
                if b[i] == '\'' && b.get(i + 1) == Some(&'\'') {
                    i += 2;
                } else if b[i] == '\'' {
                    break;
                } else {
                    i += 1;
                }
            }
            i += 1;
            out.push(Tok::Lit);
        } else if c == '"' || c == '`' || c.is_alphabetic() || c == '_' {
            // A name, possibly dotted and with quoted parts.
            let mut word = String::new();
            loop {
                match b.get(i) {
                    Some(&q @ ('"' | '`')) => {
                        i += 1;
                        while i < b.len() && b[i] != q {
                            word.push(b[i]);
                            i += 1;
                        }
                        i += 1;
                    }
                    Some(&ch) if ch.is_alphanumeric() || ch == '_' || ch == '$' || ch == '.' => {
                        word.push(ch);
                        i += 1;
                    }
                    _ => break,
                }
            }
            out.push(Tok::Word(word));
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '.') {
                i += 1;
            }
            out.push(Tok::Lit);
        } else if "=<>!".contains(c) {
            let mut op = String::new();
            while i < b.len() && "=<>!".contains(b[i]) {
                op.push(b[i]);
                i += 1;
            }
            out.push(Tok::Op(op));
        } else {
            out.push(match c {
                '(' => Tok::Open,
                ')' => Tok::Close,
                ',' => Tok::Comma,
                '?' | '$' | ':' => Tok::Lit,
                _ => Tok::Op(c.to_string()),
            });
            i += 1;
        }
    }
    out
}

/// The tables and filtered columns of `sql`.
pub fn parse(sql: &str) -> Parsed {
    let t = tokens(sql);
    let mut p = Parsed::default();
    let mut i = 0;
    // Inside a WHERE or ON clause (the depth of parentheses it began at).
    let mut filtering: Option<usize> = None;
    let mut depth = 0usize;
    while i < t.len() {
        match &t[i] {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if filtering.is_some_and(|d| depth < d) {
                    filtering = None;
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("JOIN") => {
                filtering = None;
                i = table_list(&t, i + 1, &mut p, w.eq_ignore_ascii_case("FROM"));
                continue;
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("WHERE") || w.eq_ignore_ascii_case("ON") => {
                filtering = Some(depth);
            }
            Tok::Word(w) if keyword_in(w, CLAUSE_END) => filtering = None,
            Tok::Word(w) if filtering.is_some() && !keyword_in(w, NOT_COLUMN) => {
                if let Some(equality) = compared(&t, i) {
                    let (qualifier, column) = match w.rsplit_once('.') {
                        Some((q, c)) => (Some(q.rsplit('.').next().unwrap_or(q).to_string()), c),
                        None => (None, w.as_str()),
                    };
                    p.filters.push(Filter {
                        qualifier,
                        column: column.to_string(),
                        equality,
                    });
                }
            }
            _ => {}
        }
        i += 1;
    }
    p
}

/// Whether the word at `i` is compared: Some(true) for equality, Some(false) for a
/// range or pattern, None when it is not a compared column (a function name, ...).
fn compared(t: &[Tok], i: usize) -> Option<bool> {
    let eq_op = |o: &str| o == "=";
    let range_op = |o: &str| matches!(o, "<" | ">" | "<=" | ">=" | "<>" | "!=");
    match t.get(i + 1) {
        Some(Tok::Op(o)) if eq_op(o) => return Some(true),
        Some(Tok::Op(o)) if range_op(o) => return Some(false),
        n if is(n, "IN") || is(n, "IS") => return Some(true),
        n if is(n, "BETWEEN") || is(n, "LIKE") => return Some(false),
        n if is(n, "NOT") => return Some(false),
        _ => {}
    }
    // `42 = customer_id`
    match (
        i.checked_sub(1).and_then(|j| t.get(j)),
        i.checked_sub(2).and_then(|j| t.get(j)),
    ) {
        (Some(Tok::Op(o)), Some(Tok::Lit)) if eq_op(o) => Some(true),
        (Some(Tok::Op(o)), Some(Tok::Lit)) if range_op(o) => Some(false),
        _ => None,
    }
}

/// Reads `table [AS] alias` items after FROM (comma-separated) or JOIN; returns where
/// it stopped.
fn table_list(t: &[Tok], mut i: usize, p: &mut Parsed, from: bool) -> usize {
    loop {
        let Some(Tok::Word(table)) = t.get(i) else {
            return i;
        };
        if keyword_in(table, NOT_ALIAS) {
            return i;
        }
        let bare = table.rsplit('.').next().unwrap_or(table).to_string();
        p.tables.insert(bare.to_ascii_lowercase(), bare.clone());
        i += 1;
        if is(t.get(i), "AS") {
            i += 1;
        }
        if let Some(Tok::Word(alias)) = t.get(i) {
            if !keyword_in(alias, NOT_ALIAS) {
                p.tables.insert(alias.to_ascii_lowercase(), bare.clone());
                i += 1;
            }
        }
        if from && matches!(t.get(i), Some(Tok::Comma)) {
            i += 1;
            continue;
        }
        return i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(p: &Parsed) -> Vec<(Option<&str>, &str, bool)> {
        p.filters
            .iter()
            .map(|f| (f.qualifier.as_deref(), f.column.as_str(), f.equality))
            .collect()
    }

    #[test]
    fn simple_where() {
        let p = parse("SELECT * FROM orders WHERE customer_id = 42 ORDER BY id");
        assert_eq!(cols(&p), vec![(None, "customer_id", true)]);
        assert_eq!(p.table_of("orders"), "orders");
    }

    #[test]
    fn aliases_joins_and_ranges() {
        let p = parse(
            "SELECT o.id FROM orders AS o JOIN order_items i ON i.order_id = o.id \
             WHERE o.status IN ('a', 'b') AND o.ordered_day >= 10 AND lower(x) = 'q' -- c = 1",
        );
        assert_eq!(p.table_of("i"), "order_items");
        assert_eq!(p.table_of("O"), "orders");
        assert_eq!(
            cols(&p),
            vec![
                (Some("i"), "order_id", true),
                (Some("o"), "status", true),
                (Some("o"), "ordered_day", false),
            ]
        );
    }

    #[test]
    fn literal_first_and_comma_from() {
        let p = parse("select * from a x, \"B\" y where 'v' = y.name and x.n between 1 and 2");
        assert_eq!(p.table_of("y"), "B");
        assert_eq!(
            cols(&p),
            vec![(Some("y"), "name", true), (Some("x"), "n", false)]
        );
    }
}
