//! `sql`: a query of the plan's own. With `expect`, its first column of its first row is
//! compared with that value; without, every row it returns is a violation (the count is
//! given, with the first few rows).

use super::rows::{count, counted, limited, text_rows};
use super::{Check, Env, Found};

const EXAMPLES: usize = 5;

pub(super) async fn run(env: &mut Env<'_, '_>, check: &Check) -> Found {
    let Some(query) = check.spec.query.as_deref() else {
        return Found::fail("sql check needs query");
    };
    let conn = &mut *env.ctx.target;
    match &check.spec.expect {
        Some(expect) => {
            let got = match text_rows(conn, query).await {
                Ok(r) => r,
                Err(e) => return Found::fail(format!("the query failed: {}", e.message)),
            };
            let value = got.rows.first().and_then(|r| r.first().cloned());
            let Some(value) = value else {
                return Found::fail(format!(
                    "the query returned no row; expected {}",
                    shown(expect)
                ));
            };
            let text = value.as_deref().unwrap_or("NULL");
            if matches(value.as_deref(), expect) {
                Found::pass(format!("returned {text}, as expected"))
            } else {
                Found::fail(format!("returned {text}; expected {}", shown(expect)))
            }
        }
        None => {
            let first = match text_rows(conn, &limited(query, EXAMPLES)).await {
                Ok(r) => r,
                Err(e) => return Found::fail(format!("the query failed: {}", e.message)),
            };
            if first.rows.is_empty() {
                return Found::pass("the query returned no row (no violation)");
            }
            let n = count(conn, &counted(query))
                .await
                .unwrap_or(first.rows.len() as u64);
            let listed: Vec<String> = (0..first.rows.len()).map(|i| first.describe(i)).collect();
            Found::fail(format!(
                "{n} violating row(s): {}{}",
                listed.join("; "),
                if n as usize > listed.len() {
                    "; ..."
                } else {
                    ""
                }
            ))
        }
    }
}

fn shown(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// Whether the value the database gave equals `expect`: numbers as numbers (`5` equals
/// `5.0` and `5`), booleans as the backends print them, text as text.
fn matches(got: Option<&str>, expect: &toml::Value) -> bool {
    let Some(got) = got.map(str::trim) else {
        return false;
    };
    match expect {
        toml::Value::Integer(n) => got.parse::<f64>().is_ok_and(|g| g == *n as f64),
        toml::Value::Float(f) => got
            .parse::<f64>()
            .is_ok_and(|g| (g - f).abs() <= 1e-9 * f.abs().max(1.0)),
        toml::Value::Boolean(b) => {
            let truthy = matches!(got.to_ascii_lowercase().as_str(), "1" | "t" | "true");
            let falsy = matches!(got.to_ascii_lowercase().as_str(), "0" | "f" | "false");
            (*b && truthy) || (!*b && falsy)
        }
        toml::Value::String(s) => got == s,
        other => got == other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn expect_compares_numbers_as_numbers() {
        assert!(matches(Some("5"), &toml::Value::Integer(5)));
        assert!(matches(Some("5.0"), &toml::Value::Integer(5)));
        assert!(!matches(Some("6"), &toml::Value::Integer(5)));
        assert!(matches(Some("t"), &toml::Value::Boolean(true)));
        assert!(matches(Some("abc"), &toml::Value::String("abc".into())));
        assert!(!matches(None, &toml::Value::Integer(0)));
    }
}
