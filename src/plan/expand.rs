//! `${VAR}` expansion in plan strings: `${VAR}`, `${VAR:-default}` (the default when
//! VAR is unset or empty) and `$$` for a literal `$`. A `$` followed by anything else
//! stays as written.

/// Why a string could not be expanded; `at` is a byte offset into the string's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    pub at: usize,
    pub message: String,
    pub hint: String,
}

pub fn expand(value: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut pos = 0;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let here = pos + i;
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            pos = here + 2;
            rest = tail;
            continue;
        }
        let Some(body_and_tail) = after.strip_prefix('{') else {
            out.push('$');
            pos = here + 1;
            rest = after;
            continue;
        };
        let Some(close) = body_and_tail.find('}') else {
            return Err(ExpandError {
                at: here,
                message: "unterminated `${` in a string".to_string(),
                hint: "write ${NAME}, ${NAME:-default}, or $$ for a literal $".to_string(),
            });
        };
        let body = &body_and_tail[..close];
        let (name, default) = match body.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (body, None),
        };
        if !is_name(name) {
            return Err(ExpandError {
                at: here,
                message: format!("`${{{body}}}` is not a variable reference"),
                hint: "variable names are letters, digits and _ (not starting with a digit); write $$ for a literal $".to_string(),
            });
        }
        match (env(name), default) {
            (Some(v), Some(d)) if v.is_empty() => out.push_str(d),
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(ExpandError {
                    at: here,
                    message: format!("environment variable `{name}` is not set"),
                    hint: format!("set {name}, or give a default: ${{{name}:-...}}"),
                })
            }
        }
        let consumed = 2 + close + 1;
        pos = here + consumed;
        rest = &rest[i + consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("db.local".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_variables_defaults_and_escapes() {
        assert_eq!(
            expand("pg://${HOST}/x", &env).as_deref(),
            Ok("pg://db.local/x")
        );
        assert_eq!(expand("${NOPE:-5432}", &env).as_deref(), Ok("5432"));
        assert_eq!(expand("${EMPTY:-d}", &env).as_deref(), Ok("d"));
        assert_eq!(expand("${EMPTY}", &env).as_deref(), Ok(""));
        assert_eq!(expand("${HOST:-d}", &env).as_deref(), Ok("db.local"));
        assert_eq!(expand("a$$b$$${HOST}", &env).as_deref(), Ok("a$b$db.local"));
        assert_eq!(expand("pa$s", &env).as_deref(), Ok("pa$s"));
        assert_eq!(expand("end$", &env).as_deref(), Ok("end$"));
        assert_eq!(expand("ünï${HOST}", &env).as_deref(), Ok("ünïdb.local"));
    }

    #[test]
    fn reports_the_offset_of_the_reference() {
        let e = expand("ab${HOST}${MISSING}", &env).expect_err("error");
        assert_eq!(e.at, 9);
        assert_eq!(e.message, "environment variable `MISSING` is not set");
        assert_eq!(expand("x${1A}", &env).expect_err("error").at, 1);
        assert_eq!(expand("x$${HOST", &env).as_deref(), Ok("x${HOST"));
        assert_eq!(expand("x${HOST", &env).expect_err("error").at, 1);
    }
}
