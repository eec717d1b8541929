//! Database URLs in a plan: which schemes are accepted, relative SQLite paths, and the
//! password-free form used in every message.

use std::path::Path;

/// The URL schemes cutover connects to.
pub const SCHEMES: &[&str] = &["sqlite", "postgres", "postgresql", "mysql", "mariadb"];

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "sslpassword",
    "secret",
    "token",
];

/// The URL with any password replaced by `***`: the userinfo password and query
/// parameters such as `password=` and `sslpassword=`. Input that cannot be read as a URL
/// comes back as its scheme (when it is a known one) and `<unparseable URL>`, so that a
/// password can never leak through a parse the `url` crate got wrong.
pub fn redacted_url(raw: &str) -> String {
    let fallback = || match scheme_of(raw) {
        Some(s) if is_supported(s) => format!("{}:<unparseable URL>", s.to_ascii_lowercase()),
        _ => "<unparseable URL>".to_string(),
    };
    let Ok(mut url) = url::Url::parse(raw) else {
        return fallback();
    };
    // A password holding `/`, `?` or `#` can split the authority early, leaving the
    // password in the path, query or fragment and no user at all: give up on those.
    if raw.contains('@') && url.username().is_empty() && url.password().is_none() {
        return fallback();
    }
    let mut changed = false;
    if url.password().is_some() {
        if url.set_password(Some("***")).is_err() {
            return fallback();
        }
        changed = true;
    }
    if let Some(query) = url.query() {
        let mut secret = false;
        let parts: Vec<String> = query
            .split('&')
            .map(|pair| {
                let (key, _) = pair.split_once('=').unwrap_or((pair, ""));
                let decoded = percent_decode(key).to_ascii_lowercase();
                if SECRET_PARAMS.contains(&decoded.as_str()) {
                    secret = true;
                    format!("{key}=***")
                } else {
                    pair.to_string()
                }
            })
            .collect();
        if secret {
            url.set_query(Some(&parts.join("&")));
            changed = true;
        }
    }
    if url.fragment().is_some() {
        url.set_fragment(None);
        changed = true;
    }
    if changed {
        url.to_string()
    } else {
        raw.to_string()
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("k={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// The scheme of a URL-looking string (`postgres` of `postgres://...`), as written.
pub fn scheme_of(raw: &str) -> Option<&str> {
    let (scheme, _) = raw.split_once(':')?;
    let mut chars = scheme.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then_some(scheme)
}

pub fn is_supported(scheme: &str) -> bool {
    SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme))
}

/// A SQLite URL whose file path is relative is made absolute against `base_dir`
/// (the plan file's folder), keeping its query parameters. In-memory databases,
/// absolute paths and other schemes come back unchanged.
pub fn resolve_sqlite(raw: &str, base_dir: &Path) -> String {
    let Some(scheme) = scheme_of(raw) else {
        return raw.to_string();
    };
    if !scheme.eq_ignore_ascii_case("sqlite") {
        return raw.to_string();
    }
    let rest = &raw[scheme.len() + 1..];
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (db, params) = match rest.split_once('?') {
        Some((d, p)) => (d, Some(p)),
        None => (rest, None),
    };
    let in_memory = db.is_empty()
        || db == ":memory:"
        || params.is_some_and(|p| p.split('&').any(|kv| kv == "mode=memory"));
    if in_memory || Path::new(db).is_absolute() || db.starts_with('/') {
        return raw.to_string();
    }
    let mut relative = db;
    while let Some(r) = relative.strip_prefix("./") {
        relative = r;
    }
    // sqlx percent-decodes the path, so the folder's own `%`, `?` and `#` are encoded.
    let base = base_dir
        .to_string_lossy()
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    let base = base.trim_end_matches('/');
    match params {
        Some(p) => format!("sqlite://{base}/{relative}?{p}"),
        None => format!("sqlite://{base}/{relative}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_query_passwords() {
        assert_eq!(
            redacted_url("postgres://app:s3cret@db.internal:5432/shop"),
            "postgres://app:***@db.internal:5432/shop"
        );
        assert_eq!(
            redacted_url("mysql://root:p%40ss@localhost/shop?ssl-mode=required"),
            "mysql://root:***@localhost/shop?ssl-mode=required"
        );
        assert_eq!(
            redacted_url("postgres://app@h/db?sslmode=require&password=s3cret&sslpassword=k3y"),
            "postgres://app@h/db?sslmode=require&password=***&sslpassword=***"
        );
        assert_eq!(
            redacted_url("postgres://app@h/db?PassWord=s3cret"),
            "postgres://app@h/db?PassWord=***"
        );
        assert_eq!(redacted_url("postgres://app@h/db"), "postgres://app@h/db");
        assert_eq!(
            redacted_url("sqlite://demo.db?mode=rwc"),
            "sqlite://demo.db?mode=rwc"
        );
        assert_eq!(redacted_url("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn unparseable_urls_cannot_leak() {
        for raw in [
            "postgres://u:ab/cd@host/db",
            "mysql://u:12#34@host/db",
            "mysql://u:12?x=s3cret@host/db",
            "postgres://u:s3cret@[bad/db",
            "u:s3cret@host/db",
            "postgres://u:s3cret@h/db#frag",
        ] {
            let r = redacted_url(raw);
            assert!(
                !r.contains("s3cret") && !r.contains("34") && !r.contains("cd"),
                "{raw} -> {r}"
            );
        }
        assert_eq!(
            redacted_url("postgres://u:ab/cd@host/db"),
            "postgres:<unparseable URL>"
        );
        assert_eq!(redacted_url("u:s3cret@host/db"), "<unparseable URL>");
    }

    #[test]
    fn sqlite_paths_resolve_against_the_plan_folder() {
        let base = Path::new("/plans/shop");
        assert_eq!(
            resolve_sqlite("sqlite://demo.db", base),
            "sqlite:///plans/shop/demo.db"
        );
        assert_eq!(
            resolve_sqlite("sqlite:demo.db", base),
            "sqlite:///plans/shop/demo.db"
        );
        assert_eq!(
            resolve_sqlite("sqlite://./data/x.db?mode=rwc", base),
            "sqlite:///plans/shop/data/x.db?mode=rwc"
        );
        assert_eq!(
            resolve_sqlite("sqlite://../x.db", base),
            "sqlite:///plans/shop/../x.db"
        );
        for same in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite:///abs/path.db",
            "sqlite:/abs/path.db?mode=ro",
            "postgres://u:p@h/db",
            "mysql://h/db",
        ] {
            assert_eq!(resolve_sqlite(same, base), same);
        }
        assert_eq!(
            resolve_sqlite("sqlite://x.db", Path::new("/odd 100%?#/")),
            "sqlite:///odd 100%25%3F%23/x.db"
        );
    }
}
