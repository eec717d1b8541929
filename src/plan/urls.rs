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
/// parameters such as `password=` and `sslpassword=`; a fragment is dropped.
///
/// The userinfo is read as the drivers read it (sqlx parses with the `url` crate: the
/// authority ends at the first `/`, `?` or `#`, the userinfo at its last `@`). When the
/// URL holds an `@` past that point, an unencoded `@` with `/`, `?` or `#` in the
/// password has split it where its writer did not mean to: everything between `//` and
/// the last `@` is masked then (`postgres://***@host/db`), the safer reading, since any
/// of it may be password. `connect` refuses such a URL (see `ambiguous_userinfo`).
/// Other input the `url` crate cannot read comes back masked the same way when it holds
/// an `@`, else as its scheme (when a known one) and `<unparseable URL>`.
pub fn redacted_url(raw: &str) -> String {
    let scheme = scheme_of(raw).filter(|s| is_supported(s));
    let masked = |at: usize| match scheme {
        // A secret parameter before the last `@`: what follows may be its value.
        Some(s) if has_secret_param(&raw[..at]) => format!("{}://***", s.to_ascii_lowercase()),
        Some(s) => masked_from(s, &raw[at + 1..]),
        None => "<unparseable URL>".to_string(),
    };
    let last_at = raw.rfind('@');
    if let Some(at) = last_at.filter(|_| ambiguous_userinfo(raw)) {
        return masked(at);
    }
    let fallback = || match (last_at, scheme) {
        (Some(at), _) => masked(at),
        (None, Some(s)) => format!("{}:<unparseable URL>", s.to_ascii_lowercase()),
        (None, None) => "<unparseable URL>".to_string(),
    };
    let Ok(mut url) = url::Url::parse(raw) else {
        return fallback();
    };
    if last_at.is_some() && url.username().is_empty() && url.password().is_none() {
        return fallback();
    }
    let mut changed = false;
    if url.password().is_some() {
        if url.set_password(Some("***")).is_err() {
            return fallback();
        }
        changed = true;
    }
    if let Some(query) = url.query().and_then(redacted_query) {
        url.set_query(Some(&query));
        changed = true;
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

/// True when the URL holds an `@` that the drivers do not read as the end of the
/// userinfo: past the authority (`postgres://u:p@x/y@host/db`, an unencoded `/`, `?` or
/// `#` in the password), or with no `//` authority at all (`sqlite:u:p@/x.db`). The
/// driver would connect with part of the password as host, database or file name, and
/// echo it in its errors.
pub fn ambiguous_userinfo(raw: &str) -> bool {
    let Some(at) = raw.rfind('@') else {
        return false;
    };
    let Some(scheme) = scheme_of(raw) else {
        return true;
    };
    let after = &raw[scheme.len() + 1..];
    let Some(rest) = after.strip_prefix("//") else {
        return true;
    };
    let start = raw.len() - rest.len();
    let end = start + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    at >= end
}

/// Whether `s` names a secret query parameter (`password=`, ...) anywhere.
fn has_secret_param(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|p| s.contains(&format!("{p}=")))
}

/// `scheme://***@` and what follows the last `@`, its secret query values masked and
/// its fragment dropped.
fn masked_from(scheme: &str, tail: &str) -> String {
    let tail = tail.split('#').next().unwrap_or_default();
    let scheme = scheme.to_ascii_lowercase();
    match tail.split_once('?') {
        Some((head, query)) => {
            let query = redacted_query(query).unwrap_or_else(|| query.to_string());
            format!("{scheme}://***@{head}?{query}")
        }
        None => format!("{scheme}://***@{tail}"),
    }
}

/// The query with the value of its first secret parameter, and everything after it,
/// replaced by `***`; None when it holds none. Everything after, because an unencoded
/// `&` in the secret makes its rest look like more parameters.
fn redacted_query(query: &str) -> Option<String> {
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, _) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = percent_decode(key).to_ascii_lowercase();
        if SECRET_PARAMS.contains(&decoded.as_str()) {
            kept.push(format!("{key}=***"));
            return Some(kept.join("&"));
        }
        kept.push(pair.to_string());
    }
    None
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
            "postgres://app@h/db?sslmode=require&password=***"
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
            "postgres://***@host/db"
        );
        assert_eq!(redacted_url("u:s3cret@host/db"), "<unparseable URL>");
        // The URL: the url crate reads user `u`, password `Zq`, host `rt`.
        assert_eq!(
            redacted_url("postgres://u:Zq@rt/y:Sec#9?x@host/db?sslmode=require&password=k"),
            "postgres://***@host/db?sslmode=require&password=***"
        );
        assert_eq!(redacted_url("sqlite://user:pw@/path"), "sqlite://***@/path");
        assert_eq!(
            redacted_url("sqlite:///plans/user:pw@/path"),
            "sqlite://***@/path"
        );
        assert_eq!(
            redacted_url("postgres://u:s3cret@[bad/db"),
            "postgres://***@[bad/db"
        );
        // Found by the property below: the last `@` inside a query password.
        assert_eq!(
            redacted_url("postgres://app:Q@Q:Q@h/shop?password=Q@Q:Q"),
            "postgres://***"
        );
    }

    /// Passwords of reserved characters (at most two in a row) between letters that
    /// appear nowhere else in the URLs or messages, so any 4-character piece of one is
    /// a leak if it shows.
    fn password() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let reserved = prop::sample::select(vec![
            '@', '/', '?', '#', ':', '%', '&', '=', '+', ';', '$', '!', '*', '[', ']', ' ', '\'',
        ]);
        let marker = prop::sample::select(vec!['Q', 'X', 'Z', 'J', 'K', 'W']);
        prop::collection::vec((marker, prop::collection::vec(reserved, 0..=2)), 2..8).prop_map(
            |segs| {
                segs.into_iter()
                    .flat_map(|(m, r)| std::iter::once(m).chain(r))
                    .collect()
            },
        )
    }

    fn encoded(pw: &str) -> String {
        url::form_urlencoded::byte_serialize(pw.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    }

    /// The first 4-character piece of `secret` found in `out`.
    pub(crate) fn leaked_piece(out: &str, secret: &str) -> Option<String> {
        let chars: Vec<char> = secret.chars().collect();
        chars
            .windows(4)
            .map(|w| w.iter().collect::<String>())
            .find(|w| out.contains(w.as_str()))
    }

    proptest::proptest! {
        #[test]
        fn no_piece_of_a_password_survives_redaction(pw in password()) {
            for scheme in ["postgres", "mysql", "mariadb", "sqlite"] {
                for written in [pw.clone(), encoded(&pw)] {
                    for url in [
                        format!("{scheme}://app:{written}@127.0.0.1:1/shop"),
                        format!("{scheme}://app:{written}@h/shop?sslmode=disable&password={written}"),
                        format!("{scheme}://{written}@/tmp/x.db"),
                    ] {
                        let shown = redacted_url(&url);
                        for secret in [&pw, &written] {
                            proptest::prop_assert!(
                                leaked_piece(&shown, secret).is_none(),
                                "{url} -> {shown}"
                            );
                        }
                    }
                }
            }
        }
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
