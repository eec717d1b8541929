//! SQL text as a fingerprint sees it: where a backend keeps only the text as written
//! (SQLite views, triggers, expression and partial indexes; MySQL view bodies), two
//! texts that differ only in spacing, comments or the case of keywords must compare
//! equal. Quoted parts (strings, quoted identifiers) are kept exactly as written.

/// Whitespace and comments outside quotes become one space, or none next to
/// punctuation; ASCII letters outside quotes are lower-cased; a trailing `;` goes.
pub fn normalize_sql(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    // A space is owed between two words; written only if the next character needs it.
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' | '[' => {
                flush_space(&mut out, &mut pending_space, c);
                let close = if c == '[' { ']' } else { c };
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == close {
                        // A doubled quote is an escaped one, not the end.
                        if close != ']' && chars.peek() == Some(&close) {
                            out.push(close);
                            chars.next();
                            continue;
                        }
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                pending_space = true;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                pending_space = true;
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c.to_ascii_lowercase());
            }
        }
    }
    while out.ends_with(';') || out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Characters next to which a space carries no meaning.
fn is_punct(c: char) -> bool {
    matches!(
        c,
        '(' | ')' | ',' | ';' | '=' | '<' | '>' | '+' | '*' | '/' | '|' | '.' | '%' | '!'
    )
}

fn flush_space(out: &mut String, pending: &mut bool, next: char) {
    if *pending {
        let after_punct = out.chars().last().is_none_or(is_punct);
        if !after_punct && !is_punct(next) {
            out.push(' ');
        }
        *pending = false;
    }
}

/// Walks normalized text outside quotes, calling `f(byte offset, char, paren depth)`;
/// `f` returns false to stop.
fn walk(text: &str, mut f: impl FnMut(usize, char, i32) -> bool) {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '[' => quote = Some(']'),
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if !f(i, c, depth) {
            return;
        }
    }
}

/// The predicate of a normalized `CREATE INDEX ... WHERE <predicate>` (None: not
/// partial).
pub(super) fn index_predicate(sql: &str) -> Option<String> {
    let mut found = None;
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    walk(sql, |i, _, depth| {
        let rest = &sql[i..];
        if depth == 0
            && rest.starts_with("where")
            && !word(sql[..i].chars().last())
            && !word(rest["where".len()..].chars().next())
        {
            found = Some(rest["where".len()..].trim_start().to_string());
            return false;
        }
        true
    });
    found
}

/// The key list of a normalized `CREATE INDEX name ON table(k1, k2 ...)`: each key's
/// text, split at top-level commas.
pub(super) fn index_keys(sql: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut start = None;
    walk(sql, |i, c, depth| {
        match (c, depth) {
            ('(', 1) if start.is_none() => start = Some(i + 1),
            (',', 1) => {
                if let Some(s) = start {
                    keys.push(sql[s..i].trim().to_string());
                    start = Some(i + 1);
                }
            }
            (')', 0) => {
                if let Some(s) = start {
                    keys.push(sql[s..i].trim().to_string());
                }
                return false;
            }
            _ => {}
        }
        true
    });
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_case_and_comments_do_not_count_but_quotes_do() {
        let a = "CREATE VIEW v AS\n  SELECT  id, Name -- the name\n  FROM t WHERE x = 'A  b';";
        let b = "create view v as select id,name from t where x='A  b'";
        assert_eq!(normalize_sql(a), normalize_sql(b));
        assert_eq!(
            normalize_sql(b),
            "create view v as select id,name from t where x='A  b'"
        );
        assert_ne!(
            normalize_sql("select 'A'"),
            normalize_sql("select 'a'"),
            "string contents are data"
        );
        assert_eq!(
            normalize_sql("SELECT \"Mixed\" /* c */ FROM [T x]"),
            "select \"Mixed\" from [T x]"
        );
        assert_eq!(normalize_sql("select 'it''s  '"), "select 'it''s  '");
    }

    #[test]
    fn partial_predicates_and_keys_are_found_outside_quotes_and_parentheses() {
        let sql = normalize_sql(
            "CREATE INDEX i ON t (lower(email), \"a,b\" DESC) WHERE (deleted IS NULL) AND note <> ' where '",
        );
        assert_eq!(
            index_keys(&sql),
            vec!["lower(email)".to_string(), "\"a,b\" desc".to_string()]
        );
        assert_eq!(
            index_predicate(&sql).as_deref(),
            Some("(deleted is null)and note<>' where '")
        );
        assert_eq!(
            index_predicate(&normalize_sql("create index i on t(a)")),
            None
        );
    }
}
